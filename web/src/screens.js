// The screens that are chunks of their own, each with the words it needs: one loader per screen,
// shared by the boot module (which starts the screen a visit opens beside the app and its words)
// and the app's router (which shows it). A loader runs once; its answer is kept on it (.value), so
// a screen the boot module already fetched is shown at once, with no "loading" in between.
import { words } from "./i18n.js";

function once(load) {
  let p = null;
  const f = () => p || (p = load().then((v) => (f.value = v), (err) => { p = null; throw err; }));
  f.value = null;
  return f;
}

export const helperApp = once(() => Promise.all([import("./helper.jsx"), words("helper")]).then(([m]) => m.HelperApp));
export const infoPage = once(() => import("./info.jsx").then((m) => m.InfoPage));
export const payPage = once(() => Promise.all([import("./pay.jsx"), words("link")]).then(([m]) => m.PayPage));
// the customer's screens: booking (and the landing page's quick start), and following a booking
export const bookScreens = once(() => import("./book.jsx"));
export const statusScreens = once(() => import("./status.jsx"));
export const receiptPage = once(() => import("./receipt.jsx").then((m) => m.ReceiptPage));

// route name (chalicelib/domain/app_routes.json) -> the chunk its screen needs beyond the app
export const SCREENS = { home: bookScreens, book: bookScreens, bookings: statusScreens, booking: statusScreens,
  review: statusScreens, receipt: receiptPage, helper: helperApp, helper_offer: helperApp, help: infoPage,
  privacy: infoPage, terms: infoPage, pay: payPage };
