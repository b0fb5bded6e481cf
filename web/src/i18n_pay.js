// Words of the card step, the booking that waits for its card, and who is coming (issue 14), in
// the four languages. Merged into the tables of i18n.js.
export const PAY = {
  en: {
    st_card_held: "Your card is reserved", choose_myself: "Choose a helper myself",
    st_awaiting_payment: "Waiting for your card – nobody has been sent yet",
    pay_now_title: "Add your card to confirm", pay_now: "Confirm with this card", use_saved: "Use my saved card",
    use_other: "Use another card", err_booking_ended_unpaid: "This request ended before your card was accepted. Nothing was charged. Please book again.",
    retry_card: "Your request is kept. Try another card below – you will not book twice.",
    arrives: "Arrives about {when}", call_helper: "Call {name}: {phone}",
  },
  de: {
    st_card_held: "Ihre Karte ist reserviert", choose_myself: "Selbst jemanden auswählen",
    st_awaiting_payment: "Wartet auf Ihre Karte – noch ist niemand unterwegs",
    pay_now_title: "Karte angeben, um zu bestätigen", pay_now: "Mit dieser Karte bestätigen", use_saved: "Meine gespeicherte Karte verwenden",
    use_other: "Andere Karte verwenden", err_booking_ended_unpaid: "Diese Anfrage ist abgelaufen, bevor Ihre Karte angenommen wurde. Es wurde nichts belastet. Bitte buchen Sie noch einmal.",
    retry_card: "Ihre Anfrage bleibt bestehen. Versuchen Sie unten eine andere Karte – Sie buchen nicht doppelt.",
    arrives: "Kommt etwa {when}", call_helper: "{name} anrufen: {phone}",
  },
  fr: {
    st_card_held: "Votre carte est réservée", choose_myself: "Choisir moi-même",
    st_awaiting_payment: "En attente de votre carte – personne n'a encore été envoyé",
    pay_now_title: "Indiquez votre carte pour confirmer", pay_now: "Confirmer avec cette carte", use_saved: "Utiliser ma carte enregistrée",
    use_other: "Utiliser une autre carte", err_booking_ended_unpaid: "Cette demande a expiré avant que votre carte soit acceptée. Rien n'a été débité. Veuillez réserver à nouveau.",
    retry_card: "Votre demande est conservée. Essayez une autre carte ci-dessous – vous ne réserverez pas deux fois.",
    arrives: "Arrive vers {when}", call_helper: "Appeler {name} : {phone}",
  },
  it: {
    st_card_held: "La sua carta è riservata", choose_myself: "Scegliere io",
    st_awaiting_payment: "In attesa della sua carta – non abbiamo ancora mandato nessuno",
    pay_now_title: "Indichi la sua carta per confermare", pay_now: "Conferma con questa carta", use_saved: "Usa la mia carta salvata",
    use_other: "Usa un'altra carta", err_booking_ended_unpaid: "Questa richiesta è scaduta prima che la sua carta fosse accettata. Non è stato addebitato nulla. Prenoti di nuovo.",
    retry_card: "La sua richiesta resta valida. Provi un'altra carta qui sotto – non prenoterà due volte.",
    arrives: "Arriva verso le {when}", call_helper: "Chiamare {name}: {phone}",
  },
};
