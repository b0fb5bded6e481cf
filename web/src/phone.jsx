// The customer confirms her mobile number with a texted code; only then does crowdfix send her
// text messages (the API refuses SMS to an unconfirmed number). Loaded with the bookings list.
import { useEffect, useState } from "preact/hooks";
import { call } from "./api.js";
import { lang, t } from "./i18n.js";
import { Alert, describedBy, Field } from "./ui.jsx";

// "079 123 45 67" stays as typed by many: spaces, dashes, brackets and a leading 00 are tidied;
// the country code must be there (the API takes +<country><number>).
export function tidyPhone(text) {
  let p = String(text || "").replace(/[\s\-().\/]/g, "");
  if (p.startsWith("00")) p = "+" + p.slice(2);
  return p;
}
const PHONE_RX = /^\+[1-9][0-9]{6,14}$/;

export function PhoneVerification() {
  const [prefs, setPrefs] = useState(null);
  const [phone, setPhone] = useState("");
  const [code, setCode] = useState("");
  const [step, setStep] = useState("number"); // number | code | done
  const [errs, setErrs] = useState({});
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  async function load() {
    try {
      const p = await call("GET", "/v1/me/notification-settings", undefined, "customer");
      setPrefs(p);
      if (p.phone) setPhone(p.phone);
      setStep(p.phone && p.phone_verified && p.sms ? "done" : "number");
    } catch (err) { setError(err); }
  }
  useEffect(() => { load(); }, []);

  async function sendCode(e) {
    if (e) e.preventDefault();
    setError(null);
    const p = tidyPhone(phone);
    if (!PHONE_RX.test(p)) { setErrs({ phone: t("ph_err_number") }); return; }
    setErrs({}); setBusy(true);
    try {
      // the number texts go to: kept in the settings, confirmed by the code
      const { phone_verified, quiet_hours, ...kept } = prefs || {};
      await call("PUT", "/v1/me/notification-settings", { ...kept, email: kept.email ?? true, sms: true, phone: p }, "customer");
      await call("POST", "/v1/me/phone-verification", { phone: p, language: lang.get() }, "customer");
      setPhone(p); setCode(""); setStep("code");
    } catch (err) {
      if (err.field === "phone") setErrs({ phone: t("ph_err_number") }); else setError(err);
    } finally { setBusy(false); }
  }

  async function confirm(e) {
    e.preventDefault();
    setError(null);
    const c = code.replace(/\s/g, "");
    if (!/^[0-9]{6}$/.test(c)) { setErrs({ code: t("ph_err_code_format") }); return; }
    setErrs({}); setBusy(true);
    try {
      await call("POST", "/v1/me/phone-verification/confirm", { code: c }, "customer");
      await load();
    } catch (err) {
      if (err.field === "code" && err.status === 401) setErrs({ code: t("ph_err_code") }); else setError(err);
    } finally { setBusy(false); }
  }

  if (!prefs) return <Alert error={error} />;
  return (
    <section class="card" aria-labelledby="ph-title">
      <h2 id="ph-title" style="margin-top:0;font-size:1.1rem">{t("ph_title")}</h2>
      {step === "done" && (
        <>
          <p class="success" role="status">{t("ph_done", { phone: prefs.phone })}</p>
          <button type="button" class="linkbtn" onClick={() => { setStep("number"); setCode(""); }}>{t("ph_change")}</button>
        </>
      )}
      {step === "number" && (
        <form onSubmit={sendCode} noValidate>
          <p>{t("ph_intro")}</p>
          <Field id="ph-number" label={t("ph_number")} hint={t("ph_number_hint")} error={errs.phone}>
            <input id="ph-number" type="tel" autocomplete="tel" inputmode="tel" maxLength={24} value={phone}
              aria-invalid={errs.phone ? "true" : undefined} aria-describedby={describedBy("ph-number", true, errs.phone)}
              onInput={(e) => setPhone(e.currentTarget.value)} />
          </Field>
          <button type="submit" class="btn primary" disabled={busy}>{t("ph_send")}</button>
        </form>
      )}
      {step === "code" && (
        <form onSubmit={confirm} noValidate>
          <p role="status">{t("ph_sent", { phone })}</p>
          <Field id="ph-code" label={t("ph_code")} error={errs.code}>
            <input id="ph-code" type="text" inputmode="numeric" autocomplete="one-time-code" maxLength={8} value={code}
              aria-invalid={errs.code ? "true" : undefined} aria-describedby={describedBy("ph-code", null, errs.code)}
              onInput={(e) => setCode(e.currentTarget.value)} />
          </Field>
          <div class="actions">
            <button type="submit" class="btn primary" disabled={busy}>{t("ph_confirm")}</button>
            <button type="button" class="linkbtn" disabled={busy} onClick={() => sendCode()}>{t("ph_again")}</button>
            <button type="button" class="linkbtn" onClick={() => { setStep("number"); setErrs({}); }}>{t("ph_change")}</button>
          </div>
        </form>
      )}
      <Alert error={error} />
    </section>
  );
}
