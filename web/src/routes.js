// The app's screens, from the one table the server also builds its links from
// (chalicelib/domain/app_routes.json, read by chalicelib/domain/links.py).
import table from "../../chalicelib/domain/app_routes.json";

const compile = (tpl) => new RegExp("^" + tpl.replace(/[.*+?^$()|[\]\\]/g, "\\$&")
  .replace(/\{(\w+)\}/g, (_, k) => `(?<${k}>${table.params[k]})`) + "/?$");
const MATCHERS = [
  ...Object.entries(table.routes).map(([name, tpl]) => [name, compile(tpl)]),
  ...Object.entries(table.aliases).map(([tpl, name]) => [name, compile(tpl)]),
];

export function matchRoute(path) {
  for (const [name, rx] of MATCHERS) {
    const m = rx.exec(path);
    if (m) return { name, params: { ...(m.groups || {}) } };
  }
  if (path.startsWith(table.routes.helper + "/")) return { name: "helper", params: {} };
  return null;
}

export function pathTo(name, params = {}) {
  return table.routes[name].replace(/\{(\w+)\}/g, (_, k) => encodeURIComponent(params[k]));
}
