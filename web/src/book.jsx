// The customer's booking: what, describe/where/when, helpers nearby, details + sign-in + card, book.
// One question group per screen, nothing timed, everything kept if the page is reloaded.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError, call, missing, sessions } from "./api.js";
import { CATEGORIES, CategoryIcon } from "./icons.jsx";
import { lang, locale, money, num, t } from "./i18n.js";
import { pathTo } from "./routes.js";
import { attribution } from "./tenant.js";
import { go, saved, saveTerms, use } from "./state.js";
import { Alert, cardBox, describedBy, Field, Lazy, SignIn, Title } from "./ui.jsx";

export { CATEGORIES };
const TOTAL = 4;
/** The street and house number in an address typed as one line ("Bahnhofstrasse 1, 8001 Zürich",
 * "Rue du Rhône 5 1204 Genève"), or "" when there is none (a postcode or a town alone). */
export function streetIn(q) {
  const m = /^\s*(\D*\p{L}\D*?\s\d+\s?[a-zA-Z]?)\s*(?:,|\s)\s*\d{4,5}\b/u.exec(q) || /^\s*(\D*\p{L}\D*?\s\d+\s?[a-zA-Z]?)\s*,/u.exec(q);
  return m ? m[1].trim() : "";
}

const blank = { step: 1, category: "", description: "", mode: "onsite", query: "", places: null, place: null, street: "",
  asap: true, at: "", helper: "auto", helperName: "", helperPrice: null, name: "", phone: "", idem: "", terms: null, unserved: false,
  bookingId: "", useSaved: true };
// A returning customer's name, phone and address are offered again, not retyped (kept on this
// device only, forgotten on sign-out).
function me() { try { return JSON.parse(localStorage.getItem("cf.me")) || {}; } catch (e) { return {}; } }
const fresh = () => ({ ...blank, ...me() });
const draft = saved("cf.draft", fresh());

// A returning customer's landing: the problem tiles at once (one screen less to book).
export function QuickStart() {
  return (
    <div class="tiles">
      {CATEGORIES.map((c) => (
        <button type="button" class="tile" key={c} onClick={() => { draft.set({ ...fresh(), category: c, step: 2 }); go("/book"); }}>
          <CategoryIcon name={c} /><span>{t("cat_" + c)}</span>
        </button>))}
    </div>
  );
}
export const knownCustomer = () => !!(sessions.customer.get() && me().name);

function Progress({ n }) {
  return <p class="progress">{t("step_of", { n, total: TOTAL })}</p>;
}

export function Book() {
  const d = use(draft);
  const set = (patch) => draft.set({ ...draft.get(), ...patch });
  const defaults = useDefaults(use(sessions.customer));
  const step = d.step;
  if (step === 1) return <StepWhat d={d} set={set} />;
  // a returning customer (the server knows her details) goes straight on to book: crowdfix
  // chooses, and "choose a helper myself" stays one tap away on the next screen
  // (known on this device at once; from another device once the server's answer is in)
  if (step === 2) return <StepDetails d={d} set={set} returning={knownCustomer() || !!(defaults && defaults.name)} />;
  if (step === 3) return <StepHelpers d={d} set={set} />;
  return <StepConfirm d={d} set={set} defaults={defaults} />;
}

function StepWhat({ d, set }) {
  const [err, setErr] = useState(null);
  function next(e) {
    e.preventDefault();
    if (!d.category) { setErr(t("err_choose")); return; }
    set({ step: 2 });
  }
  return (
    <form onSubmit={next} noValidate>
      <Progress n={1} />
      <Title>{t("q_what")}</Title>
      <fieldset aria-describedby={err ? "cat-error" : "cat-hint"}>
        <legend class="sr-only">{t("q_what")}</legend>
        <p class="hint" id="cat-hint">{t("q_what_hint")}</p>
        <div class="tiles">
          {CATEGORIES.map((c) => (
            <label class="tile" key={c}>
              <input type="radio" name="category" value={c} checked={d.category === c} onChange={() => { setErr(null); set({ category: c }); }} />
              <CategoryIcon name={c} />
              <span>{t("cat_" + c)}</span>
            </label>
          ))}
        </div>
        {err && <p class="field-error" id="cat-error" role="alert">{err}</p>}
      </fieldset>
      <div class="actions">
        <button class="btn primary">{t("next")}</button>
      </div>
    </form>
  );
}

function StepDetails({ d, set, returning }) {
  const [errs, setErrs] = useState({});
  const [busy, setBusy] = useState(false);
  const [info, setInfo] = useState(null);
  const summary = useRef(null);

  async function find() {
    setInfo(null);
    const q = d.query.trim();
    if (q.length < 2) { setErrs({ ...errs, place: t("err_place") }); return; }
    setBusy(true);
    try {
      const r = await call("GET", `/v1/geocode?q=${encodeURIComponent(q)}&lang=${lang.get()}`);
      const places = r.results || [];
      // the place table knows every served postcode: a well-formed Swiss or German postcode it
      // lacks is a real place we do not serve yet (not a typo to check)
      const unserved = !places.length && /^\d{4,5}$/.test(q);
      // "Bahnhofstrasse 1, 8001 Zürich" typed into one field: the street goes where the helper reads it
      const typedStreet = places.length && !d.street.trim() ? streetIn(q) : "";
      set({ places, place: places.length === 1 ? places[0] : null, unserved, ...(typedStreet ? { street: typedStreet } : {}) });
      setErrs({ ...errs, place: places.length ? null : unserved ? t("unserved") : t("no_place") });
    } catch (err) {
      setErrs({ ...errs, place: err.message });
    } finally { setBusy(false); }
  }

  function locate() {
    if (!navigator.geolocation) { setErrs({ ...errs, place: t("geo_denied") }); return; }
    setInfo(t("locating"));
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        const lat = +pos.coords.latitude.toFixed(5), lon = +pos.coords.longitude.toFixed(5);
        set({ place: { label: `${lat}, ${lon}`, lat, lon, postcode: null, city: null }, places: null });
        setErrs({ ...errs, place: null }); setInfo(null);
      },
      () => { setInfo(null); setErrs({ ...errs, place: t("geo_denied") }); },
      { timeout: 20000, maximumAge: 600000 });
  }

  function next(e) {
    e.preventDefault();
    const found = {};
    if (d.description.trim().length < 3) found.description = t("err_describe");
    if (d.mode === "onsite" && !d.place) found.place = d.unserved ? t("unserved") : t("err_place");
    if (d.mode === "onsite" && d.place && d.street.trim().length < 3) found.street = t("err_street");
    if (!d.asap && !d.at) found.at = t("err_time");
    setErrs(found);
    if (Object.keys(found).length) { requestAnimationFrame(() => summary.current && summary.current.focus()); return; }
    set(returning ? { step: 4, helper: "auto", helperName: "", helperPrice: null } : { step: 3 });
  }

  const errList = Object.values(errs).filter(Boolean);
  return (
    <form onSubmit={next} noValidate>
      <Progress n={2} />
      <Title>{t("q_describe")}</Title>
      {errList.length > 0 && <div class="alert" role="alert" tabIndex={-1} ref={summary}>{errList.map((e) => <p key={e} style="margin:0">{e}</p>)}</div>}
      <Field id="description" label={t("q_describe")} hint={t("describe_hint")} error={errs.description}>
        <textarea id="description" value={d.description} maxLength={2000}
          aria-invalid={errs.description ? "true" : undefined} aria-describedby={describedBy("description", true, errs.description)}
          onInput={(e) => set({ description: e.currentTarget.value })} />
      </Field>

      <fieldset>
        <legend>{t("q_how")}</legend>
        {["onsite", "remote"].map((m) => (
          <label class="choice" key={m}><input type="radio" name="mode" value={m} checked={d.mode === m} onChange={() => set({ mode: m })} />{t("mode_" + m)}</label>
        ))}
      </fieldset>

      <fieldset>
        <legend>{t("q_where")}</legend>
        <div class="field">
          <label for="where">{t("postcode")}</label>
          <div class="row">
            <input id="where" type="text" autocomplete="postal-code" value={d.query} style="flex:1 1 10rem"
              aria-invalid={errs.place ? "true" : undefined} aria-describedby={errs.place ? "where-error" : undefined}
              onInput={(e) => set({ query: e.currentTarget.value })}
              onKeyDown={(e) => { if (e.key === "Enter") { e.preventDefault(); find(); } }} />
            <button type="button" class="btn secondary" onClick={find} disabled={busy}>{t("find")}</button>
          </div>
          {errs.place && <p class="field-error" id="where-error">{errs.place}</p>}
          {errs.place && d.mode === "onsite" && <RemoteOffer set={(p) => { set(p); setErrs({ ...errs, place: null }); }} />}
        </div>
        <button type="button" class="btn secondary" onClick={locate}>{t("use_location")}</button>
        {info && <p role="status">{info}</p>}
        {d.places && d.places.length > 1 && (
          <fieldset style="margin-top:1rem">
            <legend>{t("choose_place")}</legend>
            {d.places.map((p) => (
              <label class="choice" key={p.label}><input type="radio" name="place" checked={d.place && d.place.label === p.label}
                onChange={() => { set({ place: p }); setErrs({ ...errs, place: null }); }} />{p.label}</label>
            ))}
          </fieldset>
        )}
        {d.place && <p class="success" role="status">{t("place_chosen", { label: d.place.label })}</p>}
        {d.place && d.mode === "onsite" && (
          <Field id="street" label={t("street")} error={errs.street}>
            <input id="street" type="text" autocomplete="street-address" value={d.street} aria-required="true"
              aria-invalid={errs.street ? "true" : undefined} aria-describedby={describedBy("street", null, errs.street)}
              onInput={(e) => set({ street: e.currentTarget.value })} />
          </Field>
        )}
      </fieldset>

      <fieldset>
        <legend>{t("q_when")}</legend>
        <label class="choice"><input type="radio" name="when" checked={d.asap} onChange={() => set({ asap: true })} />{t("asap")}</label>
        <label class="choice"><input type="radio" name="when" checked={!d.asap} onChange={() => set({ asap: false })} />{t("at_time")}</label>
        {!d.asap && (
          <Field id="at" label={t("time_label")} error={errs.at}>
            <input id="at" type="datetime-local" value={d.at} aria-invalid={errs.at ? "true" : undefined}
              aria-describedby={describedBy("at", null, errs.at)} onInput={(e) => set({ at: e.currentTarget.value })} />
          </Field>
        )}
      </fieldset>

      <div class="actions">
        <button type="button" class="btn secondary" onClick={() => set({ step: 1 })}>{t("back")}</button>
        <button class="btn primary">{t("next")}</button>
      </div>
    </form>
  );
}

// Not served here (yet): phone / remote help is offered instead, where it exists.
function RemoteOffer({ set }) {
  return (
    <div class="note" role="status">
      <p style="margin:0 0 .5rem">{t("unserved_remote")}</p>
      <button type="button" class="btn secondary" onClick={() => set({ mode: "remote", place: null, places: null, unserved: false })}>{t("use_remote")}</button>
    </div>
  );
}

// One card of GET /v1/discover (services/matching.py::_card): public facts only, no home or contact.
export function normaliseHelper(h) {
  const p = h.price || {};
  const rate = p.hourly_rate || {}, total = p.typical_total || {};
  const r = h.rating || {};
  return {
    id: h.helper_id, name: h.first_name || "", distance: h.distance_km,
    amount: rate.amount, currency: rate.currency || "CHF", total: total.amount, minutes: total.minutes, travel: total.travel || 0,
    avg: r.average, count: r.count || 0, languages: h.languages || [], qualifications: h.qualification_codes || [],
    available: h.available, why: h.why_codes || [],
  };
}

const catWord = (c) => { const w = t("cat_" + c); return lang.get() === "de" ? w : w.toLocaleLowerCase(lang.get()); };

// Why this helper, from the server's codes, in the reader's words and number format.
export function whyText(codes) {
  return codes.map((c) => {
    if (c.code === "km") return t("why_km", { km: num(c.km) });
    if (c.code === "remote") return c.languages && c.languages.length ? t("why_remote_langs", { langs: c.languages.map((x) => t("lang_" + x)).join(", ") }) : t("why_remote");
    if (c.code === "skill") return t("why_skill" + c.level, { cat: catWord(c.category) });
    if (c.code === "rated") return t(c.count === 1 ? "why_rated1" : "why_rated", { avg: num(c.avg), count: c.count });
    if (c.code === "new") return t("why_new");
    if (c.code === "on_call") return t("why_oncall");
    return null;
  }).filter(Boolean).join(", ");
}

function qualText(q) {
  return q.category ? t("qual", { cat: t("cat_" + q.category), level: t("lvl" + q.level) }) : q.text;
}

function priceLine(h) {
  const travel = h.travel ? t("incl_travel", { fee: money(h.travel, h.currency) }) : "";
  return t("typical_total", { price: money(h.total, h.currency), min: h.minutes, travel });
}

function whenFree(a) {
  if (a === "now") return t("can_come_now");
  if (!a) return null;
  const d = new Date(a);
  return t("can_come_at", { when: d.toLocaleString(locale(), { weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" }) });
}

function StepHelpers({ d, set }) {
  const [state, setState] = useState({ loading: true, helpers: [], off: false, error: null, unserved: false });
  useEffect(() => {
    if (!d.place && d.mode === "onsite") { setState({ loading: false, helpers: [], off: true }); return; }
    const q = new URLSearchParams({ category: d.category, mode: d.mode, language: lang.get() });
    if (d.place) { q.set("lat", d.place.lat); q.set("lon", d.place.lon); }
    if (!d.asap && d.at) q.set("at", new Date(d.at).toISOString());
    call("GET", "/v1/discover?" + q)
      .then((r) => {
        if (r.terms) { saveTerms(r.terms); set({ terms: r.terms }); }
        setState({ loading: false, helpers: (r.helpers || []).map(normaliseHelper), off: false });
      })
      .catch((err) => setState({ loading: false, helpers: [], off: missing(err), error: missing(err) ? null : err,
        unserved: !!(err.body && err.body.served_areas) }));
  }, [d.place && d.place.lat, d.place && d.place.lon, d.category, d.mode, d.asap, d.at]);

  const pick = (h) => set({ helper: h.id, helperName: h.name, helperPrice: { rate: h.amount, total: h.total, travel: h.travel, currency: h.currency }, step: 4 });
  return (
    <div>
      <Progress n={3} />
      <Title>{t("helpers_title")}</Title>
      <div class="card auto">
        <p style="margin-top:0">{t("let_us_choose_hint")}</p>
        <button type="button" class="btn primary wide" onClick={() => set({ helper: "auto", helperName: "", helperPrice: null, step: 4 })}>{t("let_us_choose")}</button>
      </div>
      {state.loading && <p role="status">{t("loading")}</p>}
      <Alert error={state.error} />
      {state.unserved && d.mode === "onsite" && <RemoteOffer set={(p) => set({ ...p, step: 3 })} />}
      {state.off && <p class="note">{t("discovery_off")}</p>}
      {!state.loading && !state.off && !state.error && state.helpers.length === 0 && <p class="note">{t("no_helpers")}</p>}
      {state.helpers.length > 0 && <h2>{t("or_choose")}</h2>}
      <ul class="helpers" aria-label={t("helpers_title")}>
        {state.helpers.map((h) => (
          <li key={h.id} data-helper={h.id} class={"card" + (d.helper === h.id ? " selected" : "")}>
            <h3>{h.name}</h3>
            <p class="meta">{[h.count ? t("rating", { avg: num(h.avg), count: h.count }) : t("no_rating"),
              h.distance != null ? t("km_away", { km: num(h.distance) }) : null].filter(Boolean).join(" · ")}</p>
            {h.amount != null && <p class="meta"><strong>{t("per_hour", { price: money(h.amount, h.currency) })}</strong>
              {h.total != null && <> · <span data-testid="typical-total" data-amount={h.total}>{priceLine(h)}</span></>}</p>}
            {whenFree(h.available) && <p class="meta">{whenFree(h.available)}</p>}
            <details>
              <summary>{t("more_about", { name: h.name })}</summary>
              {h.why.length > 0 && <p class="meta">{t("why", { why: whyText(h.why) })}</p>}
              {h.qualifications.length > 0 && <p class="meta">{h.qualifications.map(qualText).join(" · ")}</p>}
              {h.languages.length > 0 && <p class="meta">{t("speaks", { langs: h.languages.map((x) => t("lang_" + x)).join(", ") })}</p>}
            </details>
            <button type="button" class={"btn " + (d.helper === h.id ? "primary" : "secondary")} aria-pressed={d.helper === h.id ? "true" : "false"}
              onClick={() => pick(h)}>
              {d.helper === h.id ? t("chosen") + " – " + h.name : t("choose_helper", { name: h.name })}
            </button>
          </li>
        ))}
      </ul>
      <div class="actions">
        <button type="button" class="btn secondary" onClick={() => set({ step: 2 })}>{t("back")}</button>
      </div>
    </div>
  );
}

// A returning customer's details from her last booking (any device): name, phone, address, and
// whether a card is saved. Fills only what she has not typed.
function useDefaults(session) {
  const [defaults, setDefaults] = useState(null);
  useEffect(() => {
    if (!session) return;
    call("GET", "/v1/me/booking-defaults", undefined, "customer").then((x) => {
      setDefaults(x);
      const cur = draft.get(), patch = {};
      if (!cur.name && x.name) patch.name = x.name;
      if (!cur.phone && x.phone) patch.phone = x.phone;
      const a = x.address;
      if (a && !cur.place && cur.mode === "onsite") Object.assign(patch, { place: a.place, street: cur.street || a.street || "", query: a.place.postcode || "" });
      if (Object.keys(patch).length) draft.set({ ...cur, ...patch });
    }).catch(() => setDefaults(null));
  }, [session && session.token]);
  return defaults;
}

// Next to the card field: which amount is held (not charged) and what is paid in the end.
function holdNote(d) {
  const x = d.terms;
  if (!x || !x.hold) return t("card_hint");
  const travel = d.mode === "onsite" && x.travel_fee && x.travel_fee.amount ? t("hold_travel", { fee: money(x.travel_fee.amount, x.travel_fee.currency) }) : "";
  return t("hold_note", { amount: money(x.hold.amount, x.hold.currency), travel });
}

function StepConfirm({ d, set, defaults }) {
  const session = use(sessions.customer);
  const [errs, setErrs] = useState({});
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const box = useRef(null);

  async function book(e) {
    e.preventDefault();
    setError(null);
    const found = {};
    if (!d.name.trim()) found.name = t("err_name");
    if (d.mode === "onsite" && d.phone.replace(/[^0-9]/g, "").length < 6) found.phone = t("err_phone_onsite");
    setErrs(found);
    if (Object.keys(found).length) return;
    const idem = d.idem || (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
    set({ idem });
    const body = {
      category: d.category, description: d.description.trim(), mode: d.mode, language: lang.get(),
      wanted: d.asap ? { asap: true } : { asap: false, at: new Date(d.at).toISOString() },
      contact: { name: d.name.trim(), ...(d.phone.trim() ? { phone: d.phone.trim() } : {}), email: session.email },
    };
    if (d.place) {
      body.location = { lat: d.place.lat, lon: d.place.lon,
        ...(d.street.trim() ? { address: d.street.trim() } : {}),
        ...(d.place.postcode ? { postcode: d.place.postcode } : {}), ...(d.place.city ? { city: d.place.city } : {}) };
    }
    if (d.helper && d.helper !== "auto") body.preferred_helper_id = d.helper;
    if (attribution()) body.attribution = attribution();  // a partner's flow: its campaign into the booking
    setBusy(true);
    try {
      // the saved card is offered to a returning customer; otherwise the typed card is held
      const card = box.current ? await box.current.choose() : null;
      let id = d.bookingId;
      if (id) {
        // the booking exists and waits for its card (one was declined): hold it there, no second booking
        if (card) await call("POST", `/v1/bookings/${id}/payment`, card, "customer");
      } else {
        try { id = (await fetchBooking(card ? { ...body, payment: card } : body, idem)).booking_id; }
        catch (err) { if (err.body && err.body.booking_id) set({ bookingId: err.body.booking_id }); throw err; }
      }
      try { localStorage.setItem("cf.me", JSON.stringify({ name: d.name.trim(), phone: d.phone.trim(),
        ...(d.mode === "onsite" && d.place ? { street: d.street.trim(), place: d.place, query: d.query } : {}) })); } catch (e) { /* ignore */ }
      draft.set(fresh());
      go(pathTo("booking", { booking_id: id }));
    } catch (err) {
      // a request that ended unpaid is gone: the next try books anew
      if (err.body && err.body.code === "booking_ended_unpaid") set({ bookingId: "", idem: "" });
      setError(err);
      if (err.field === "contact.phone") setErrs({ phone: err.message });
    } finally { setBusy(false); }
  }

  async function fetchBooking(body, idem) {
    const resp = await fetch("/v1/bookings", { method: "POST", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + sessions.customer.get().token, "Idempotency-Key": idem } })
      .catch(() => { throw new ApiError(0, { detail: t("err_network") }); });
    const data = await resp.json().catch(() => null);
    if (!resp.ok) throw new ApiError(resp.status, data);
    return data;
  }

  return (
    <div>
      <Progress n={4} />
      <Title>{t("details_title")}</Title>
      <div class="card">
        <h2 style="margin-top:0">{t("summary")}</h2>
        <p class="meta"><strong>{t("cat_" + d.category)}</strong> – {d.description}</p>
        <p class="meta">{t("mode_" + d.mode)}</p>
        {d.mode === "onsite" && d.place && <p class="meta" data-testid="summary-address">{t("sum_address", { address: [d.street.trim(), d.place.label].filter(Boolean).join(", ") })}</p>}
        {d.mode === "remote" && d.place && <p class="meta">{d.place.label}</p>}
        <p class="meta">{d.asap ? t("asap") : new Date(d.at).toLocaleString(locale())}</p>
        <p class="meta">{d.helper !== "auto" && d.helperName ? t("your_helper", { name: d.helperName }) : t("let_us_choose")}
          {" "}<button type="button" class="linkbtn" onClick={() => set({ step: 3 })}>{t("choose_myself")}</button></p>
        {d.helper !== "auto" && d.helperPrice && d.helperPrice.total != null && (
          <p class="meta" data-testid="summary-price" data-amount={d.helperPrice.total}>{t("sum_price", { rate: money(d.helperPrice.rate, d.helperPrice.currency), total: money(d.helperPrice.total, d.helperPrice.currency) })}</p>)}
      </div>
      {!session ? <SignIn role="customer" /> : (
        <form onSubmit={book} noValidate>
          <SignIn role="customer" />
          <Field id="name" label={t("your_name")} error={errs.name}>
            <input id="name" type="text" autocomplete="name" value={d.name} aria-invalid={errs.name ? "true" : undefined}
              aria-describedby={describedBy("name", null, errs.name)} onInput={(e) => set({ name: e.currentTarget.value })} />
          </Field>
          <Field id="phone" label={t("your_phone")} error={errs.phone}>
            <input id="phone" type="tel" autocomplete="tel" value={d.phone} aria-invalid={errs.phone ? "true" : undefined}
              aria-describedby={describedBy("phone", null, errs.phone)} onInput={(e) => set({ phone: e.currentTarget.value })} />
          </Field>
          <h2>{t("card_title")}</h2>
          {d.bookingId && <p class="note" data-testid="retry-card">{t("retry_card")}</p>}
          <Lazy load={cardBox} box={box} saved={defaults && defaults.saved_card} useSaved={d.useSaved !== false} setUseSaved={(v) => set({ useSaved: v })}
            note={<p class="hint" id="hold-note" data-testid="hold-note" data-amount={d.terms ? d.terms.hold.amount : undefined}>{holdNote(d)}</p>} />
          <Alert error={error} />
          <div class="actions">
            <button type="button" class="btn secondary" onClick={() => set({ step: 3 })}>{t("back")}</button>
            <button class="btn primary" disabled={busy}>{busy ? t("booking") : t("book_now")}</button>
          </div>
        </form>
      )}
      {!session && <div class="actions"><button type="button" class="btn secondary" onClick={() => set({ step: 3 })}>{t("back")}</button></div>}
    </div>
  );
}
