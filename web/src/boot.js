// The first script of every page, kept small: it starts at once, side by side, the app, the
// reader's words (web/src/words/, her language only) and the chunk of the screen she opened (the
// helper app, an info page ...), and paints when all three are in: no waterfall, and never a key
// or another language's word on screen.
import { lang, words } from "./i18n.js";
import { matchRoute } from "./routes.js";
import { SCREENS } from "./screens.js";

document.documentElement.lang = lang.get(); // at once: the page says its language before it paints
const r = matchRoute(location.pathname);
const screen = r && SCREENS[r.name];
Promise.all([import("./main.jsx"), words("app"), screen ? screen() : null]).then(([app]) => app.start());
