// The customer follows a booking: a plain-language timeline that updates itself, cancel, rating.
import { useEffect, useRef, useState } from "preact/hooks";
import { call, missing, sessions } from "./api.js";
import { Check } from "./icons.jsx";
import { itemLabel, lang, locale, money, num, t, when } from "./i18n.js";
import { pathTo } from "./routes.js";
import { go, savedTerms, saveTerms, use } from "./state.js";
import { Alert, cardBox, Field, Lazy, SignIn, Title, usePolling } from "./ui.jsx";

const FLOW = ["awaiting_payment", "requested", "offered", "assigned", "en_route", "started", "completed"];
const TERMINAL = ["completed", "cancelled", "unmatched"];
const CANCELLABLE = ["awaiting_payment", "requested", "offered", "assigned", "en_route"];

export function BookingStatus({ id }) {
  const session = use(sessions.customer);
  const [booking, setBooking] = useState(null);
  const [error, setError] = useState(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);

  const [pay, setPay] = useState(null);
  const load = async () => {
    try { setBooking(await call("GET", "/v1/bookings/" + id, undefined, "customer")); setError(null); }
    catch (err) { setError(err); }
    try { setPay(await call("GET", `/v1/bookings/${id}/payment`, undefined, "customer")); }
    catch (err) { if (!missing(err)) setPay(null); }
  };
  // keep polling after the end until the bill (or the released hold) is known
  const settled = pay && (["released", "refunded", "partially_refunded", "failed", "none"].includes(pay.status)
    || (pay.status === "captured" && (pay.receipt || (booking && booking.state !== "completed"))));
  const active = !!session && !(booking && TERMINAL.includes(booking.state) && (settled || !pay));
  usePolling(load, 3000, active, [id]);
  const terms = useTerms(booking);

  if (!session) return <><Title>{t("status_title")}</Title><SignIn role="customer" /></>;
  if (!booking) return <><Title>{t("status_title")}</Title><Alert error={error} />{!error && <p role="status">{t("loading")}</p>}</>;

  async function cancel() {
    setBusy(true);
    try { setBooking(await call("POST", `/v1/bookings/${id}/cancel`, {}, "customer")); setConfirming(false); }
    catch (err) { setError(err); }
    finally { setBusy(false); }
  }

  const reached = new Set(booking.timeline.map((s) => s.state));
  const steps = TERMINAL.includes(booking.state) && booking.state !== "completed"
    ? booking.timeline.map((s) => s.state).filter((s, i, a) => a.indexOf(s) === i)
    : FLOW.filter((s) => s !== "awaiting_payment" || reached.has(s));
  const held = booking.timeline.some((x) => x.step === "hold_card");
  const times = {};
  booking.timeline.forEach((s) => { if (!times[s.state]) times[s.state] = s.at; });

  return (
    <div>
      <Title>{t("status_title")}</Title>
      <p class="meta">{t("cat_" + booking.category)} – {booking.description}</p>
      <p class="state" role="status" aria-live="polite" data-state={booking.state}>{t("st_" + booking.state)}</p>
      {booking.helper && booking.helper.first_name && <HelperCard helper={booking.helper} />}
      {booking.mode === "onsite" && booking.location && booking.location.address && (
        <p class="meta">{t("sum_address", { address: [booking.location.address, [booking.location.postcode, booking.location.city].filter(Boolean).join(" ")].filter(Boolean).join(", ") })}</p>)}
      {booking.state === "awaiting_payment" ? <PayNow id={id} onPaid={load} /> : <Payment pay={pay} booking={booking} />}
      {booking.minutes_worked != null && <p>{t("minutes_worked", { min: booking.minutes_worked })}</p>}
      <ol class="timeline" aria-label={t("status_title")}>
        {steps.map((s) => (
          <li key={s} class={s === booking.state ? "now" : reached.has(s) ? "done" : ""} aria-current={s === booking.state ? "step" : undefined}>
            {reached.has(s) ? <Check /> : <span style="width:24px" aria-hidden="true" />}
            <span>{t(s === "awaiting_payment" && held ? "st_card_held" : "st_" + s)}{times[s] ? <span class="meta"> – {when(times[s])}</span> : null}
              <span class="sr-only"> ({t(s === booking.state && !TERMINAL.includes(s) ? "tl_now" : reached.has(s) ? "tl_done" : TERMINAL.includes(booking.state) ? "tl_skipped" : "tl_not_yet")})</span></span>
          </li>
        ))}
      </ol>
      {booking.extra_approval && <ExtraApproval id={id} booking={booking} onAnswer={load} />}
      {!TERMINAL.includes(booking.state) && <p class="hint">{t("refresh_note")}</p>}
      <Alert error={error} />
      {CANCELLABLE.includes(booking.state) && (!confirming ? (
        <div class="actions"><button type="button" class="btn danger" onClick={() => setConfirming(true)}>{t("cancel_booking")}</button></div>
      ) : (
        <div class="card" role="group" aria-labelledby="cancel-q">
          <p id="cancel-q"><strong>{t("cancel_confirm")}</strong></p>
          <p data-testid="cancel-fee">{["assigned", "en_route"].includes(booking.state)
            ? (terms ? t("cancel_fee", { fee: money(terms.cancel_fee.amount, terms.cancel_fee.currency) }) : null)
            : t("cancel_free")}</p>
          <div class="actions">
            <button type="button" class="btn danger" onClick={cancel} disabled={busy}>{t("yes_cancel")}</button>
            <button type="button" class="btn secondary" onClick={() => setConfirming(false)}>{t("no_keep")}</button>
          </div>
        </div>
      ))}
      {booking.state === "completed" && booking.helper && <Rating id={id} />}
    </div>
  );
}

// A booking that waits for its card (a declined card, or a partner's booking): hold it here, on
// the same booking. Until then nobody is sent.
function PayNow({ id, onPaid }) {
  const box = useRef(null);
  const [saved, setSaved] = useState(null);
  const [useSaved, setUseSaved] = useState(true);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => { call("GET", "/v1/me/booking-defaults", undefined, "customer").then((x) => setSaved(x.saved_card)).catch(() => {}); }, [id]);
  async function submit(e) {
    e.preventDefault();
    setBusy(true); setError(null);
    try {
      const card = box.current && await box.current.choose();
      if (card) await call("POST", `/v1/bookings/${id}/payment`, card, "customer");
      await onPaid();
    } catch (err) { setError(err); } finally { setBusy(false); }
  }
  return (
    <form class="card" onSubmit={submit} noValidate data-testid="pay-now">
      <h2 style="margin-top:0">{t("pay_now_title")}</h2>
      <Lazy load={cardBox} box={box} saved={saved} useSaved={useSaved} setUseSaved={setUseSaved} />
      <Alert error={error} />
      <button class="btn primary" disabled={busy}>{t("pay_now")}</button>
    </form>
  );
}

// Who is coming: first name, photo (if the helper has one) and rating, in her number format.
function HelperCard({ helper }) {
  const r = helper.rating || {};
  return (
    <div class="success helper-card">
      {helper.photo_url && <img src={helper.photo_url} alt={helper.first_name} width="72" height="72" loading="lazy" />}
      <div>
        <p style="margin:0">{t("your_helper", { name: helper.first_name })}</p>
        <p class="meta" style="margin:0">{r.count ? t("rating", { avg: num(r.average), count: r.count }) : t("no_rating")}</p>
        {helper.arrival && <p class="meta" style="margin:0" data-testid="arrival">{t("arrives", { when: clock(helper.arrival.from) + "–" + clock(helper.arrival.to) })}</p>}
        {helper.phone && <p style="margin:.25rem 0 0"><a href={"tel:" + helper.phone.replace(/[^+0-9]/g, "")} data-testid="call-helper">{t("call_helper", { name: helper.first_name, phone: helper.phone })}</a></p>}
      </div>
    </div>
  );
}

const clock = (iso) => new Date(iso).toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" });

// The booking's terms (hold, travel and late-cancel fee) as discovery states them for this tenant.
export function useTerms(booking) {
  const [terms, setTerms] = useState(() => savedTerms());
  useEffect(() => {  // the saved terms show at once; they are refreshed from the server once per page
    if (!booking) return;
    const q = new URLSearchParams({ category: booking.category, mode: "remote", limit: "1", language: lang.get() });
    call("GET", "/v1/discover?" + q).then((r) => { if (r.terms) { saveTerms(r.terms); setTerms(r.terms); } }).catch(() => {});
  }, [booking && booking.category]);
  return terms;
}

// What the card carries: the amount held (not charged), then the bill: line items, charged, released.
function Payment({ pay, booking }) {
  if (!pay || pay.status === "none") return null;
  const cur = pay.currency;
  if (pay.status === "authorised" && !pay.captured) {
    return <>
      <p class="note" data-testid="held" data-amount={pay.authorised}>{t("held", { amount: money(pay.authorised, cur) })}</p>
      {booking.state === "completed" && <p class="note">{t("pay_pending")}</p>}
    </>;
  }
  const r = pay.receipt;
  if (r && r.line_items) {
    const receipt = pathTo("receipt", { booking_id: pay.booking_id || booking.booking_id });
    return (
      <section class="card" aria-labelledby="bill-h" data-testid="bill">
        <h2 id="bill-h" style="margin-top:0">{t("bill_title")}</h2>
        <table><tbody>{r.line_items.map((i, n) => <tr key={n}><td>{itemLabel(i)}</td><td style="text-align:right">{money(i.amount, i.currency || cur)}</td></tr>)}</tbody></table>
        <p style="margin-top:.75rem"><strong data-testid="charged" data-amount={r.total}>{t("charged", { amount: money(r.total, r.currency || cur) })}</strong></p>
        {r.released > 0 && <p class="meta" data-testid="released" data-amount={r.released}>{t("released_amt", { amount: money(r.released, r.currency || cur) })}</p>}
        {pay.refunded > 0 && <p class="meta">{t("refunded_amt", { amount: money(pay.refunded, cur) })}</p>}
        <p><a href={receipt} data-testid="receipt-link" onClick={(e) => { e.preventDefault(); go(receipt); }}>{t("rc_link")}</a></p>
      </section>
    );
  }
  if (pay.captured > 0) {
    const receipt = pathTo("receipt", { booking_id: pay.booking_id || booking.booking_id });
    return <div class="note"><p style="margin:0" data-testid="charged" data-amount={pay.captured}>{t("charged", { amount: money(pay.captured, cur) })}</p>
      {booking.state === "cancelled" && <p style="margin:.5rem 0 0"><a href={receipt} data-testid="receipt-link" onClick={(e) => { e.preventDefault(); go(receipt); }}>{t("rc_link")}</a></p>}</div>;
  }
  if (pay.status === "failed") return <p class="alert">{t("pay_failed")}</p>;
  if (booking.state === "completed") return <p class="note">{t("pay_pending")}</p>;
  return null;
}

// The helper asked to allow more than the price limit: the customer says yes (the card hold is
// raised) or no (the limit stays).
function ExtraApproval({ id, booking, onAnswer }) {
  const x = booking.extra_approval;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const amount = money(x.amount, x.currency);
  const name = (booking.helper && booking.helper.first_name) || "";
  async function answer(what) {
    setBusy(true); setError(null);
    try { await call("POST", `/v1/bookings/${id}/extra-approval/${what}`, {}, "customer"); await onAnswer(); }
    catch (err) { setError(err); }
    finally { setBusy(false); }
  }
  if (x.status === "approved") return <p class="success">{t("more_approved", { amount, limit: money(x.new_limit, x.currency) })}</p>;
  if (x.status === "declined") return <p class="note">{t("more_declined", { limit: money(x.new_limit - x.amount, x.currency) })}</p>;
  if (TERMINAL.includes(booking.state)) return null;
  return (
    <div class="card" role="group" aria-labelledby="more-q" data-extra-approval={x.status}>
      <h2 id="more-q" style="margin-top:0">{t("more_title")}</h2>
      <p><strong>{t("more_q", { name, amount, limit: money(x.new_limit, x.currency) })}</strong></p>
      {x.reason && <p>{t("more_reason", { reason: x.reason })}</p>}
      <Alert error={error} />
      <div class="actions">
        <button type="button" class="btn primary" disabled={busy} onClick={() => answer("approve")}>{t("more_yes", { amount })}</button>
        <button type="button" class="btn secondary" disabled={busy} onClick={() => answer("decline")}>{t("more_no")}</button>
      </div>
    </div>
  );
}

const SCORES = ["overall", "patience", "clarity"];

function Stars({ name, value, onChange, error }) {
  return (
    <fieldset aria-describedby={error ? name + "-error" : undefined}>
      <legend>{t("score_" + name)}</legend>
      <div class="stars">
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n}><input type="radio" name={name} value={n} checked={value === n} onChange={() => onChange(n)} />
            <span aria-hidden="true">{n}★</span><span class="sr-only">{n} / 5</span></label>
        ))}
      </div>
      {error && <p class="field-error" id={name + "-error"}>{error}</p>}
    </fieldset>
  );
}

// POST /v1/bookings/{id}/review (domain/review_schemas.py::SubmitReview).
function Rating({ id, token }) {
  const auth = token ? [undefined, { "X-Review-Token": token }] : ["customer", undefined];
  const [scores, setScores] = useState({ overall: 0, patience: 0, clarity: 0 });
  const [recommend, setRecommend] = useState(true);
  const [again, setAgain] = useState(true);
  const [comment, setComment] = useState("");
  const [state, setState] = useState("checking");
  const [errs, setErrs] = useState({});
  const [error, setError] = useState(null);

  useEffect(() => {  // already reviewed (e.g. page reloaded): say thanks instead of a second form
    call("GET", `/v1/bookings/${id}/review`, undefined, ...auth)
      .then(() => setState("sent")).catch((err) => setState(token && err.status === 401 ? "bad-token" : "form"));
  }, [id]);

  async function send(e) {
    e.preventDefault();
    const found = {};
    SCORES.forEach((k) => { if (!scores[k]) found[k] = t("err_stars"); });
    setErrs(found);
    if (Object.keys(found).length) { setError(t("err_stars")); return; }
    setError(null);
    try {
      await call("POST", `/v1/bookings/${id}/review`, { ...scores, would_recommend: recommend, would_book_again: again,
        ...(comment.trim() ? { comment: comment.trim() } : {}) }, ...auth);
      setState("sent");
    } catch (err) {
      if (err.status === 409) setState("sent");  // reviewed already
      else { setError(err); if (err.field) setErrs({ [err.field]: err.message }); }
    }
  }
  if (state === "checking") return null;
  if (state === "bad-token") return <><p class="alert">{t("review_link_bad")}</p><SignIn role="customer" /></>;
  if (state === "sent") return <p class="success" role="status">{t("thanks_rating")}</p>;
  return (
    <form onSubmit={send} noValidate>
      {!token && <h2>{t("rate_title")}</h2>}
      {SCORES.map((k) => <Stars key={k} name={k} value={scores[k]} error={errs[k]} onChange={(n) => setScores({ ...scores, [k]: n })} />)}
      <label class="choice"><input type="checkbox" checked={recommend} onChange={(e) => setRecommend(e.currentTarget.checked)} />{t("recommend")}</label>
      <label class="choice"><input type="checkbox" checked={again} onChange={(e) => setAgain(e.currentTarget.checked)} />{t("book_again")}</label>
      <Field id="comment" label={t("comment")}>
        <textarea id="comment" value={comment} maxLength={2000} onInput={(e) => setComment(e.currentTarget.value)} />
      </Field>
      <Alert error={error} />
      <button class="btn primary">{t("send_rating")}</button>
    </form>
  );
}

export function MyBookings() {
  const session = use(sessions.customer);
  const [items, setItems] = useState(null);
  const [error, setError] = useState(null);
  usePolling(async () => {
    try { setItems((await call("GET", "/v1/bookings?limit=50", undefined, "customer")).items); } catch (err) { setError(err); }
  }, 10000, !!session);
  return (
    <div>
      <Title>{t("my_bookings")}</Title>
      {!session && <SignIn role="customer" />}
      <Alert error={error} />
      {session && <PhonePanel />}
      {items && items.length === 0 && <p>{t("bookings_empty")}</p>}
      {items && (
        <ul style="list-style:none;padding:0">
          {items.map((b) => (
            <li key={b.booking_id} class="card">
              <h2 style="margin-top:0;font-size:1.1rem">{t("cat_" + b.category)} – {when(b.created_at)}</h2>
              <p class="meta">{t("st_" + b.state)}</p>
              <a href={pathTo("booking", b)} onClick={(e) => { e.preventDefault(); go(pathTo("booking", b)); }}>{b.description.slice(0, 60)}</a>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

// Confirming the mobile number for text messages (web/src/phone.jsx), loaded only here.
function PhonePanel() {
  const [Panel, setPanel] = useState(null);
  useEffect(() => { import("./phone.jsx").then((m) => setPanel(() => m.PhoneVerification)); }, []);
  return Panel ? <Panel /> : null;
}

// The e-mailed rating link: /review/<id>#token=… opens the form at once, no sign-in needed (the
// token proves who she is). The token is kept for this tab only and taken out of the address bar.
export function ReviewPage({ id }) {
  const session = use(sessions.customer);
  const [token] = useState(() => {
    const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash || "");
    const key = "cf.review." + id;
    if (m) {
      try { sessionStorage.setItem(key, decodeURIComponent(m[1])); } catch (e) { /* ignore */ }
      history.replaceState(null, "", location.pathname);
      return decodeURIComponent(m[1]);
    }
    try { return sessionStorage.getItem(key); } catch (e) { return null; }
  });
  return (
    <div>
      <Title>{t("review_title")}</Title>
      {token || session ? <Rating id={id} token={token} /> : <SignIn role="customer" />}
      <p><a href={pathTo("booking", { booking_id: id })} onClick={(e) => { e.preventDefault(); go(pathTo("booking", { booking_id: id })); }}>{t("status_title")}</a></p>
    </div>
  );
}
