"""Web app benchmark: size of what the booking page loads first, and Lighthouse (mobile preset).

1. Initial JavaScript + CSS of the booking page, gzipped (level 9, as the CDN serves it): every
   script, module preload and stylesheet named by web/dist/index.html (the booking page is the same
   document at /book). Goal: at most 60 KB. Peer in the same run: the helper app chunk, which is
   loaded only when a helper opens /helper, and the whole dist.
2. Lighthouse 13 (web/node_modules, Debian's Chromium, headless) with its default mobile preset
   (simulated slow 4G, 4x CPU slowdown) on the landing page (/) and the booking page (/book),
   served by localdev/webserver.py with gzip. Goal: performance >= 95, accessibility = 100.

Run: ``make bench-web`` (or ``.venv/bin/python bench/web.py``). The last stdout line is JSON.
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


def main() -> int:
    if not (DIST / "index.html").exists():
        subprocess.run(["npm", "run", "build"], cwd=ROOT / "web", check=True)
    assets = initial_assets()
    initial = {p.name: gz(p) for p in assets}
    initial_kb = round(sum(initial.values()) / 1024, 1)
    helper_chunk = sum(gz(p) for p in (DIST / "assets").glob("helper-*.js"))
    dist_total = sum(gz(p) for p in DIST.rglob("*") if p.is_file() and p.suffix in (".js", ".css", ".html"))
    print(f"booking page initial JS+CSS gzipped: {initial_kb} KB  {initial}")
    print(f"peer: helper app chunk (lazy) {helper_chunk / 1024:.1f} KB, all JS+CSS+HTML {dist_total / 1024:.1f} KB")

    from localdev.webserver import serve
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = serve(port, "http://127.0.0.1:9", DIST)  # the pages measured call no API on first load
    threading.Thread(target=server.serve_forever, daemon=True).start()
    results = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name, path in (("landing", "/"), ("booking", "/book")):
                results[name] = lighthouse(f"http://127.0.0.1:{port}{path}", Path(tmp) / f"{name}.json")
                print(f"lighthouse mobile {name:8s} {json.dumps(results[name])}")
    finally:
        server.shutdown()
    ok = (initial_kb <= 60 and all(r["performance"] >= 95 and r["accessibility"] == 100 for r in results.values()))
    print(json.dumps({"metric": "web_booking_initial_js_css_gzip", "value": initial_kb, "unit": "KB", "goal": "<= 60",
                      "lighthouse_mobile": {k: {"performance": v["performance"], "accessibility": v["accessibility"]}
                                            for k, v in results.items()},
                      "lighthouse_goal": {"performance": ">= 95", "accessibility": 100},
                      "peer": {"helper_chunk_lazy_kb": round(helper_chunk / 1024, 1),
                               "all_web_assets_kb": round(dist_total / 1024, 1)},
                      "goals_met": ok}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
