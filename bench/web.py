"""Web app benchmark, every route: what each screen loads first, and Lighthouse (mobile preset).

1. Initial JavaScript + CSS of every route, gzipped (level 9, as the CDN serves it): Debian's
   Chromium (Playwright) opens the route on a 360 px phone and every script and stylesheet it
   loads until the network is idle is counted (the entry, its preloads and the lazy chunks that
   screen needs: the helper app on /helper, the info pages, the photo screen ...). Goal: at most
   35 KB on each. Peer in the same run: the same figure from web/dist/index.html alone (what the
   old benchmark measured) and all web assets.
2. Lighthouse 13 (web/node_modules, Debian's Chromium, headless) with its default mobile preset
   (simulated slow 4G, 4x CPU slowdown) on every route, served by localdev/webserver.py with gzip.
   Goal: performance >= 98, accessibility = 100 on each.

The pages are served without an API (the proxy points at a closed port): what a first visit
shows before any answer, e.g. the sign-in of a booking link.
Run: ``make bench-web`` (or ``.venv/bin/python bench/web.py``; ``--sizes-only`` measures step 1 alone,
without Lighthouse, in a few seconds; ``--only landing,helper`` measures those routes alone). The last
stdout line is JSON.
"""
from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "web" / "dist"
LIGHTHOUSE = ROOT / "web" / "node_modules" / ".bin" / "lighthouse"
CHROME_FLAGS = ("--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update "
                "--disable-sync --no-first-run --disable-quic")
sys.path.insert(0, str(ROOT))


def gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))


def initial_assets() -> list[Path]:
    html = (DIST / "index.html").read_text()
    refs = re.findall(r'<script[^>]+src="([^"]+)"', html) + re.findall(r'<link[^>]+href="([^"]+\.(?:js|css))"', html)
    return [DIST / r.lstrip("/") for r in dict.fromkeys(refs)]


def lighthouse(url: str, out: Path) -> dict:
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    subprocess.run([str(LIGHTHOUSE), url, "--only-categories=performance,accessibility", "--output=json",
                    f"--output-path={out}", f"--chrome-flags={CHROME_FLAGS}", "--quiet"],
                   check=True, env=env, cwd=ROOT / "web", timeout=300)
    report = json.loads(out.read_text())
    audits = report["audits"]
    return {"performance": round(report["categories"]["performance"]["score"] * 100),
            "accessibility": round(report["categories"]["accessibility"]["score"] * 100),
            "fcp_ms": round(audits["first-contentful-paint"]["numericValue"]),
            "lcp_ms": round(audits["largest-contentful-paint"]["numericValue"]),
            "tbt_ms": round(audits["total-blocking-time"]["numericValue"]),
            "cls": round(audits["cumulative-layout-shift"]["numericValue"], 3),
            "failed_a11y_audits": sorted(k for k, a in audits.items()
                                         if a.get("score") == 0 and k in {r["id"] for r in report["categories"]["accessibility"]["auditRefs"]})}


# every screen of web/src/routes.js (chalicelib/domain/app_routes.json), and the partner's widget
ROUTES = (("landing", "/"), ("book", "/book"), ("bookings", "/bookings"), ("booking", "/booking/b_bench000000001"),
          ("receipt", "/booking/b_bench000000001/receipt"),
          ("review", "/review/b_bench000000001#token=x"), ("help", "/help"), ("privacy", "/privacy"),
          ("terms", "/terms"), ("helper", "/helper"), ("widget", "/?tenant=bench-shop&embed=1"))
CHROMIUM = "/usr/bin/chromium"


def route_assets(base: str, routes=ROUTES) -> dict:
    """Per route: gzipped bytes of every script and stylesheet loaded until the network was idle."""
    from playwright.sync_api import sync_playwright
    out = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            for name, path in routes:
                ctx = browser.new_context(viewport={"width": 360, "height": 740}, locale="de-CH")
                page = ctx.new_page()
                seen: dict[str, int] = {}

                def on_response(resp, seen=seen):
                    # by type, and by name too: a <link rel=modulepreload> fetch (the boot module
                    # preloads the app, the words and the screen's chunk) is not always typed "script"
                    name = resp.url.split("?")[0].split("#")[0]
                    if resp.url.startswith(base) and (resp.request.resource_type in ("script", "stylesheet")
                                                      or name.endswith((".js", ".css"))):
                        try:
                            seen[resp.url.rsplit("/", 1)[1]] = len(gzip.compress(resp.body(), compresslevel=9, mtime=0))
                        except Exception:  # noqa: BLE001 — a response without a body counts nothing
                            pass
                page.on("response", on_response)
                page.goto(base + path, wait_until="networkidle")
                page.wait_for_selector("h1")
                out[name] = {"kb": round(sum(seen.values()) / 1024, 1), "files": dict(sorted(seen.items()))}
                ctx.close()
        finally:
            browser.close()
    return out


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    sizes_only = "--sizes-only" in args
    only = next((a.split("=", 1)[1] if "=" in a else args[args.index(a) + 1] for a in args if a.startswith("--only")), None)
    routes = tuple(r for r in ROUTES if only is None or r[0] in only.split(","))
    index = DIST / "index.html"
    sources = [p for p in (ROOT / "web").rglob("*") if "node_modules" not in p.parts and "dist" not in p.parts
               and p.is_file()] + [ROOT / "chalicelib" / "domain" / "app_routes.json"]
    if not index.exists() or max(p.stat().st_mtime for p in sources) > index.stat().st_mtime:  # never a stale build
        subprocess.run(["npm", "run", "build"], cwd=ROOT / "web", check=True)
    assets = initial_assets()
    entry_kb = round(sum(gz(p) for p in assets) / 1024, 1)
    dist_total = sum(gz(p) for p in DIST.rglob("*") if p.is_file() and p.suffix in (".js", ".css", ".html"))
    from localdev.webserver import serve
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = serve(port, "http://127.0.0.1:9", DIST)  # the pages measured call no API on first load
    threading.Thread(target=server.serve_forever, daemon=True).start()
    results, sizes = {}, {}
    try:
        base = f"http://127.0.0.1:{port}"
        sizes = route_assets(base, routes)
        for name, r in sizes.items():
            print(f"initial JS+CSS gzipped {name:9s} {r['kb']:5.1f} KB  {r['files']}")
        with tempfile.TemporaryDirectory() as tmp:
            for name, path in routes if not sizes_only else ():
                try:
                    results[name] = lighthouse(base + path, Path(tmp) / f"{name}.json")
                except Exception as exc:  # noqa: BLE001 — say which route could not be measured, go on
                    results[name] = {"performance": None, "accessibility": None, "error": str(exc)[:200]}
                print(f"lighthouse mobile {name:9s} {json.dumps(results[name])}")
    finally:
        server.shutdown()
    worst_kb = max(r["kb"] for r in sizes.values())
    ok = worst_kb <= 35 and (sizes_only or all(r["performance"] is not None and r["performance"] >= 98
                                               and r["accessibility"] == 100 for r in results.values()))
    print(json.dumps({"metric": "web_initial_js_css_gzip_worst_route", "value": worst_kb, "unit": "KB", "goal": "<= 35",
                      "per_route_kb": {k: v["kb"] for k, v in sizes.items()},
                      "lighthouse_mobile": {k: {"performance": v["performance"], "accessibility": v["accessibility"]}
                                            for k, v in results.items()},
                      "lighthouse_goal": {"performance": ">= 98", "accessibility": 100},
                      "peer": {"entry_from_index_html_kb": entry_kb, "all_web_assets_kb": round(dist_total / 1024, 1)},
                      "goals_met": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
