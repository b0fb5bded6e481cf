// The payment link's screen (issue 17): a partner's customer opens the link from her e-mail or SMS
// and adds her card; the hold is made and the booking is sent to helpers. No sign-in: the link's
// token (in the fragment, so no server logs it) proves this one booking. Under the partner's name,
// logo and colour; large type, one field group, keyboard only works; fits a 360 px phone.
import { useEffect, useRef, useState } from "preact/hooks";
import { call } from "./api.js";
import { lang, locale, MESSAGES, money, setLang, t } from "./i18n.js";
import { Alert, cardBox, Lazy, Title } from "./ui.jsx";

const LINK = {
  en: { link_title: "Add your card for {tenant}", link_lead: "You asked for help with: {what}. Once your card is reserved, we send a helper.",
    link_hold: "At most {amount} is reserved. You are charged only after the visit, and only what it cost.",
    link_until: "Please add your card by {time}.", link_pay: "Reserve my card and send a helper",
    link_done: "Thank you – your card is reserved. We are finding a helper for you now.",
    link_ended: "This request has ended without payment. Nothing was charged. Please ask {tenant} to book again.",
    link_missing: "This link is not complete. Please open it again from your e-mail or SMS.",
    link_questions: "Questions? Call {tenant}: {phone}", link_ref: "Reference {ref}" },
  de: { link_title: "Karte angeben für {tenant}", link_lead: "Sie haben Hilfe angefragt: {what}. Sobald Ihre Karte reserviert ist, schicken wir jemanden.",
    link_hold: "Reserviert werden höchstens {amount}. Belastet wird erst nach dem Besuch, und nur was er gekostet hat.",
    link_until: "Bitte geben Sie Ihre Karte bis {time} an.", link_pay: "Karte reservieren und Hilfe schicken",
    link_done: "Vielen Dank – Ihre Karte ist reserviert. Wir suchen jetzt jemanden für Sie.",
    link_ended: "Diese Anfrage ist ohne Zahlung abgelaufen. Es wurde nichts belastet. Bitte buchen Sie bei {tenant} noch einmal.",
    link_missing: "Dieser Link ist nicht vollständig. Bitte öffnen Sie ihn noch einmal aus Ihrer E-Mail oder SMS.",
    link_questions: "Fragen? Rufen Sie {tenant} an: {phone}", link_ref: "Referenz {ref}" },
  fr: { link_title: "Indiquez votre carte pour {tenant}", link_lead: "Vous avez demandé de l'aide : {what}. Dès que votre carte est réservée, nous envoyons quelqu'un.",
    link_hold: "Au plus {amount} sont réservés. Vous n'êtes débité qu'après la visite, et seulement de ce qu'elle a coûté.",
    link_until: "Indiquez votre carte avant {time}.", link_pay: "Réserver ma carte et envoyer de l'aide",
    link_done: "Merci – votre carte est réservée. Nous cherchons maintenant quelqu'un pour vous.",
    link_ended: "Cette demande a expiré sans paiement. Rien n'a été débité. Veuillez réserver à nouveau auprès de {tenant}.",
    link_missing: "Ce lien n'est pas complet. Ouvrez-le à nouveau depuis votre e-mail ou SMS.",
    link_questions: "Des questions ? Appelez {tenant} : {phone}", link_ref: "Référence {ref}" },
  it: { link_title: "Indichi la sua carta per {tenant}", link_lead: "Ha chiesto aiuto: {what}. Appena la sua carta è riservata, mandiamo qualcuno.",
    link_hold: "Viene riservato al massimo {amount}. L'addebito avviene solo dopo la visita, e solo per quanto è costata.",
    link_until: "Indichi la sua carta entro le {time}.", link_pay: "Riservare la carta e mandare aiuto",
    link_done: "Grazie – la sua carta è riservata. Ora cerchiamo qualcuno per lei.",
    link_ended: "Questa richiesta è scaduta senza pagamento. Non è stato addebitato nulla. Prenoti di nuovo presso {tenant}.",
    link_missing: "Questo link non è completo. Lo apra di nuovo dalla sua e-mail o SMS.",
    link_questions: "Domande? Chiami {tenant}: {phone}", link_ref: "Riferimento {ref}" },
};
for (const l in LINK) Object.assign(MESSAGES[l], LINK[l]);

function linkToken(id) {
  const key = "cf.pay." + id;
  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash || "");
  if (m) {
    try { sessionStorage.setItem(key, decodeURIComponent(m[1])); } catch (e) { /* private mode */ }
    history.replaceState(null, "", location.pathname); // the token leaves the address bar
    return decodeURIComponent(m[1]);
  }
  try { return sessionStorage.getItem(key); } catch (e) { return null; }
}

export function PayPage({ id }) {
  const [token] = useState(() => linkToken(id));
  const [page, setPage] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const box = useRef(null);
  const headers = { "X-Payment-Token": token || "" };
  useEffect(() => {
    if (!token) return;
    call("GET", `/v1/pay/${id}`, undefined, null, headers).then((p) => {
      if (p.language && p.language !== lang.get()) setLang(p.language); // her booking's language
      setPage(p);
    }).catch(setError);
  }, [id, token]);
  if (!token) return <><Title>{t("link_missing")}</Title></>;
  if (!page) return <>{error ? <><Title>{t("link_missing")}</Title><Alert error={error} /></> : <p>{t("loading")}</p>}</>;
  const tenant = page.tenant || {};
  const brand = (tenant.branding || {}).primary;
  const style = brand ? { "--primary": brand } : undefined;
  const ended = ["cancelled", "unmatched"].includes(page.state);
  async function submit(e) {
    e.preventDefault();
    setBusy(true); setError(null);
    try {
      const card = box.current && await box.current.choose();
      if (!card || !card.payment_method) throw new Error(t("card_unavailable"));
      setPage(await call("POST", `/v1/pay/${id}`, { payment_method: card.payment_method }, null, headers));
    } catch (err) { setError(err); } finally { setBusy(false); }
  }
  return (
    <div class="pay-link" style={style} data-testid="pay-link" data-state={page.state}>
      {tenant.branding && tenant.branding.logo_url
        ? <img src={tenant.branding.logo_url} alt={tenant.name} height="40" />
        : <p class="logo" style="margin:0">{tenant.name}</p>}
      <Title>{t("link_title", { tenant: tenant.name })}</Title>
      <p class="meta">{t("link_ref", { ref: page.ref })}</p>
      {page.paid && <div class="success" role="status">{t("link_done")}</div>}
      {ended && <div class="alert" role="alert">{t("link_ended", { tenant: tenant.name })}</div>}
      {!page.paid && !ended && (
        <form class="card" onSubmit={submit} noValidate>
          <p>{t("link_lead", { what: t("cat_" + page.category) })}</p>
          <p>{t("link_hold", { amount: money(page.price_cap.amount, page.price_cap.currency) })}</p>
          {page.pay_until && <p>{t("link_until", { time: new Date(page.pay_until).toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" }) })}</p>}
          <Lazy load={cardBox} box={box} saved={null} useSaved={false} setUseSaved={() => {}} />
          <Alert error={error} />
          <button class="btn primary" disabled={busy}>{t("link_pay")}</button>
        </form>
      )}
      {tenant.hotline && <p><a href={"tel:" + tenant.hotline.replace(/[^+0-9]/g, "")}>{t("link_questions", { tenant: tenant.name, phone: tenant.hotline })}</a></p>}
    </div>
  );
}
