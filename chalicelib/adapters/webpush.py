"""Web Push (RFC 8030/8291/8292) with VAPID, through ``pywebpush``.

The payload is encrypted (aes128gcm) for the subscription's key, so the push service only relays
ciphertext. The VAPID private key is a secret (``VAPID_PRIVATE_KEY``: base64url of the raw 32-byte
P-256 key). pywebpush and cryptography are imported only when a push is actually sent.
"""
from __future__ import annotations

import base64
import json

from chalicelib.credentials import get_secret
from chalicelib.settings import get_settings


class PushGone(Exception):
    """The push service says the subscription no longer exists (404/410): forget it."""


class PushFailed(Exception):
    """The push service refused or could not be reached; worth retrying later."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


_public_key: dict[str, str] = {}


def vapid_public_key() -> str:
    """The application server key browsers pass to ``PushManager.subscribe`` (base64url, 65 bytes)."""
    private = get_secret("VAPID_PRIVATE_KEY")
    if private not in _public_key:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        raw = base64.urlsafe_b64decode(private + "=" * (-len(private) % 4))
        key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
        _public_key[private] = _b64(key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))
    return _public_key[private]


def generate_vapid_private_key() -> str:
    """A fresh VAPID private key in the form ``VAPID_PRIVATE_KEY`` expects (local setup, tests)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    return _b64(key.private_numbers().private_value.to_bytes(32, "big"))


class _OutboundResponse:
    """What pywebpush reads from a ``requests`` response (status_code, reason, text, headers)."""

    def __init__(self, status: int, reason: str | None, body: bytes, headers: dict):
        self.status_code, self.reason, self.headers = status, reason or "", headers
        self.text = body[:512].decode("utf-8", "replace")


class _OutboundSession:
    """Stands in for the ``requests`` session pywebpush posts through (its ``requests_session``
    parameter), so the request goes through ``adapters.outbound``: the endpoint is parsed once,
    its host must be a known push service exactly, the checked address is the one connected to,
    no redirect is followed, and time and answer size are bounded."""

    def post(self, url, data=None, headers=None, timeout=None, **_ignored):
        from chalicelib.adapters import outbound
        from chalicelib.domain.notification_schemas import PUSH_SERVICE_HOSTS

        resp = outbound.request("POST", url, body=data, headers=dict(headers or {}),
                                allowed_hosts=PUSH_SERVICE_HOSTS, timeout=float(timeout or 5), max_body=4096)
        if resp.status is None:
            raise PushFailed(f"push service not reachable: {resp.reason}")
        return _OutboundResponse(resp.status, resp.reason, resp.body, resp.headers)


def send_push(endpoint: str, p256dh: str, auth: str, payload: dict, ttl: int = 3600,
              urgency: str = "normal") -> int:
    """Encrypt ``payload`` (JSON) for one subscription and post it; returns the HTTP status."""
    from pywebpush import WebPushException, webpush

    from chalicelib.adapters.outbound import OutboundRefused, check_url
    from chalicelib.domain.notification_schemas import PUSH_SERVICE_HOSTS

    try:  # before any key work: a stored endpoint that is not a known push service is never called
        check_url(endpoint, allowed_hosts=PUSH_SERVICE_HOSTS, resolve=False)
    except OutboundRefused as exc:
        raise PushGone(f"push endpoint not allowed ({exc.reason})") from None
    try:
        resp = webpush(
            subscription_info={"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
            data=json.dumps(payload, ensure_ascii=False),
            vapid_private_key=get_secret("VAPID_PRIVATE_KEY"),
            vapid_claims={"sub": f"mailto:{get_settings().mail_from}"},
            ttl=ttl, headers={"Urgency": urgency}, timeout=5, requests_session=_OutboundSession())
    except WebPushException as exc:
        status = getattr(exc.response, "status_code", None)
        if status in (404, 410):
            raise PushGone(f"push subscription expired ({status})") from None
        raise PushFailed(f"push service answered {status}") from None
    except PushFailed:
        raise
    except Exception as exc:  # anything else on the way: retry later, short reason only
        raise PushFailed(f"push service not reachable: {type(exc).__name__}") from None
    return resp.status_code
