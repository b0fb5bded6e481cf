// The customer follows a booking: a plain-language timeline that updates itself, cancel, rating.
import { useState } from "preact/hooks";
import { call, missing, sessions } from "./api.js";
import { Check } from "./icons.jsx";
import { t, when } from "./i18n.js";
import { go, use } from "./state.js";
import { Alert, Field, SignIn, Title, usePolling } from "./ui.jsx";

const FLOW = ["requested", "offered", "assigned", "en_route", "started", "completed"];
const TERMINAL = ["completed", "cancelled", "unmatched"];
const CANCELLABLE = ["requested", "offered", "assigned", "en_route"];

export function BookingStatus({ id }) {
  const session = use(sessions.customer);
  const [booking, setBooking] = useState(null);
  const [error, setError] = useState(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);

  const load = async () => {
    try { setBooking(await call("GET", "/v1/bookings/" + id, undefined, "customer")); setError(null); }
    catch (err) { setError(err); }
  };
  const active = !!session && !(booking && TERMINAL.includes(booking.state));
  usePolling(load, 3000, active, [id]);

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
    : FLOW;
  const times = {};
  booking.timeline.forEach((s) => { if (!times[s.state]) times[s.state] = s.at; });

  return (
    <div>
      <Title>{t("status_title")}</Title>
      <p class="meta">{t("cat_" + booking.category)} – {booking.description}</p>
      <p class="state" role="status" aria-live="polite" data-state={booking.state}>{t("st_" + booking.state)}</p>
      {booking.helper && booking.helper.first_name && <p class="success">{t("your_helper", { name: booking.helper.first_name })}</p>}
      {booking.minutes_worked != null && <p>{t("minutes_worked", { min: booking.minutes_worked })}</p>}
      <ol class="timeline" aria-label={t("status_title")}>
        {steps.map((s) => (
          <li key={s} class={s === booking.state ? "now" : reached.has(s) ? "done" : ""}>
            {reached.has(s) ? <Check /> : <span style="width:24px" aria-hidden="true" />}
            <span>{t("st_" + s)}{times[s] ? <span class="meta"> – {when(times[s])}</span> : null}
              {!reached.has(s) && <span class="sr-only"> (…)</span>}</span>
          </li>
        ))}
      </ol>
      {!TERMINAL.includes(booking.state) && <p class="hint">{t("refresh_note")}</p>}
      <Alert error={error} />
      {CANCELLABLE.includes(booking.state) && (!confirming ? (
        <div class="actions"><button type="button" class="btn danger" onClick={() => setConfirming(true)}>{t("cancel_booking")}</button></div>
      ) : (
        <div class="card" role="group" aria-labelledby="cancel-q">
          <p id="cancel-q"><strong>{t("cancel_confirm")}</strong></p>
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

function Rating({ id }) {
  const [stars, setStars] = useState(0);
  const [recommend, setRecommend] = useState(true);
  const [again, setAgain] = useState(true);
  const [comment, setComment] = useState("");
  const [state, setState] = useState("form");
  const [error, setError] = useState(null);

  async function send(e) {
    e.preventDefault();
    if (!stars) { setError(t("stars") + ": 1–5"); return; }
    setError(null);
    try {
      await call("POST", `/v1/bookings/${id}/review`, { stars, would_recommend: recommend, would_book_again: again,
        ...(comment.trim() ? { comment: comment.trim() } : {}) }, "customer");
      setState("sent");
    } catch (err) {
      // An unknown route (see api.missing): reviews have not landed on this server yet.
      if (missing(err)) setState("off"); else setError(err);
    }
  }
  if (state === "sent") return <p class="success" role="status">{t("thanks_rating")}</p>;
  if (state === "off") return <p class="note" role="status">{t("rating_off")}</p>;
  return (
    <form onSubmit={send} noValidate>
      <h2>{t("rate_title")}</h2>
      <fieldset>
        <legend>{t("stars")}</legend>
        <div class="stars">
          {[1, 2, 3, 4, 5].map((n) => (
            <label key={n}><input type="radio" name="stars" value={n} checked={stars === n} onChange={() => setStars(n)} />
              <span aria-hidden="true">{n}★</span><span class="sr-only">{n} / 5</span></label>
          ))}
        </div>
      </fieldset>
      <label class="choice"><input type="checkbox" checked={recommend} onChange={(e) => setRecommend(e.currentTarget.checked)} />{t("recommend")}</label>
      <label class="choice"><input type="checkbox" checked={again} onChange={(e) => setAgain(e.currentTarget.checked)} />{t("book_again")}</label>
      <Field id="comment" label={t("comment")}>
        <textarea id="comment" value={comment} maxLength={1000} onInput={(e) => setComment(e.currentTarget.value)} />
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
      {items && items.length === 0 && <p>{t("bookings_empty")}</p>}
      {items && (
        <ul style="list-style:none;padding:0">
          {items.map((b) => (
            <li key={b.booking_id} class="card">
              <h2 style="margin-top:0;font-size:1.1rem">{t("cat_" + b.category)} – {when(b.created_at)}</h2>
              <p class="meta">{t("st_" + b.state)}</p>
              <a href={"/booking/" + b.booking_id} onClick={(e) => { e.preventDefault(); go("/booking/" + b.booking_id); }}>{b.description.slice(0, 60)}</a>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
