"""Serves the built web app (``web/dist``) on loopback for local development and tests.

- Static files with SPA fallback: any path that is not a file gets ``index.html`` (client routing).
- ``/v1/*`` is proxied to the local API, so the page and the API are same-origin (as behind the CDN
  in AWS, where CloudFront routes ``/v1/*`` to API Gateway).
- Hashed assets are cached for a year, ``index.html`` and ``sw.js`` never; text is gzipped when the
  browser accepts it (as CloudFront does).
- Security headers on every file (``chalicelib.domain.headers``, the same policy as in AWS): a
  strict CSP (our origin and Stripe.js only; locally the localstripe origin from
  ``CROWDFIX_STRIPE_JS_URL``), ``frame-ancestors`` of our origin plus, for the embedded booking flow
  (``?embed=1&tenant=X``), the origins tenant X registered (read from the API), HSTS, referrer and
  permissions policies.

Usage: ``python localdev/webserver.py --port 8080 --api http://127.0.0.1:8000 [--root web/dist]``
"""
from __future__ import annotations

import argparse
import gzip
import json
import mimetypes
import os
import re
import sys
import time
import urllib.error
import urllib.request
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the policy lives in chalicelib.domain.headers
    sys.path.insert(0, str(ROOT))

from chalicelib.domain import headers as security  # noqa: E402  (pure, standard library only)

_TENANT_ID = re.compile(r"^[a-z][a-z0-9-]{2,31}$")
TEXT_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/manifest+json")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization",
              "proxy-authenticate", "host", "content-length", "accept-encoding"}
mimetypes.add_type("application/javascript", ".js")
mimetypes.add_type("application/manifest+json", ".webmanifest")


@lru_cache(maxsize=256)
def _gzipped(path: str, mtime: float) -> bytes:
    return gzip.compress(Path(path).read_bytes(), compresslevel=9, mtime=0)


def _stripe_origin() -> str | None:
    """The local Stripe stand-in's origin when Stripe.js comes from it (never in AWS)."""
    url = os.environ.get("CROWDFIX_STRIPE_JS_URL", "")
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.hostname in ("127.0.0.1", "localhost"):
        return f"{parts.scheme}://{parts.netloc}"
    return None


def _photo_origin() -> str | None:
    """moto server's S3, which serves the helper photos' presigned URLs locally (loopback only)."""
    parts = urlsplit(os.environ.get("AWS_ENDPOINT_URL_S3", ""))
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost"):
        return f"{parts.scheme}://{parts.netloc}"
    return None


def make_handler(root: Path, api: str):
    root = root.resolve()
    stripe_origin = _stripe_origin()
    photo_origin = _photo_origin()
    origins_cache: dict[str, tuple[float, tuple[str, ...]]] = {}

    def widget_origins(tenant: str) -> tuple[str, ...]:
        hit = origins_cache.get(tenant)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        try:
            with urllib.request.urlopen(f"{api.rstrip('/')}/v1/partners/{tenant}/frame-ancestors", timeout=5) as resp:
                found = tuple(o for o in json.loads(resp.read()).get("origins", [])
                              if isinstance(o, str) and re.match(r"^https?://[A-Za-z0-9.\-\[\]:]+$", o))
        except (urllib.error.URLError, OSError, ValueError):
            found = ()  # unknown tenant or API down: only our own origin may frame the app
        origins_cache[tenant] = (time.monotonic() + 30, found)
        return found

    def page_headers(path: str) -> dict[str, str]:
        query = parse_qs(urlsplit(path).query)
        tenant = (query.get("tenant") or [""])[0]
        ancestors: tuple[str, ...] = ()
        if (query.get("embed") or [""])[0] == "1" and _TENANT_ID.match(tenant):
            ancestors = widget_origins(tenant)
        return security.app_headers(ancestors, stripe_origin, photo_origin)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "crowdfix-web"

        def log_message(self, fmt, *args):  # keep logs short: one line per request
            sys.stderr.write("%s %s\n" % (self.command, fmt % args))

        # --- API proxy -------------------------------------------------------------------
        def _proxy(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            req = urllib.request.Request(api.rstrip("/") + self.path, data=body, method=self.command, headers=headers)
            try:
                resp = urllib.request.urlopen(req, timeout=60)
                status, rheaders, data = resp.status, resp.headers, resp.read()
            except urllib.error.HTTPError as err:
                status, rheaders, data = err.code, err.headers, err.read()
            except (urllib.error.URLError, OSError):
                status, rheaders = 502, {"Content-Type": "application/problem+json"}
                data = (b'{"type":"https://crowdfix.dev/problems/api-unreachable","title":"The service is not '
                        b'reachable","status":502,"detail":"please try again in a moment"}')
            self.send_response(status)
            for k, v in rheaders.items():
                if k.lower() not in HOP_BY_HOP and k.lower() not in ("server", "date"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the browser left (a page closed or navigated away) before the answer arrived

        do_POST = do_PUT = do_PATCH = do_DELETE = _proxy

        # --- static files ------------------------------------------------------------------
        def do_GET(self, head: bool = False):
            if self.path.startswith("/v1/"):
                return self._proxy()
            rel = self.path.split("?", 1)[0].split("#", 1)[0].lstrip("/")
            target = (root / rel).resolve() if rel else root / "index.html"
            if root not in target.parents and target != root / "index.html" or not target.is_file():
                if "." in rel.rsplit("/", 1)[-1]:  # a missing asset is a real 404, not the app
                    return self._send(404, b"not found", "text/plain", "no-store", head)
                target = root / "index.html"
            ctype = mimetypes.guess_type(str(target))[0] or "application/octet-stream"
            if target.name in ("index.html", "sw.js", "manifest.webmanifest"):
                cache = "no-cache"
            elif "/assets/" in "/" + rel:
                cache = "public, max-age=31536000, immutable"
            else:
                cache = "public, max-age=3600"
            if ctype.startswith(TEXT_TYPES) and "gzip" in (self.headers.get("Accept-Encoding") or ""):
                data = _gzipped(str(target), target.stat().st_mtime)
                return self._send(200, data, ctype, cache, head, encoding="gzip")
            return self._send(200, target.read_bytes(), ctype, cache, head)

        def do_HEAD(self):
            return self.do_GET(head=True)

        def _send(self, status, data, ctype, cache, head=False, encoding=None):
            self.send_response(status)
            self.send_header("Content-Type", ctype + ("; charset=utf-8" if ctype.startswith("text/") or ctype.endswith("javascript") else ""))
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", cache)
            for name, value in page_headers(self.path).items():
                self.send_header(name, value)
            self.send_header("Vary", "Accept-Encoding")
            if encoding:
                self.send_header("Content-Encoding", encoding)
            self.end_headers()
            if not head:
                self.wfile.write(data)

    return Handler


def serve(port: int, api: str, root: Path) -> ThreadingHTTPServer:
    if not (root / "index.html").exists():
        raise SystemExit(f"{root}/index.html is missing: build the web app first (cd web && npm run build)")
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(root, api))
    server.daemon_threads = True
    return server


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--api", default="http://127.0.0.1:8000")
    p.add_argument("--root", default=str(ROOT / "web" / "dist"))
    args = p.parse_args(argv)
    server = serve(args.port, args.api, Path(args.root))
    print(f"serving {args.root} on http://127.0.0.1:{args.port} (API {args.api})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
