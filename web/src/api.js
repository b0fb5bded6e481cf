// The API, same-origin (/v1/*). Errors carry the server's problem "detail", which says what to do.
import { signal } from "./state.js";
import { problemText, t } from "./i18n.js";
import { discoverPath, tenant, tenantBody } from "./tenant.js";

// a partner's customer is the partner's (another sign-in than crowdfix's own)
const KEY = "cf.session." + (tenant ? tenant.tenant + "." : "");

function loadSession(role) {
  try { return JSON.parse(localStorage.getItem(KEY + role)) || null; } catch (e) { return null; }
}
export const sessions = { customer: signal(loadSession("customer")), helper: signal(loadSession("helper")) };
export function setSession(role, s) {
  // inside a partner's frame the browser may refuse storage: then the session lasts this visit
  try {
    if (s) localStorage.setItem(KEY + role, JSON.stringify(s));
    else localStorage.removeItem(KEY + role);
  } catch (e) { /* kept in memory only */ }
  sessions[role].set(s);
}

export class ApiError extends Error {
  constructor(status, body) {
    // in the reader's language: the problem's type and field choose the words (i18n.js problemText)
    super(status === 0 ? ((body && body.detail) || t("err_network")) : problemText(status, body));
    this.status = status;
    this.body = body || {};
    this.field = this.body.field;
  }
}

export async function call(method, path, body, role, extraHeaders) {
  const headers = { Accept: "application/json", ...(extraHeaders || {}) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const s = role && sessions[role].get();
  if (s) headers.Authorization = "Bearer " + s.token;
  let resp;
  try {
    if (path.startsWith("/v1/discover?")) path = discoverPath(path);
    resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, { detail: t("err_network") });
  }
  let data = null;
  try { data = await resp.json(); } catch (e) { data = null; }
  // a 401 naming a field is about that field (a wrong texted code), not the session
  if (resp.status === 401 && role && !(data && data.field)) setSession(role, null);
  if (!resp.ok) {
    const retry = resp.headers.get("Retry-After");
    throw new ApiError(resp.status, retry && data && typeof data === "object" ? { ...data, retry_after: retry } : data);
  }
  return data;
}

// Capabilities that land later (discovery, payments, reviews, push). A 404 means "not here yet":
// the caller hides that part with a clear message instead of failing.
// API Gateway (and chalice local) answer an unknown route with 403 "Missing Authentication Token",
// which is not a problem body: that counts as "not here yet" too.
export const missing = (err) => err instanceof ApiError && (
  ((err.status === 404 || err.status === 405) && !err.field) || err.status === 501 ||
  (err.status === 403 && !err.body.type));

export async function requestCode(role, email, language) {
  return call("POST", "/v1/auth/code", role === "customer" ? tenantBody({ email, role, language }) : { email, role, language });
}
export async function exchangeCode(role, email, code) {
  const r = await call("POST", "/v1/auth/token", role === "customer" ? tenantBody({ email, role, code }) : { email, role, code });
  setSession(role, { token: r.token, id: r.id, email, role });
  return r;
}
