import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import "./styles.css";
import table from "../../chalicelib/domain/app_routes.json";
import { sessions, setSession } from "./api.js";
import { LANGS, lang, setLang, t } from "./i18n.js";
import { matchRoute, pathTo } from "./routes.js";
import { go, route, use } from "./state.js";
import { Lazy, Title, useChunk } from "./ui.jsx";
import { bookScreens, helperApp, infoPage, payPage, receiptPage, statusScreens } from "./screens.js";
import { brand, countEvent, isEmbedded, startTenant, tenant, withQuery } from "./tenant.js";
import { keepInUrl } from "./state.js";
import { setBrandName } from "./i18n.js";

// Where to call: the partner's hotline (its campaign's local number where it has one), else ours.
function Hotline() {
  use(lang);
  const b = use(brand);
  const display = tenant ? (b && b.hotline) : table.support.display;
  if (!display) return null;
  const tel = tenant ? display.replace(/[^+0-9]/g, "") : table.support.phone;
  return <a href={"tel:" + tel} onClick={() => countEvent("call_click")}>{t("support_call", { phone: display })}</a>;
}

// Crowdfix's mark, or inside a partner's flow the partner's logo (or name): never both.
function Mark() {
  const b = use(brand);
  if (tenant) {
    const name = (b && b.name) || "";
    // until the brand is in (or if it cannot be had), the link still says where it goes
    return <Link href="/" class="logo" aria-label={name ? undefined : t("home")}>{b && b.logo_url ? <img src={b.logo_url} alt={name} /> : <span>{name || "\u00a0"}</span>}</Link>;
  }
  return <Link href="/" class="logo"><svg viewBox="0 0 64 64" aria-hidden="true"><rect width="64" height="64" rx="14" fill="#0b4f8a" /><path d="M18 34l9 9 19-21" fill="none" stroke="#fff" stroke-width="7" stroke-linecap="round" stroke-linejoin="round" /></svg><span class="word">crowdfix</span></Link>;
}

export function Link({ href, children, class: cls, "aria-label": label }) {
  return <a href={withQuery(href)} class={cls} aria-label={label} onClick={(e) => { if (!e.ctrlKey && !e.metaKey) { e.preventDefault(); go(href); } }}>{children}</a>;
}

const NAMES = { de: "Deutsch", en: "English", fr: "Français", it: "Italiano" };

// One compact bar, also on a 360 px phone: the logo, the language as a menu, and the rest behind "Menu".
function Header() {
  const l = use(lang);
  const customer = use(sessions.customer);
  const [open, setOpen] = useState(false);
  const path = use(route);
  useEffect(() => setOpen(false), [path]);
  return (
    <header class="top">
      <div class="wrap bar">
        <Mark />
        <label class="sr-only" for="lang-select">{t("language")}</label>
        <select id="lang-select" class="lang" value={l} onChange={(e) => setLang(e.currentTarget.value)}>
          {LANGS.map((code) => <option value={code} lang={code} key={code}>{NAMES[code]}</option>)}
        </select>
        <button type="button" class="menubtn" aria-expanded={open ? "true" : "false"} aria-controls="main-menu" onClick={() => setOpen(!open)}>
          <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true"><path d="M3 6h18M3 12h18M3 18h18" stroke="currentColor" stroke-width="2.5" stroke-linecap="round" /></svg>
          {t("menu")}
        </button>
      </div>
      <nav id="main-menu" class="wrap menu" aria-label={t("menu")} hidden={!open}>
        <ul>
          {customer && <li><Link href={pathTo("bookings")}>{t("my_bookings")}</Link></li>}
          <li><Link href={pathTo("help")}>{t("nav_help")}</Link></li>
          <li><Hotline /></li>
          {customer && <li><button type="button" class="linkbtn" onClick={() => { setSession("customer", null); try { localStorage.removeItem("cf.me"); } catch (e) { /* none kept */ } go("/"); }}>{t("sign_out")}</button></li>}
        </ul>
      </nav>
    </header>
  );
}

function Footer() {
  use(lang);
  return (
    <footer class="foot wrap">
      <p class="support"><Hotline /></p>
      <p><Link href={pathTo("help")}>{t("nav_help")}</Link> · <Link href={pathTo("privacy")}>{t("nav_privacy")}</Link> · <Link href={pathTo("terms")}>{t("nav_terms")}</Link></p>
    </footer>
  );
}

function Landing() {
  const book = useChunk(bookScreens); // the quick start of a returning customer
  const QuickStart = book && book.QuickStart;
  return (
    <>
      <Title>{t("tagline")}</Title>
      {book && book.knownCustomer() && <><h2>{t("q_what")}</h2><QuickStart /></>}
      <p>{t("lead")}</p>
      <div class="actions">
        <Link href="/book" class="btn primary">{t("get_help")}</Link>
      </div>
      <h2>{t("how_title")}</h2>
      <ol>
        <li>{t("how1")}</li>
        <li>{t("how2")}</li>
        <li>{t("how3")}</li>
      </ol>
      {!tenant && <p><Link href="/helper">{t("helper_link")}</Link></p>}
    </>
  );
}


function Page() {
  const path = use(route);
  use(lang); // re-render everything on a language switch
  const r = matchRoute(path);
  const name = r && r.name;
  if (name === "home") return <Landing />;
  if (name === "book") return <Lazy load={bookScreens} name="Book" />;
  if (name === "bookings") return <Lazy load={statusScreens} name="MyBookings" />;
  if (name === "booking") return <Lazy load={statusScreens} name="BookingStatus" id={r.params.booking_id} />;
  if (name === "receipt") return <Lazy load={receiptPage} id={r.params.booking_id} />;
  if (name === "review") return <Lazy load={statusScreens} name="ReviewPage" id={r.params.booking_id} />;
  if (name === "pay") return <Lazy load={payPage} id={r.params.booking_id} />;
  if (name === "helper" || name === "helper_offer") return <Lazy load={helperApp} />;
  if (name === "help" || name === "privacy" || name === "terms") return <Lazy load={infoPage} which={name} />;
  return <><Title>{t("not_found")}</Title><p><Link href="/">{t("home")}</Link></p></>;
}

function App() {
  const l = use(lang);
  const b = use(brand);
  setBrandName(tenant ? (b && b.name) || "" : null);
  useEffect(() => { document.documentElement.lang = l; }, [l]);
  return (
    <>
      <a class="skip" href="#main">{t("skip")}</a>
      <Header />
      <main id="main" class="wrap"><Page /></main>
      <Footer />
    </>
  );
}

// Called by the boot module (boot.js) once the app, the reader's words and the screen's chunk are in.
export function start() {
  // an old path (e.g. /bookings/<id> from an e-mail sent before) shows its screen under today's path
  const first = matchRoute(location.pathname);
  if (first && first.params.booking_id && location.pathname !== pathTo(first.name, first.params)) {
    history.replaceState(null, "", pathTo(first.name, first.params) + location.hash);
    route.set(location.pathname);
  }
  if (tenant) {
    keepInUrl(withQuery);
    if (isEmbedded()) document.documentElement.classList.add("embedded");
    if (location.search.indexOf("tenant=") < 0) history.replaceState(null, "", withQuery(location.pathname) + location.hash);
    startTenant();
  }
  document.documentElement.lang = lang.get();
  render(<App />, document.getElementById("app"));
}
