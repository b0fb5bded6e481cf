// The payment-link page's words in English (web/src/pay.jsx); loaded with it.
export default {
  link_title: "Add your card for {tenant}",
  link_lead: "You asked for help with: {what}. Once your card is reserved, we send a helper.",
  link_hold: "At most {amount} is reserved. You are charged only after the visit, and only what it cost.",
  link_until: "Please add your card by {time}.",
  link_pay: "Reserve my card and send a helper",
  link_done: "Thank you – your card is reserved. We are finding a helper for you now.",
  link_ended: "This request has ended without payment. Nothing was charged. Please ask {tenant} to book again.",
  link_missing: "This link is not complete. Please open it again from your e-mail or SMS.",
  link_questions: "Questions? Call {tenant}: {phone}",
  link_ref: "Reference {ref}",
};
