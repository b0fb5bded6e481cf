// The card: Stripe Elements when the payments capability is present (locally localstripe serves
// stripe.js), and the one way a card is turned into a PaymentMethod id.
import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError, call, missing } from "./api.js";
import { lang, t } from "./i18n.js";
import { Alert } from "./ui.jsx";

// Stripe Elements when the payments capability is present (locally localstripe serves stripe.js).
// A sandbox booking's card is held in Stripe test mode, so its field takes the test publishable key.
export function usePayments(testMode) {
  const [pay, setPay] = useState({ state: "checking" });
  useEffect(() => {
    let cancelled = false;
    call("GET", testMode ? "/v1/payments/config?mode=test" : "/v1/payments/config")
      .then((cfg) => { if (!cfg.enabled) throw new ApiError(404, {}); return cfg; })
      .then((cfg) => new Promise((resolve, reject) => {
        if (window.Stripe) return resolve(cfg);
        const s = document.createElement("script");
        s.src = cfg.js_url || "https://js.stripe.com/v3/";
        s.onload = () => resolve(cfg); s.onerror = () => reject(new ApiError(0, { detail: t("card_unavailable") }));
        document.head.appendChild(s);
      }))
      .then((cfg) => {
        if (cancelled) return;
        const stripe = window.Stripe(cfg.publishable_key, { locale: lang.get() });
        const card = stripe.elements().create("card", { style: { base: { fontSize: "20px", color: "#1a1a1a" } } });
        setPay({ state: "ready", stripe, card });
      })
      .catch((err) => { if (!cancelled) setPay({ state: missing(err) ? "off" : "error", error: err }); });
    return () => { cancelled = true; };
  }, [testMode]);
  // A callback ref: the card field appears only after sign-in, so mount whenever its box appears.
  const mount = useCallback((el) => {
    if (!el || !pay.card) return;
    try { pay.card.unmount(); } catch (e) { /* not mounted yet */ }
    pay.card.mount(el);
  }, [pay.card]);
  return [pay, mount];
}


// Stripe.js says what is wrong in English unless told the locale; ours says it in hers.
export async function cardMethod(pay) {
  const r = await pay.stripe.createPaymentMethod({ type: "card", card: pay.card });
  if (r.error) throw new Error(lang.get() === "en" && r.error.message ? r.error.message : t(r.error.code === "card_declined" ? "err_declined" : "card_check"));
  return r.paymentMethod.id;
}

// Saved card (offered first to a returning customer) or a new one typed into Stripe's field.
export function CardField({ pay, mount, saved, useSaved, setUseSaved }) {
  return <>
    {saved && [true, false].map((v) => (
      <label class="choice" key={String(v)}><input type="radio" name="card" checked={useSaved === v} onChange={() => setUseSaved(v)} />
        {v ? t("use_saved") + (saved.last4 ? " (•••• " + saved.last4 + ")" : "") : t("use_other")}</label>))}
    {pay.state === "ready" && !(saved && useSaved) && <div id="stripe-card" ref={mount} />}
    {pay.state === "off" && <p class="note">{t("card_off")}</p>}
    {pay.state === "error" && <Alert error={pay.error} />}
  </>;
}

// What to send for the card: the saved one, a new PaymentMethod, or nothing (payments off).
export async function chosenCard(pay, saved, useSaved) {
  if (saved && useSaved) return { use_saved: true };
  return pay.state === "ready" ? { payment_method: await cardMethod(pay) } : null;
}

// The whole card part, loaded only at the card step (book.jsx, status.jsx): ``box.current.choose()``
// gives what to send for the card when the form is submitted.
export function CardBox({ box, saved, useSaved, setUseSaved, note, testMode }) {
  const [pay, mount] = usePayments(!!testMode);
  box.current = { choose: () => chosenCard(pay, saved, useSaved) };
  return <>
    {pay.state === "ready" && note}
    <CardField pay={pay} mount={mount} saved={saved} useSaved={useSaved} setUseSaved={setUseSaved} />
  </>;
}
