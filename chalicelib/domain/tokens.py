"""Signed, expiring bearer tokens (HS256 JWTs, standard library only).

A token names the caller's role, id and tenant. It is signed with a secret that never lives in
the repository (see ``credentials.get_secret``); there is no unsigned or debug token in any stage.

Only the canonical form is accepted (RFC 7515: base64url without padding): one token text per
signature, so a token with ``==`` appended, ``+/`` for ``-_`` or other unused bits in the last
character is refused, as PyJWT refuses it (``tests/security/test_tokens.py`` checks both agree).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time

from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import Unauthenticated


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_SIGNATURE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # 32 bytes, base64url, no padding
_BODY = re.compile(r"^[A-Za-z0-9_-]+$")
_HEADER = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())


def issue(secret: str, *, role: str, subject: str, tenant: str, ttl_seconds: int,
          now: float | None = None) -> str:
    now = int(now if now is not None else time.time())
    payload = {"sub": subject, "role": role, "ten": tenant, "iat": now, "exp": now + ttl_seconds}
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    sig = hmac.new(secret.encode(), f"{_HEADER}.{body}".encode(), hashlib.sha256).digest()
    return f"{_HEADER}.{body}.{_b64(sig)}"


def verify(secret: str, token: str, now: float | None = None) -> dict:
    """Return the token's claims, or raise ``Unauthenticated`` saying what to do."""
    try:
        header, body, sig = token.split(".")
        if header != _HEADER:
            raise ValueError("unexpected header")
        if not _SIGNATURE.match(sig) or not _BODY.match(body):
            raise ValueError("not base64url")
        raw_sig = _unb64(sig)
        if _b64(raw_sig) != sig:  # unused bits set in the last character: another text, same bytes
            raise ValueError("signature not in canonical form")
        expected = hmac.new(secret.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, raw_sig):
            raise ValueError("bad signature")
        claims = json.loads(_unb64(body))
    except (ValueError, TypeError, json.JSONDecodeError):
        raise Unauthenticated("your sign-in is not valid; please sign in again") from None
    if not isinstance(claims, dict) or {"sub", "role", "ten", "exp"} - claims.keys():
        raise Unauthenticated("your sign-in is not valid; please sign in again")
    if claims["exp"] < (now if now is not None else time.time()):
        raise Unauthenticated("your sign-in has expired; please sign in again")
    return claims


def actor(secret: str, token: str, now: float | None = None) -> Actor:
    """The caller a valid token names: its role, id and tenant (``Unauthenticated`` otherwise)."""
    claims = verify(secret, token, now)
    return Actor(role=claims["role"], id=claims["sub"], tenant_id=claims["ten"])
