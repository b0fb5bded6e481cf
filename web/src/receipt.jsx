// The customer's receipt (issue 14.2): the final line items, the amount charged, what the card
// hold released and any refund, in her language and her locale's money format, to print or keep.
// Opened from the booking page once charged and from the receipt e-mail; signing in first where
// needed, then it shows here (the address stays). The figures are the payment record's receipt,
// the same the e-mail and the ledger carry.
import { useEffect, useState } from "preact/hooks";
import { call, missing, sessions } from "./api.js";
import { itemLabel, money, num, t, when } from "./i18n.js";
import { pathTo } from "./routes.js";
import { go, use } from "./state.js";
import { Alert, SignIn, Title } from "./ui.jsx";

export function ReceiptPage({ id }) {
  const session = use(sessions.customer);
  const [booking, setBooking] = useState(null);
  const [pay, setPay] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (!session) return;
    let gone = false;
    Promise.all([call("GET", "/v1/bookings/" + id, undefined, "customer"),
      call("GET", `/v1/bookings/${id}/payment`, undefined, "customer").catch((err) => { if (missing(err)) return { status: "none" }; throw err; })])
      .then(([b, p]) => { if (!gone) { setBooking(b); setPay(p); setError(null); } }, (err) => { if (!gone) setError(err); });
    return () => { gone = true; };
  }, [id, session]);

  const back = pathTo("booking", { booking_id: id });
  const backLink = <p class="noprint"><a href={back} onClick={(e) => { e.preventDefault(); go(back); }}>{t("rc_back")}</a></p>;
  if (!session) return <><Title>{t("rc_title")}</Title><SignIn role="customer" /></>;
  if (!booking || !pay) return <><Title>{t("rc_title")}</Title><Alert error={error} />{!error && <p role="status">{t("loading")}</p>}</>;

  let r = pay.receipt;
  if ((!r || !r.line_items) && pay.captured > 0 && booking.state === "cancelled") {
    // a late cancellation: its fee is the whole bill (settlement makes no receipt for it)
    r = { currency: pay.currency, line_items: [{ code: "cancel_fee", amount: pay.captured, currency: pay.currency }],
      total: pay.captured, released: Math.max(0, (pay.authorised || 0) - pay.captured) };
  }
  if (!r || !r.line_items) {
    const nothing = ["released", "none"].includes(pay.status) && !pay.captured;
    return <><Title>{t("rc_title")}</Title><p class="note" data-testid="receipt-pending">{t(nothing ? "rc_nothing" : "rc_pending")}</p>{backLink}</>;
  }
  const cur = r.currency || pay.currency;
  const name = r.helper_first_name || (booking.helper && booking.helper.first_name);
  return (
    <article class="receipt" data-testid="receipt">
      <Title>{t("rc_title")}</Title>
      <dl class="facts">
        <dt>{t("rc_ref")}</dt><dd data-testid="receipt-ref">{id.slice(-6).toUpperCase()}</dd>
        {r.issued_at && <><dt>{t("rc_issued")}</dt><dd>{when(r.issued_at)}</dd></>}
        <dt>{t("rc_for")}</dt><dd>{t("cat_" + booking.category)} – {booking.description}</dd>
        {name && <><dt>{t("rc_helper")}</dt><dd>{name}</dd></>}
      </dl>
      <table class="bill">
        <caption class="sr-only">{t("bill_title")}</caption>
        <thead><tr><th scope="col">{t("rc_item")}</th><th scope="col" class="num">{t("rc_amount")}</th></tr></thead>
        <tbody>{r.line_items.map((i, n) => <tr key={n}><td>{itemLabel(i)}</td><td class="num" data-amount={i.amount}>{money(i.amount, i.currency || cur)}</td></tr>)}</tbody>
        <tfoot><tr><th scope="row">{t("rc_total")}</th><td class="num"><strong data-testid="receipt-total" data-amount={r.total}>{money(r.total, cur)}</strong></td></tr></tfoot>
      </table>
      {r.vat != null && <p class="meta" data-testid="receipt-vat" data-amount={r.vat}>{t("rc_vat", { rate: num((r.vat_rate_bp || 0) / 100), amount: money(r.vat, cur) })}</p>}
      <p data-testid="receipt-charged" data-amount={r.total}>{t("charged", { amount: money(r.total, cur) })}</p>
      {r.released > 0 && <p class="meta" data-testid="receipt-released" data-amount={r.released}>{t("released_amt", { amount: money(r.released, cur) })}</p>}
      {pay.refunded > 0 && <p class="meta" data-testid="receipt-refunded" data-amount={pay.refunded}>{t("refunded_amt", { amount: money(pay.refunded, cur) })}</p>}
      <div class="actions noprint"><button type="button" class="btn secondary" onClick={() => window.print()}>{t("rc_print")}</button></div>
      {backLink}
    </article>
  );
}
