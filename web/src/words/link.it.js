// The payment-link page's words in Italian (web/src/pay.jsx); loaded with it.
export default {
  link_title: "Indichi la sua carta per {tenant}",
  link_lead: "Ha chiesto aiuto: {what}. Appena la sua carta è riservata, mandiamo qualcuno.",
  link_hold: "Viene riservato al massimo {amount}. L'addebito avviene solo dopo la visita, e solo per quanto è costata.",
  link_until: "Indichi la sua carta entro le {time}.",
  link_pay: "Riservare la carta e mandare aiuto",
  link_done: "Grazie – la sua carta è riservata. Ora cerchiamo qualcuno per lei.",
  link_ended: "Questa richiesta è scaduta senza pagamento. Non è stato addebitato nulla. Prenoti di nuovo presso {tenant}.",
  link_missing: "Questo link non è completo. Lo apra di nuovo dalla sua e-mail o SMS.",
  link_questions: "Domande? Chiami {tenant}: {phone}",
  link_ref: "Riferimento {ref}",
};
