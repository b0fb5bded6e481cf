"""Web Push (RFC 8030/8291/8292) with VAPID, through ``pywebpush``.

The payload is encrypted (aes128gcm) for the subscription's key, so the push service only relays
ciphertext. The VAPID private key is a secret (``VAPID_PRIVATE_KEY``: base64url of the raw 32-byte
P-256 key). pywebpush and cryptography are imported only when a push is actually sent.
"""
from __future__ import annotations

import base64
import json

from chalicelib.settings import get_secret, get_settings


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


def send_push(endpoint: str, p256dh: str, auth: str, payload: dict, ttl: int = 3600,
              urgency: str = "normal") -> int:
    """Encrypt ``payload`` (JSON) for one subscription and post it; returns the HTTP status."""
    from pywebpush import WebPushException, webpush

    try:
        resp = webpush(
            subscription_info={"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
            data=json.dumps(payload, ensure_ascii=False),
            vapid_private_key=get_secret("VAPID_PRIVATE_KEY"),
            vapid_claims={"sub": f"mailto:{get_settings().mail_from}"},
            ttl=ttl, headers={"Urgency": urgency}, timeout=5)
    except WebPushException as exc:
        status = getattr(exc.response, "status_code", None)
        if status in (404, 410):
            raise PushGone(f"push subscription expired ({status})") from None
        raise PushFailed(f"push service answered {status}: {exc}") from None
    except Exception as exc:  # connection errors: retry later
        raise PushFailed(f"push service not reachable: {type(exc).__name__}") from None
    return resp.status_code
