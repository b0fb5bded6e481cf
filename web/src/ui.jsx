// Small shared pieces: a heading that takes focus when a screen changes, labelled fields with
// their error, the problem-detail alert, and sign-in by e-mailed code.
import { useEffect, useRef, useState } from "preact/hooks";
import { exchangeCode, requestCode, sessions, setSession } from "./api.js";
import { lang, t } from "./i18n.js";
import { use } from "./state.js";

export function Title({ children, id }) {
  const ref = useRef(null);
  useEffect(() => { if (ref.current) ref.current.focus({ preventScroll: false }); }, [children]);
  return <h1 tabIndex={-1} ref={ref} id={id}>{children}</h1>;
}

export function Alert({ error }) {
  if (!error) return null;
  const text = typeof error === "string" ? error : error.message;
  return <div class="alert" role="alert">{text}</div>;
}

export function Field({ id, label, hint, error, children }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint && <p class="hint" id={id + "-hint"}>{hint}</p>}
      {children}
      {error && <p class="field-error" id={id + "-error"}>{error}</p>}
    </div>
  );
}

export function describedBy(id, hint, error) {
  return [hint && id + "-hint", error && id + "-error"].filter(Boolean).join(" ") || undefined;
}

export function SignIn({ role, onDone, title }) {
  const session = use(sessions[role]);
  const [email, setEmail] = useState("");
  const [code, setCode] = useState("");
  const [sent, setSent] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [info, setInfo] = useState(null);
  const [locked, setLocked] = useState(false);
  const [fieldErr, setFieldErr] = useState({});

  if (session) {
    return (
      <div class="success" role="status">
        {t("signed_in_as", { email: session.email })}{" "}
        <button type="button" class="linkbtn" onClick={() => { setSession(role, null); setSent(false); setCode(""); setLocked(false); }}>{t("other_email")}</button>
      </div>
    );
  }

  async function sendCode(again) {
    setError(null); setInfo(null);
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email.trim())) { setFieldErr({ email: t("err_email") }); setSent(false); return; }
    setFieldErr({}); setBusy(true);
    try {
      await requestCode(role, email.trim(), lang.get());
      setSent(true); setCode(""); setLocked(false);
      if (again) setInfo(t("new_code_sent", { email: email.trim() }));
    } catch (err) { setError(err); }
    finally { setBusy(false); }
  }
  function send(e) { e.preventDefault(); sendCode(false); }
  async function confirm(e) {
    e.preventDefault();
    setError(null); setInfo(null);
    if (!/^\d{6}$/.test(code.trim())) { setFieldErr({ code: t("err_code") }); return; }
    setFieldErr({}); setBusy(true);
    try { await exchangeCode(role, email.trim(), code.trim()); onDone && onDone(); }
    catch (err) {
      // wrong code: say so at the field; too many or no longer valid: only a new code helps
      if (err.status === 429) { setLocked(true); setError(err); }
      else if (err.status === 401 && err.field === "code") setFieldErr({ code: err.message });
      else if (err.status === 401) { setLocked(true); setError(t("err_code_old")); }
      else setError(err);
    }
    finally { setBusy(false); }
  }
  function otherEmail() { setSent(false); setCode(""); setLocked(false); setError(null); setInfo(null); setFieldErr({}); }

  return (
    <section aria-labelledby={"signin-" + role}>
      <h2 id={"signin-" + role}>{title || t("signin_title")}</h2>
      <p>{t("signin_why")}</p>
      <Alert error={error} />
      {!sent ? (
        <form key="email" onSubmit={send} noValidate>
          <Field id={"email-" + role} label={t("email")} error={fieldErr.email}>
            <input key="email-input" id={"email-" + role} type="email" autocomplete="email" inputMode="email" value={email}
              aria-invalid={fieldErr.email ? "true" : undefined} aria-describedby={describedBy("email-" + role, null, fieldErr.email)}
              onInput={(e) => setEmail(e.currentTarget.value)} />
          </Field>
          <button class="btn primary" disabled={busy}>{t("send_code")}</button>
        </form>
      ) : (
        <form key="code" onSubmit={confirm} noValidate>
          <p class="note" role="status">{info || t("code_sent", { email })}</p>
          {!locked && (
            <Field id={"code-" + role} label={t("code")} error={fieldErr.code}>
              <input key="code-input" id={"code-" + role} type="text" inputMode="numeric" autocomplete="one-time-code" maxLength={6} value={code}
                aria-invalid={fieldErr.code ? "true" : undefined} aria-describedby={describedBy("code-" + role, null, fieldErr.code)}
                onInput={(e) => setCode(e.currentTarget.value)} />
            </Field>
          )}
          <div class="actions">
            {!locked && <button class="btn primary" disabled={busy}>{t("confirm_code")}</button>}
            <button type="button" class={"btn " + (locked ? "primary" : "secondary")} disabled={busy} onClick={() => sendCode(true)}>{t("send_new_code")}</button>
            <button type="button" class="btn secondary" onClick={otherEmail}>{t("other_email")}</button>
          </div>
        </form>
      )}
    </section>
  );
}

// Poll a loader every `ms` while `active`; also when the tab becomes visible again.
export function usePolling(fn, ms, active, deps = []) {
  useEffect(() => {
    if (!active) return undefined;
    let stopped = false;
    let timer;
    const tick = async () => {
      try { await fn(); } catch (e) { /* the caller shows errors */ }
      if (!stopped) timer = setTimeout(tick, ms);
    };
    tick();
    const onVis = () => { if (document.visibilityState === "visible") { clearTimeout(timer); tick(); } };
    document.addEventListener("visibilitychange", onVis);
    return () => { stopped = true; clearTimeout(timer); document.removeEventListener("visibilitychange", onVis); };
  }, [active, ms, ...deps]);
}

// Parts loaded only when opened, so the booking page stays small.
// A screen part in a chunk of its own: shown at once when its loader already has it (.value: the
// boot module fetched it beside the app), else after a "loading" line.
// ``name`` picks one export when the loader gives a whole module.
export function Lazy({ load, name, ...props }) {
  const m = useChunk(load);
  const Mod = m && (name ? m[name] : m);
  return Mod ? <Mod {...props} /> : <p role="status">{t("loading")}</p>;
}
// What a chunk's loader gives: at once when it has it already (screens.js keeps it on .value),
// else null until it is in (then one re-render).
export function useChunk(load) {
  const [got, setGot] = useState(null);
  useEffect(() => { if (!load.value) load().then((v) => setGot({ load, v })); }, [load]);
  return load.value || (got && got.load === load ? got.v : null);
}
export const cardBox = () => import("./card.jsx").then((m) => m.CardBox);
