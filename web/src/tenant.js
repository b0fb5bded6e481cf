// A partner's booking flow (issue 17.5, 17.7): opened from its landing page or inside its widget
// (?tenant=acme&embed=1), the app stays the partner's on every screen: its name, logo, colours and
// hotline, the tenant in the URL and in every API call, and where the customer came from (affiliate
// code, campaign, UTM parameters) carried into the booking. Counted first-party only: to crowdfix's
// own API, no cookie, no third-party tracker.
import { signal } from "./state.js";

const SLUG = /^[A-Za-z0-9_.-]{1,60}$/;
const TENANT = /^[a-z][a-z0-9-]{2,31}$/;
const ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?$/;
const CAMPAIGN_KEYS = ["affiliate_code", "campaign", "utm_source", "utm_medium", "utm_campaign"];
// what stays in the URL after the first click (the frame grant too: a reload keeps being allowed)
const KEEP = ["tenant", "embed", "primary", "accent", "parent", "aff", "fa", "exp", "sig", ...CAMPAIGN_KEYS];

function read() {
  const q = new URLSearchParams(location.search);
  let ctx = null;
  try { ctx = JSON.parse(sessionStorage.getItem("cf.tenant")); } catch (e) { ctx = null; }
  const id = q.get("tenant");
  if (id && TENANT.test(id)) {
    ctx = { tenant: id, embed: q.get("embed") === "1", keep: {} };
    for (const k of KEEP) { const v = q.get(k); if (v) ctx.keep[k] = v; }
    const c = {};
    for (const k of CAMPAIGN_KEYS) { const v = q.get(k); if (v && SLUG.test(v)) c[k] = v; }
    if (!c.affiliate_code && q.get("aff") && SLUG.test(q.get("aff"))) c.affiliate_code = q.get("aff");
    ctx.campaign = c;
    const parent = q.get("parent");
    ctx.parent = parent && ORIGIN.test(parent) ? parent : null;
    try { sessionStorage.setItem("cf.tenant", JSON.stringify(ctx)); } catch (e) { /* ignore */ }
  }
  return ctx && ctx.tenant ? ctx : null;
}

export const tenant = read();
export const brand = signal(null);
export const isEmbedded = () => !!(tenant && tenant.embed);

// The query that keeps the tenant in the URL on every screen.
export const tenantQuery = tenant ? "?" + new URLSearchParams(tenant.keep).toString() : "";
export function withQuery(path) {
  if (!tenant || path.includes("?") || !path.startsWith("/")) return path;
  const [p, hash] = path.split("#");
  return p + tenantQuery + (hash ? "#" + hash : "");
}

// What an API call adds: ?tenant= on discovery, the tenant on sign-in, the campaign on a booking.
export function tenantBody(body) { return tenant ? { ...body, tenant: tenant.tenant } : body; }
export function discoverPath(path) { return tenant ? path + "&tenant=" + encodeURIComponent(tenant.tenant) : path; }
export function attribution() {
  if (!tenant) return undefined;
  return { ...tenant.campaign, channel: tenant.embed ? "widget" : "landing" };
}

function newEventId() {
  const a = new Uint8Array(12);
  crypto.getRandomValues(a);
  return Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
}

// One first-party event (widget opened, hotline pressed); the id makes a resend count once.
export function countEvent(kind, eventId) {
  if (!tenant) return;
  try {
    fetch(`/v1/partners/${tenant.tenant}/events`, { method: "POST", keepalive: true,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ event_id: eventId || newEventId(), kind, ...tenant.campaign }) }).catch(() => {});
  } catch (e) { /* counting never gets in her way */ }
}

// The brand: colours at once from the URL (no flash), the rest from GET /v1/partners/{t}/brand.
export function startTenant() {
  if (!tenant) return;
  const root = document.documentElement.style;
  const colour = (v) => (v && /^#[0-9a-fA-F]{6}$/.test(v) ? v : null);
  const apply = (b) => {
    if (colour(b.primary)) root.setProperty("--primary", b.primary);
    if (colour(b.accent)) root.setProperty("--focus", b.accent);
  };
  apply(tenant.keep);
  const c = tenant.campaign.campaign || tenant.campaign.utm_campaign;
  fetch(`/v1/partners/${tenant.tenant}/brand` + (c ? "?campaign=" + encodeURIComponent(c) : ""))
    .then((r) => (r.ok ? r.json() : null))
    .then((b) => { if (b) { apply(b); brand.set(b); } })
    .catch(() => {});
  if (tenant.embed) {
    // counted once per visit of the frame (a reload keeps its event id)
    let id = null;
    try { id = sessionStorage.getItem("cf.widget_open"); } catch (e) { /* a frame without storage */ }
    if (!id) { id = newEventId(); try { sessionStorage.setItem("cf.widget_open", id); } catch (e) { /* ignore */ } }
    countEvent("widget_open", id);
    resizeParent();
  }
}

// The frame grows and shrinks with its content: the partner's embed script listens for
// crowdfix:height from this origin only; this sends it to the partner's origin only.
function resizeParent() {
  if (window.parent === window || !tenant.parent) return;
  let last = 0;
  const send = () => {
    const h = Math.ceil(document.documentElement.scrollHeight ? document.body.getBoundingClientRect().height : 0);
    if (h && h !== last) { last = h; window.parent.postMessage({ type: "crowdfix:height", height: h }, tenant.parent); }
  };
  new ResizeObserver(send).observe(document.body);
  send();
}
