"""Serves the built web app (``web/dist``) on loopback for local development and tests.

- Static files with SPA fallback: any path that is not a file gets ``index.html`` (client routing).
- ``/v1/*`` is proxied to the local API, so the page and the API are same-origin (as behind the CDN
  in AWS, where CloudFront routes ``/v1/*`` to API Gateway).
- Hashed assets are cached for a year, ``index.html`` and ``sw.js`` never; text is gzipped when the
  browser accepts it (as CloudFront does).

Usage: ``python localdev/webserver.py --port 8080 --api http://127.0.0.1:8000 [--root web/dist]``
"""
from __future__ import annotations

import argparse
import gzip
import mimetypes
import sys
import urllib.error
import urllib.request
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXT_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/manifest+json")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization",
              "proxy-authenticate", "host", "content-length", "accept-encoding"}
mimetypes.add_type("application/javascript", ".js")
mimetypes.add_type("application/manifest+json", ".webmanifest")


@lru_cache(maxsize=256)
def _gzipped(path: str, mtime: float) -> bytes:
    return gzip.compress(Path(path).read_bytes(), compresslevel=9, mtime=0)


def make_handler(root: Path, api: str):
    root = root.resolve()

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
            self.wfile.write(data)

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
            self.send_header("X-Content-Type-Options", "nosniff")
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
