// The payment-link page's words in French (web/src/pay.jsx); loaded with it.
export default {
  link_title: "Indiquez votre carte pour {tenant}",
  link_lead: "Vous avez demandé de l'aide : {what}. Dès que votre carte est réservée, nous envoyons quelqu'un.",
  link_hold: "Au plus {amount} sont réservés. Vous n'êtes débité qu'après la visite, et seulement de ce qu'elle a coûté.",
  link_until: "Indiquez votre carte avant {time}.",
  link_pay: "Réserver ma carte et envoyer de l'aide",
  link_done: "Merci – votre carte est réservée. Nous cherchons maintenant quelqu'un pour vous.",
  link_ended: "Cette demande a expiré sans paiement. Rien n'a été débité. Veuillez réserver à nouveau auprès de {tenant}.",
  link_missing: "Ce lien n'est pas complet. Ouvrez-le à nouveau depuis votre e-mail ou SMS.",
  link_questions: "Des questions ? Appelez {tenant} : {phone}",
  link_ref: "Référence {ref}",
};
