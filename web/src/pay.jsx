// The payment link's screen (issue 17): a partner's customer opens the link from her e-mail or SMS
// and adds her card; the hold is made and the booking is sent to helpers. No sign-in: the link's
// token (in the fragment, so no server logs it) proves this one booking. Under the partner's name,
// logo and colour; large type, one field group, keyboard only works; fits a 360 px phone.
import { useEffect, useRef, useState } from "preact/hooks";
import { call } from "./api.js";
import { lang, locale, money, setLang, t } from "./i18n.js";
import { Alert, cardBox, Lazy, Title } from "./ui.jsx";


function linkToken(id) {
  const key = "cf.pay." + id;
  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash || "");
  if (m) {
    try { sessionStorage.setItem(key, decodeURIComponent(m[1])); } catch (e) { /* private mode */ }
    history.replaceState(null, "", location.pathname + location.search); // the token leaves the address bar
    return decodeURIComponent(m[1]);
  }
  try { return sessionStorage.getItem(key); } catch (e) { return null; }
}

export function PayPage({ id }) {
  const [token] = useState(() => linkToken(id));
  const [page, setPage] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const box = useRef(null);
  const headers = { "X-Payment-Token": token || "" };
  useEffect(() => {
    if (!token) return;
    call("GET", `/v1/pay/${id}`, undefined, null, headers).then((p) => {
      if (p.language && p.language !== lang.get()) setLang(p.language); // her booking's language
      setPage(p);
    }).catch(setError);
  }, [id, token]);
  if (!token) return <><Title>{t("link_missing")}</Title></>;
  if (!page) return <>{error ? <><Title>{t("link_missing")}</Title><Alert error={error} /></> : <p>{t("loading")}</p>}</>;
  const tenant = page.tenant || {};
  const brand = (tenant.branding || {}).primary;
  const style = brand ? { "--primary": brand } : undefined;
  const ended = ["cancelled", "unmatched"].includes(page.state);
  async function submit(e) {
    e.preventDefault();
    setBusy(true); setError(null);
    try {
      const card = box.current && await box.current.choose();
      if (!card || !card.payment_method) throw new Error(t("card_unavailable"));
      setPage(await call("POST", `/v1/pay/${id}`, { payment_method: card.payment_method }, null, headers));
    } catch (err) { setError(err); } finally { setBusy(false); }
  }
  return (
    <div class="pay-link" style={style} data-testid="pay-link" data-state={page.state}>
      {tenant.branding && tenant.branding.logo_url
        ? <img src={tenant.branding.logo_url} alt={tenant.name} height="40" />
        : <p class="logo" style="margin:0">{tenant.name}</p>}
      <Title>{t("link_title", { tenant: tenant.name })}</Title>
      <p class="meta">{t("link_ref", { ref: page.ref })}</p>
      {page.paid && <div class="success" role="status">{t("link_done")}</div>}
      {ended && <div class="alert" role="alert">{t("link_ended", { tenant: tenant.name })}</div>}
      {!page.paid && !ended && (
        <form class="card" onSubmit={submit} noValidate>
          <p>{t("link_lead", { what: t("cat_" + page.category) })}</p>
          <p>{t("link_hold", { amount: money(page.price_cap.amount, page.price_cap.currency) })}</p>
          {page.pay_until && <p>{t("link_until", { time: new Date(page.pay_until).toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" }) })}</p>}
          <Lazy load={cardBox} box={box} saved={null} useSaved={false} setUseSaved={() => {}} testMode={page.test_mode} />
          <Alert error={error} />
          <button class="btn primary" disabled={busy}>{t("link_pay")}</button>
        </form>
      )}
      {tenant.hotline && <p><a href={"tel:" + tenant.hotline.replace(/[^+0-9]/g, "")}>{t("link_questions", { tenant: tenant.name, phone: tenant.hotline })}</a></p>}
    </div>
  );
}
