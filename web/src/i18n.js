// All words on screen, in the four languages we serve. Plain language, short sentences, "Sie" form.
// Each language's words are chunks of their own (web/src/words/: the customer app's, the helper
// app's, the payment link's), so a reader downloads only hers: the boot module (boot.js) fetches
// them beside the app and paints once both are in, and a language switch loads the new words before
// it re-renders (state kept, no reload). A key missing in a language shows the key itself and is
// recorded (visible in tests, never silent); tests/journey/test_words_in_source.py fails on it first.
import { signal } from "./signal.js";

export const LANGS = ["de", "en", "fr", "it"];

// one chunk per part of the app and language; literal imports, so each is a chunk of its own
const PARTS = {
  app: { de: () => import("./words/de.js"), en: () => import("./words/en.js"),
    fr: () => import("./words/fr.js"), it: () => import("./words/it.js") },
  helper: { de: () => import("./words/helper.de.js"), en: () => import("./words/helper.en.js"),
    fr: () => import("./words/helper.fr.js"), it: () => import("./words/helper.it.js") },
  link: { de: () => import("./words/link.de.js"), en: () => import("./words/link.en.js"),
    fr: () => import("./words/link.fr.js"), it: () => import("./words/link.it.js") },
};

// the words loaded so far, per language
export const MESSAGES = { de: {}, en: {}, fr: {}, it: {} };
const wanted = new Set(["app"]); // the parts this visit has used: a language switch loads them all
const loading = new Map(); // "part:lang" -> its promise

function loadPart(part, l) {
  const key = part + ":" + l;
  if (!loading.has(key)) {
    loading.set(key, PARTS[part][l]().then((m) => { Object.assign(MESSAGES[l], m.default); },
      (err) => { loading.delete(key); throw err; })); // a failed fetch is tried again next time
  }
  return loading.get(key);
}

// The words of a part of the app in the reader's language (and, from now on, in any she switches to).
export function words(part, l) {
  wanted.add(part);
  return loadPart(part, l || lang.get());
}

function initialLang() {
  // a partner's page links here with its language (?lang=fr): that wins once, then it is kept
  const asked = new URLSearchParams(location.search || "").get("lang");
  if (LANGS.includes(asked)) { try { localStorage.setItem("cf.lang", asked); } catch (e) { /* ignore */ } return asked; }
  let saved = null;
  try { saved = localStorage.getItem("cf.lang"); } catch (e) { /* a frame without storage */ }
  if (LANGS.includes(saved)) return saved;
  const nav = (navigator.language || "de").slice(0, 2);
  return LANGS.includes(nav) ? nav : "de";
}

export const lang = signal(initialLang());

// Switch language: the new words (every part in use) first, then one re-render in them. The last
// choice wins when she picks twice quickly; if the words cannot be fetched, the language stays.
let asked = 0;
export function setLang(l) {
  const n = ++asked;
  return Promise.all([...wanted].map((p) => loadPart(p, l))).then(() => {
    if (n !== asked) return;
    try { localStorage.setItem("cf.lang", l); } catch (e) { /* a frame without storage: this visit only */ }
    document.documentElement.lang = l;
    lang.set(l);
  }, () => { if (n === asked) lang.set(lang.get()); });
}

// Keys a screen asked for that its language lacks (tests read this and fail on any).
export const missingKeys = new Set();
if (typeof window !== "undefined") window.__cfMissing = missingKeys;

export function t(key, vars) {
  const l = lang.get();
  const own = MESSAGES[l] && MESSAGES[l][key];
  if (own == null) missingKeys.add(l + ":" + key);
  let s = own ?? key;
  if (vars) for (const k in vars) s = s.split("{" + k + "}").join(String(vars[k]));
  return brandName ? s.split("crowdfix").join(brandName) : s;
}

let brandName = null;
export function setBrandName(name) { brandName = name || null; }

export const LOCALES = { de: "de-CH", en: "en-GB", fr: "fr-CH", it: "it-CH" };
export const locale = () => LOCALES[lang.get()];

// Numbers as the reader writes them (fr-CH "4,5", de-CH "4.5").
export function num(x, digits = 1) {
  if (x == null) return "";
  return new Intl.NumberFormat(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(x);
}

export function money(amount, currency) {
  if (amount == null) return "";
  const locale = LOCALES[lang.get()];
  return new Intl.NumberFormat(locale, { style: "currency", currency: currency || "CHF" }).format(amount / 100);
}

// A bill's line item in words (the booking page, the receipt).
export function itemLabel(i) {
  if (i.code === "time") return t("li_time", { n: i.quantity, unit: money(i.unit_amount, i.currency) });
  if (i.code === "part" && i.description) return t("li_part") + ": " + i.description;
  return t("li_" + i.code);
}

export function when(iso) {
  if (!iso) return "";
  const locale = LOCALES[lang.get()];
  return new Date(iso).toLocaleString(locale, { weekday: "short", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" });
}

// A problem body from the API in the reader's words: its type (and field) pick a text here; the
// server's English "detail" is shown only to English readers.
const FIELD_TEXTS = { "contact.phone": "err_phone", "contact.name": "err_name", description: "err_describe",
  email: "err_email", code: "err_code_wrong", at: "err_past", "wanted.at": "err_past", "location.address": "err_street",
  location: "err_place", "location.lat": "err_place", "location.lon": "err_place", payment_method: "card_check" };
const CODE_TEXTS = { onsite_needs_street: "err_street", onsite_needs_phone: "err_phone_onsite",
  booking_ended_unpaid: "err_booking_ended_unpaid" };
export function problemText(status, body) {
  const b = body || {};
  const type = String(b.type || "").split("/").pop();
  if (type === "payment-declined") return t("err_declined");
  // a problem's code names its words (the server's detail is English)
  if (b.code && CODE_TEXTS[b.code]) return t(CODE_TEXTS[b.code]);
  if (type === "too-many-attempts") return b.retry_after ? t("err_locked_wait", { min: Math.max(1, Math.ceil(Number(b.retry_after) / 60)) }) : t("err_locked");
  if (type === "rate-limited" && b.retry_after) return t("err_wait", { min: Math.max(1, Math.ceil(Number(b.retry_after) / 60)) });
  if (type === "validation-failed" && b.served_areas) return t("unserved");
  if (lang.get() === "en" && b.detail) return b.detail;
  if (b.field && FIELD_TEXTS[b.field]) return t(FIELD_TEXTS[b.field]);
  if (status >= 500) return t("err_5xx");
  const k = "err_" + status;
  return MESSAGES[lang.get()][k] ? t(k) : t("err_generic");
}
