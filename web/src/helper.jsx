// The helper app: offers inbox that updates itself and rings (service worker + Web Push), jobs with
// on-the-way / start / finish with minutes worked, profile, availability with on-call, earnings.
import { useEffect, useRef, useState } from "preact/hooks";
import { call, missing, sessions, setSession } from "./api.js";
import { CATEGORIES, CategoryIcon } from "./icons.jsx";
import { LANGS, lang, money, num, t, when } from "./i18n.js";
import { go, route, use } from "./state.js";
import { Alert, Field, SignIn, Title, usePolling } from "./ui.jsx";
import { Photo } from "./photo.jsx";

const TABS = ["offers", "jobs", "profile", "photo", "availability", "earnings"];
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

export function HelperApp() {
  const session = use(sessions.helper);
  const path = use(route);
  const tab = TABS.find((x) => path === "/helper/" + x) || "offers";
  useEffect(() => {
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
  }, []);
  if (!session) {
    return <><Title>{t("helper_title")}</Title><SignIn role="helper" title={t("helper_signin")} /></>;
  }
  return (
    <div>
      <Title>{t("tab_" + tab)}</Title>
      <nav class="tabs" aria-label={t("helper_title")}>
        {TABS.map((x) => (
          <button type="button" key={x} aria-current={x === tab ? "page" : undefined} onClick={() => go("/helper/" + x)}>{t("tab_" + x)}</button>
        ))}
        <button type="button" onClick={() => { setSession("helper", null); go("/helper"); }}>{t("sign_out")}</button>
      </nav>
      {tab === "offers" && <Offers />}
      {tab === "jobs" && <Jobs />}
      {tab === "profile" && <Profile />}
      {tab === "photo" && <Photo />}
      {tab === "availability" && <Availability />}
      {tab === "earnings" && <Earnings />}
    </div>
  );
}

function Ring() {
  const [state, setState] = useState(typeof Notification !== "undefined" && Notification.permission === "granted" ? "ready" : "idle");
  async function enable() {
    try {
      const perm = await Notification.requestPermission();
      if (perm !== "granted") { setState("blocked"); return; }
      const reg = await navigator.serviceWorker.ready;
      try {
        const cfg = await call("GET", "/v1/push/vapid-public-key");
        const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64url(cfg.public_key) });
        await call("POST", "/v1/push/subscriptions", { ...sub.toJSON(), device: "web" }, "helper");
        setState("ready");
      } catch (err) {
        // e.g. headless browsers or a blocked push service: no ringing, the inbox still refreshes itself
        setState("off");
      }
    } catch (e) { setState("blocked"); }
  }
  if (state === "ready") return <p class="success" role="status">{t("notif_ready")}</p>;
  return (
    <div>
      {state === "blocked" && <p class="alert">{t("notif_blocked")}</p>}
      {state === "off" && <p class="note">{t("notif_off")}</p>}
      {state !== "off" && <button type="button" class="btn secondary" onClick={enable}>{t("notif_on")}</button>}
    </div>
  );
}

function b64url(s) {
  const pad = "=".repeat((4 - (s.length % 4)) % 4);
  const raw = atob((s + pad).replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

function Offers() {
  const [offers, setOffers] = useState(null);
  const [error, setError] = useState(null);
  const [msg, setMsg] = useState(null);
  const [busy, setBusy] = useState(null);
  const seen = useRef(null);
  const [fresh, setFresh] = useState(0);

  const load = async () => {
    try {
      const items = (await call("GET", "/v1/helper/offers", undefined, "helper")).items;
      const ids = new Set(items.map((o) => o.booking_id));
      if (seen.current && items.some((o) => !seen.current.has(o.booking_id))) setFresh((n) => n + 1);
      seen.current = ids;
      setOffers(items); setError(null);
    } catch (err) { setError(err); }
  };
  usePolling(load, 4000, true);
  // A push message makes the inbox refresh at once (the notification itself is shown by sw.js).
  useEffect(() => {
    if (!("serviceWorker" in navigator)) return undefined;
    const onMsg = (e) => { if (e.data && e.data.type === "push") load(); };
    navigator.serviceWorker.addEventListener("message", onMsg);
    return () => navigator.serviceWorker.removeEventListener("message", onMsg);
  }, []);

  async function answer(id, what) {
    setBusy(id); setMsg(null); setError(null);
    try {
      await call("POST", `/v1/bookings/${id}/${what}`, {}, "helper");
      setMsg(t(what === "accept" ? "accepted" : "declined"));
      await load();
      if (what === "accept") go("/helper/jobs");
    } catch (err) { setError(err); await load(); }
    finally { setBusy(null); }
  }

  return (
    <section>
      <Ring />
      <div role="status" aria-live="polite">{fresh > 0 && offers && offers.length > 0 && <p class="badge">{t("new_offer")}</p>}{msg && <p class="success">{msg}</p>}</div>
      <Alert error={error} />
      {offers && offers.length === 0 && <p>{t("offers_empty")}</p>}
      {!offers && !error && <p role="status">{t("loading")}</p>}
      <ul style="list-style:none;padding:0">
        {(offers || []).map((o) => {
          const s = o.summary || {};
          return (
            <li key={o.booking_id} class="card" data-booking={o.booking_id}>
              <div class="row"><CategoryIcon name={s.category} /><h2 style="margin:0">{t("cat_" + s.category)}</h2></div>
              <p>{s.description}</p>
              <p class="meta">{t("mode_" + s.mode)}{s.postcode || s.city ? " · " + [s.postcode, s.city].filter(Boolean).join(" ") : ""}
                {o.why && o.why.distance_km != null ? " · " + t("km_away", { km: num(o.why.distance_km) }) : ""}</p>
              <p class="meta">{s.wanted && s.wanted.asap === false ? when(s.wanted.at) : t("asap")}</p>
              {o.expires_at && <p class="meta">{t("expires", { time: when(o.expires_at) })}</p>}
              <div class="actions">
                <button type="button" class="btn primary" disabled={busy === o.booking_id} onClick={() => answer(o.booking_id, "accept")}>{t("accept")}</button>
                <button type="button" class="btn secondary" disabled={busy === o.booking_id} onClick={() => answer(o.booking_id, "decline")}>{t("decline")}</button>
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

const NEXT = { assigned: ["depart", "start"], en_route: ["start"], started: ["complete"] };

function Jobs() {
  const [jobs, setJobs] = useState(null);
  const [error, setError] = useState(null);
  const load = async () => {
    try { setJobs((await call("GET", "/v1/bookings?limit=50", undefined, "helper")).items); setError(null); } catch (err) { setError(err); }
  };
  usePolling(load, 8000, true);
  return (
    <section>
      <Alert error={error} />
      {jobs && jobs.length === 0 && <p>{t("jobs_empty")}</p>}
      <ul style="list-style:none;padding:0">{(jobs || []).map((b) => <Job key={b.booking_id} b={b} onChange={load} />)}</ul>
    </section>
  );
}

function Job({ b, onChange }) {
  const [minutes, setMinutes] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  async function step(what) {
    setError(null);
    let body = {};
    if (what === "complete") {
      const m = parseInt(minutes, 10);
      if (!(m >= 1 && m <= 1440)) { setError(t("minutes_label") + ": 1–1440"); return; }
      body = { minutes_worked: m };
    }
    setBusy(true);
    try { await call("POST", `/v1/bookings/${b.booking_id}/${what}`, body, "helper"); if (what === "complete") setDone(true); await onChange(); }
    catch (err) { setError(err); }
    finally { setBusy(false); }
  }
  const loc = b.location || {};
  const c = b.contact || {};
  return (
    <li class="card" data-booking={b.booking_id}>
      <div class="row"><CategoryIcon name={b.category} /><h2 style="margin:0">{t("cat_" + b.category)}</h2></div>
      <p class="state" data-state={b.state}>{t("hst_" + b.state) === "hst_" + b.state ? t("st_" + b.state) : t("hst_" + b.state)}</p>
      <p>{b.description}</p>
      {(loc.address || loc.postcode) && <p class="meta">{[loc.address, loc.postcode, loc.city].filter(Boolean).join(", ")}</p>}
      {c.name && <p class="meta">{c.name}{c.phone ? " · " : ""}{c.phone && <a href={"tel:" + c.phone.replace(/[^+0-9]/g, "")}>{c.phone}</a>}</p>}
      {b.minutes_worked != null && <p class="meta">{t("minutes_worked", { min: b.minutes_worked })}</p>}
      {done && <p class="success" role="status">{t("job_done")}</p>}
      <Alert error={error} />
      {NEXT[b.state] && (
        <div>
          {b.state === "started" && (
            <Field id={"min-" + b.booking_id} label={t("minutes_label")}>
              <input id={"min-" + b.booking_id} type="number" inputMode="numeric" min="1" max="1440" value={minutes} onInput={(e) => setMinutes(e.currentTarget.value)} />
            </Field>
          )}
          <AskMore b={b} onChange={onChange} />
          <div class="actions">
            {NEXT[b.state].map((s) => <button type="button" key={s} class={"btn " + (s === NEXT[b.state][0] ? "primary" : "secondary")} disabled={busy} onClick={() => step(s)}>{t(s)}</button>)}
          </div>
        </div>
      )}
    </li>
  );
}

// Ask the customer to allow more than the price limit (a part, more time). Amount in CHF here,
// sent as minor units; the customer answers in the booking page.
function AskMore({ b, onChange }) {
  const x = b.extra_approval;
  const [open, setOpen] = useState(false);
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const cur = (b.price_cap && b.price_cap.currency) || "CHF";
  async function send(e) {
    e.preventDefault(); setError(null);
    const minor = Math.round(parseFloat(String(amount).replace(",", ".")) * 100);
    if (!(minor >= 1)) { setError(t("more_amount") + ": > 0"); return; }
    setBusy(true);
    try {
      await call("POST", `/v1/bookings/${b.booking_id}/extra-approval`, { amount: minor, currency: cur, reason }, "helper");
      setOpen(false); await onChange();
    } catch (err) { setError(err); }
    finally { setBusy(false); }
  }
  const fmt = x ? { amount: money(x.amount, x.currency), limit: money(x.new_limit, x.currency) } : {};
  return (
    <div>
      {x && x.status === "pending" && <p class="note" role="status">{t("more_waiting", fmt)}</p>}
      {x && x.status === "approved" && <p class="success">{t("more_ok", fmt)}</p>}
      {x && x.status === "declined" && <p class="note">{t("more_not", fmt)}</p>}
      {!(x && x.status === "pending") && (!open ? (
        <div class="actions"><button type="button" class="btn secondary" onClick={() => setOpen(true)}>{t("more_ask")}</button></div>
      ) : (
        <form onSubmit={send} noValidate>
          <Field id={"more-amt-" + b.booking_id} label={t("more_amount")}>
            <input id={"more-amt-" + b.booking_id} type="text" inputMode="decimal" value={amount} onInput={(e) => setAmount(e.currentTarget.value)} />
          </Field>
          <Field id={"more-why-" + b.booking_id} label={t("more_why")}>
            <input id={"more-why-" + b.booking_id} type="text" maxLength={300} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          </Field>
          <Alert error={error} />
          <div class="actions"><button class="btn primary" disabled={busy}>{t("more_send")}</button></div>
        </form>
      ))}
    </div>
  );
}

function Profile() {
  const [p, setP] = useState(null);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);
  const [where, setWhere] = useState("");
  useEffect(() => { call("GET", "/v1/helper/profile", undefined, "helper").then(setP).catch(setError); }, []);
  if (!p) return <><Alert error={error} />{!error && <p role="status">{t("loading")}</p>}</>;
  const upd = (patch) => { setSaved(false); setP({ ...p, ...patch }); };

  async function findArea() {
    setError(null);
    try {
      const r = await call("GET", `/v1/geocode?q=${encodeURIComponent(where)}&lang=${lang.get()}`);
      if (!r.results.length) { setError(t("no_place")); return; }
      const f = r.results[0];
      upd({ area: { ...p.area, lat: f.lat, lon: f.lon, city: f.city } });
    } catch (err) { setError(err); }
  }
  async function save(e) {
    e.preventDefault();
    setError(null); setSaved(false);
    const skills = Object.fromEntries(Object.entries(p.skills).filter(([, v]) => v > 0));
    try {
      const r = await call("PUT", "/v1/helper/profile", {
        first_name: p.first_name, bio: p.bio || null, skills, languages: p.languages, remote: p.remote,
        hourly_rate: p.hourly_rate.amount, area: { lat: p.area.lat, lon: p.area.lon, radius_km: p.area.radius_km, ...(p.area.city ? { city: p.area.city } : {}) },
      }, "helper");
      setP(r); setSaved(true);
    } catch (err) { setError(err); }
  }
  return (
    <form onSubmit={save} noValidate>
      <Field id="pf-name" label={t("profile_first_name")}>
        <input id="pf-name" type="text" value={p.first_name} onInput={(e) => upd({ first_name: e.currentTarget.value })} />
      </Field>
      <Field id="pf-bio" label={t("profile_bio")}>
        <textarea id="pf-bio" value={p.bio || ""} maxLength={600} onInput={(e) => upd({ bio: e.currentTarget.value })} />
      </Field>
      <h2>{t("skills")}</h2>
      {CATEGORIES.map((c) => (
        <div class="skillrow" key={c}>
          <label for={"sk-" + c}>{t("cat_" + c)}</label>
          <select id={"sk-" + c} value={p.skills[c] || 0} onChange={(e) => upd({ skills: { ...p.skills, [c]: +e.currentTarget.value } })}>
            {[0, 1, 2, 3].map((l) => <option value={l} key={l}>{t("lvl" + l)}</option>)}
          </select>
        </div>
      ))}
      <h2>{t("area")}</h2>
      <p class="meta">{p.area.city || ""} ({p.area.lat}, {p.area.lon})</p>
      <div class="field">
        <label for="pf-where">{t("postcode")}</label>
        <div class="row">
          <input id="pf-where" type="text" value={where} style="flex:1 1 10rem" onInput={(e) => setWhere(e.currentTarget.value)} />
          <button type="button" class="btn secondary" onClick={findArea}>{t("find")}</button>
        </div>
      </div>
      <Field id="pf-radius" label={t("radius")}>
        <input id="pf-radius" type="number" min="1" max="100" value={p.area.radius_km} onInput={(e) => upd({ area: { ...p.area, radius_km: +e.currentTarget.value } })} />
      </Field>
      <Field id="pf-rate" label={t("rate", { cur: p.hourly_rate.currency })}>
        <input id="pf-rate" type="number" min="10" max="500" step="1" value={p.hourly_rate.amount / 100}
          onInput={(e) => upd({ hourly_rate: { ...p.hourly_rate, amount: Math.round(+e.currentTarget.value * 100) } })} />
      </Field>
      <fieldset>
        <legend>{t("languages_spoken")}</legend>
        {LANGS.map((l) => (
          <label class="choice" key={l}><input type="checkbox" checked={p.languages.includes(l)}
            onChange={(e) => upd({ languages: e.currentTarget.checked ? [...p.languages, l] : p.languages.filter((x) => x !== l) })} />{t("lang_" + l)}</label>
        ))}
      </fieldset>
      <label class="choice"><input type="checkbox" checked={p.remote} onChange={(e) => upd({ remote: e.currentTarget.checked })} />{t("remote_ok")}</label>
      <Alert error={error} />
      {saved && <p class="success" role="status">{t("saved")}</p>}
      <div class="actions"><button class="btn primary">{t("save")}</button></div>
    </form>
  );
}

function Availability() {
  const [a, setA] = useState(null);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => { call("GET", "/v1/helper/profile", undefined, "helper").then((p) => setA(p.availability)).catch(setError); }, []);
  if (!a) return <><Alert error={error} />{!error && <p role="status">{t("loading")}</p>}</>;
  const upd = (patch) => { setSaved(false); setA({ ...a, ...patch }); };
  const setDay = (d, span) => { const w = { ...a.weekly }; if (span) w[d] = [span]; else delete w[d]; upd({ weekly: w }); };
  async function save(e) {
    e.preventDefault(); setError(null);
    try { setA(await call("PUT", "/v1/helper/availability", a, "helper")); setSaved(true); } catch (err) { setError(err); }
  }
  return (
    <form onSubmit={save} noValidate>
      <label class="choice"><input type="checkbox" checked={a.on_call} onChange={(e) => upd({ on_call: e.currentTarget.checked })} />{t("on_call")}</label>
      <label class="choice"><input type="checkbox" checked={a.off_duty} onChange={(e) => upd({ off_duty: e.currentTarget.checked })} />{t("off_duty")}</label>
      <h2>{t("weekly")}</h2>
      {DAYS.map((d) => {
        const span = (a.weekly[d] || [])[0];
        return (
          <fieldset key={d} class="card">
            <legend>{t("day_" + d)}</legend>
            <label class="choice"><input type="checkbox" checked={!!span} onChange={(e) => setDay(d, e.currentTarget.checked ? ["08:00", "17:00"] : null)} />{t("day_" + d)}</label>
            {span && (
              <div class="row">
                <label for={"from-" + d} style="font-weight:400">{t("from")}</label>
                <input id={"from-" + d} type="time" value={span[0]} onInput={(e) => setDay(d, [e.currentTarget.value, span[1]])} />
                <label for={"to-" + d} style="font-weight:400">{t("to")}</label>
                <input id={"to-" + d} type="time" value={span[1]} onInput={(e) => setDay(d, [span[0], e.currentTarget.value])} />
              </div>
            )}
          </fieldset>
        );
      })}
      <Alert error={error} />
      {saved && <p class="success" role="status">{t("saved")}</p>}
      <div class="actions"><button class="btn primary">{t("save")}</button></div>
    </form>
  );
}

function Earnings() {
  const [e, setE] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => { call("GET", "/v1/helper/earnings", undefined, "helper").then(setE).catch(setError); }, []);
  if (!e) return <><Alert error={error} />{!error && <p role="status">{t("loading")}</p>}</>;
  return (
    <section>
      <h2>{t("earn_total")}</h2>
      <p class="big-number" data-testid="earnings-total">{money(e.total, e.currency)}</p>
      <p>{t("earn_jobs", { n: e.jobs, min: e.minutes_worked })}</p>
      <p class="hint">{t("earn_basis")}</p>
      {e.items.length > 0 && (
        <table>
          <thead><tr><th scope="col">{t("time_label")}</th><th scope="col">{t("skills")}</th><th scope="col">{t("minutes_label")}</th><th scope="col">{e.currency}</th></tr></thead>
          <tbody>{e.items.map((i) => <tr key={i.booking_id}><td>{when(i.completed_at)}</td><td>{t("cat_" + i.category)}</td><td>{i.minutes_worked}</td><td>{money(i.amount, e.currency)}</td></tr>)}</tbody>
        </table>
      )}
    </section>
  );
}
