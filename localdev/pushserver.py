"""A local stand-in for a browser's push service (and the browser's key store), on 127.0.0.1.

Real Web Push needs a browser vendor's push service. Locally this server plays both parts:

- ``POST /subscribe`` makes a subscription like ``PushManager.subscribe`` would: a fresh P-256 key
  pair and auth secret kept here, and an endpoint URL on this server. The answer is the
  ``PushSubscription.toJSON()`` shape a browser sends to ``POST /v1/push/subscriptions``.
- ``POST /push/<id>`` is that endpoint. It checks the VAPID ``Authorization`` header (ES256
  signature, audience, expiry), decrypts the aes128gcm body with the subscription's private key
  (RFC 8291, ``http_ece``), records the plaintext and answers 201 like a real push service.
- ``POST /subscriptions/<id>/gone`` makes the endpoint answer 410 from now on (an expired
  subscription); ``GET /messages`` lists what arrived.

Run alone: ``python -m localdev.pushserver --port 8090``; tests use :class:`PushStandIn` in-process.
"""
from __future__ import annotations

import argparse
import base64
import json
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _b64d(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _b64e(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def verify_vapid(header: str, endpoint_origin: str) -> dict:
    """Check ``Authorization: vapid t=<jwt>, k=<key>``; return the JWT claims or raise ValueError."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    m = re.match(r"^vapid\s+t=([^,\s]+)\s*,\s*k=([A-Za-z0-9_\-=]+)$", header.strip())
    if not m:
        raise ValueError("no VAPID authorization")
    token, key = m.group(1), m.group(2)
    head_b64, claims_b64, sig_b64 = token.split(".")
    if json.loads(_b64d(head_b64)).get("alg") != "ES256":
        raise ValueError("VAPID token is not ES256")
    sig = _b64d(sig_b64)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _b64d(key))
    try:
        public.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")),
                      f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise ValueError("VAPID signature does not verify") from None
    claims = json.loads(_b64d(claims_b64))
    if claims.get("aud") != endpoint_origin:
        raise ValueError(f"VAPID audience {claims.get('aud')!r} is not {endpoint_origin!r}")
    if int(claims.get("exp", 0)) < time.time():
        raise ValueError("VAPID token expired")
    return {**claims, "k": key}


class PushStandIn:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._subs: dict[str, dict] = {}
        self._messages: list[dict] = []
        self._lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status: int, body: dict | list | None = None):
                data = json.dumps(body if body is not None else {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path == "/messages":
                    return self._reply(200, stand_in.messages())
                if self.path == "/health":
                    return self._reply(200, {"ok": True})
                return self._reply(404, {"error": "not found"})

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/subscribe":
                    return self._reply(201, stand_in.subscribe())
                m = re.match(r"^/subscriptions/([A-Za-z0-9_\-]+)/gone$", self.path)
                if m:
                    return self._reply(200 if stand_in.mark_gone(m.group(1)) else 404, {})
                m = re.match(r"^/push/([A-Za-z0-9_\-]+)$", self.path)
                if m:
                    status, answer = stand_in.receive(m.group(1), dict(self.headers.items()), body)
                    return self._reply(status, answer)
                return self._reply(404, {"error": "not found"})

        self._server = ThreadingHTTPServer((host, port), Handler)
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="push-stand-in")

    def start(self) -> "PushStandIn":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def subscribe(self) -> dict:
        """A new subscription, as ``PushSubscription.toJSON()`` gives it."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        sid = secrets.token_urlsafe(16)
        key = ec.generate_private_key(ec.SECP256R1())
        auth = secrets.token_bytes(16)
        public = key.public_key().public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.UncompressedPoint)
        with self._lock:
            self._subs[sid] = {"key": key, "auth": auth, "gone": False}
        return {"endpoint": f"{self.url}/push/{sid}", "expirationTime": None,
                "keys": {"p256dh": _b64e(public), "auth": _b64e(auth)}}

    def mark_gone(self, sid: str) -> bool:
        with self._lock:
            if sid not in self._subs:
                return False
            self._subs[sid]["gone"] = True
            return True

    def receive(self, sid: str, headers: dict, body: bytes) -> tuple[int, dict]:
        import http_ece

        headers = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            sub = self._subs.get(sid)
        if sub is None:
            return 404, {"error": "no such subscription"}
        record = {"subscription": sid, "at": time.time(), "ttl": headers.get("ttl"),
                  "urgency": headers.get("urgency"), "encoding": headers.get("content-encoding"),
                  "ciphertext_bytes": len(body)}
        if sub["gone"]:
            record["status"] = 410
            self._record(record)
            return 410, {"error": "subscription expired"}
        try:
            record["vapid"] = verify_vapid(headers.get("authorization", ""), self.url)
            if headers.get("content-encoding") != "aes128gcm":
                raise ValueError("content is not aes128gcm encoded")
            plain = http_ece.decrypt(body, private_key=sub["key"], auth_secret=sub["auth"], version="aes128gcm")
            record["payload"] = json.loads(plain)
            record["ciphertext_contains_plaintext"] = plain in body
        except Exception as exc:
            record.update(status=400, error=f"{type(exc).__name__}: {exc}")
            self._record(record)
            return 400, {"error": record["error"]}
        record["status"] = 201
        self._record(record)
        return 201, {}

    def _record(self, record: dict) -> None:
        with self._lock:
            self._messages.append(record)

    def messages(self) -> list[dict]:
        with self._lock:
            return list(self._messages)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localdev.pushserver")
    parser.add_argument("--port", type=int, default=8090)
    args = parser.parse_args(argv)
    server = PushStandIn(port=args.port).start()
    print(f"push stand-in on {server.url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
