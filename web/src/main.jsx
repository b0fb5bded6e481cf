import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import "./styles.css";
import { sessions, setSession } from "./api.js";
import { Book } from "./book.jsx";
import { LANGS, lang, setLang, t } from "./i18n.js";
import { go, route, use } from "./state.js";
import { BookingStatus, MyBookings } from "./status.jsx";
import { Title } from "./ui.jsx";

function Link({ href, children, class: cls }) {
  return <a href={href} class={cls} onClick={(e) => { if (!e.ctrlKey && !e.metaKey) { e.preventDefault(); go(href); } }}>{children}</a>;
}

const NAMES = { de: "Deutsch", en: "English", fr: "Français", it: "Italiano" };

function Header() {
  const l = use(lang);
  const customer = use(sessions.customer);
  return (
    <header class="top">
      <div class="wrap">
        <Link href="/" class="logo"><svg viewBox="0 0 64 64" aria-hidden="true"><rect width="64" height="64" rx="14" fill="#0b4f8a" /><path d="M18 34l9 9 19-21" fill="none" stroke="#fff" stroke-width="7" stroke-linecap="round" stroke-linejoin="round" /></svg>crowdfix</Link>
        <nav class="links" aria-label="crowdfix">
          {customer && <Link href="/bookings">{t("my_bookings")}</Link>}
          {customer && <button type="button" class="linkbtn" onClick={() => { setSession("customer", null); go("/"); }}>{t("sign_out")}</button>}
        </nav>
        <div class="langs" role="group" aria-label={t("language")}>
          {LANGS.map((code) => (
            <button type="button" lang={code} aria-pressed={l === code ? "true" : "false"} onClick={() => setLang(code)}>{NAMES[code]}</button>
          ))}
        </div>
      </div>
    </header>
  );
}

function Landing() {
  return (
    <>
      <Title>{t("tagline")}</Title>
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
      <p><Link href="/helper">{t("helper_link")}</Link></p>
    </>
  );
}

// The helper app is loaded only when a helper opens it, so the booking page stays small.
function HelperLoader() {
  const [Mod, setMod] = useState(null);
  useEffect(() => { import("./helper.jsx").then((m) => setMod(() => m.HelperApp)); }, []);
  return Mod ? <Mod /> : <p role="status">{t("loading")}</p>;
}

function Page() {
  const path = use(route);
  use(lang); // re-render everything on a language switch
  let m;
  if (path === "/") return <Landing />;
  if (path === "/book") return <Book />;
  if (path === "/bookings") return <MyBookings />;
  if ((m = path.match(/^\/booking\/(b_[A-Za-z0-9_]+)$/))) return <BookingStatus id={m[1]} />;
  if (path.startsWith("/helper")) return <HelperLoader />;
  return <><Title>{t("not_found")}</Title><p><Link href="/">{t("home")}</Link></p></>;
}

function App() {
  const l = use(lang);
  useEffect(() => { document.documentElement.lang = l; }, [l]);
  return (
    <>
      <a class="skip" href="#main">{t("skip")}</a>
      <Header />
      <main id="main" class="wrap"><Page /></main>
    </>
  );
}

document.documentElement.lang = lang.get();
render(<App />, document.getElementById("app"));
