// The payment-link page's words in German (web/src/pay.jsx); loaded with it.
export default {
  link_title: "Karte angeben für {tenant}",
  link_lead: "Sie haben Hilfe angefragt: {what}. Sobald Ihre Karte reserviert ist, schicken wir jemanden.",
  link_hold: "Reserviert werden höchstens {amount}. Belastet wird erst nach dem Besuch, und nur was er gekostet hat.",
  link_until: "Bitte geben Sie Ihre Karte bis {time} an.",
  link_pay: "Karte reservieren und Hilfe schicken",
  link_done: "Vielen Dank – Ihre Karte ist reserviert. Wir suchen jetzt jemanden für Sie.",
  link_ended: "Diese Anfrage ist ohne Zahlung abgelaufen. Es wurde nichts belastet. Bitte buchen Sie bei {tenant} noch einmal.",
  link_missing: "Dieser Link ist nicht vollständig. Bitte öffnen Sie ihn noch einmal aus Ihrer E-Mail oder SMS.",
  link_questions: "Fragen? Rufen Sie {tenant} an: {phone}",
  link_ref: "Referenz {ref}",
};
