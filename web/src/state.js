// A tiny observable value plus a hook, enough for a few app-wide values (language, session, route).
import { useEffect, useState } from "preact/hooks";
import { signal } from "./signal.js";

export { signal };

export function use(sig) {
  const [v, setV] = useState(sig.get());
  useEffect(() => { setV(sig.get()); return sig.subscribe(setV); }, [sig]);
  return v;
}

// Client-side routing on the path (the server answers every path with index.html).
export const route = signal(location.pathname);
let keepQuery = (p) => p;
export function keepInUrl(f) { keepQuery = f; }
export function go(path) {
  if (path !== location.pathname) history.pushState(null, "", keepQuery(path));
  route.set(path.split("?")[0].split("#")[0]);
  window.scrollTo(0, 0);
}
addEventListener("popstate", () => route.set(location.pathname));

// Saved in sessionStorage so a reload (or a long pause) never loses what someone has typed.
export function saved(key, initial) {
  let start = initial;
  try { const raw = sessionStorage.getItem(key); if (raw) start = { ...initial, ...JSON.parse(raw) }; } catch (e) { /* ignore */ }
  const s = signal(start);
  s.subscribe((v) => { try { sessionStorage.setItem(key, JSON.stringify(v)); } catch (e) { /* ignore */ } });
  return s;
}

// The tenant's terms (fees, the price cap) last seen by discovery, kept for the booking and status pages.
export function savedTerms() { try { return JSON.parse(localStorage.getItem("cf.terms")) || null; } catch (e) { return null; } }
export function saveTerms(x) { try { localStorage.setItem("cf.terms", JSON.stringify(x)); } catch (e) { /* ignore */ } }
