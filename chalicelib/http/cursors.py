"""Cursors: opaque to clients, signed by us, bound to the listing they continue."""
from __future__ import annotations

import base64
import hashlib
import hmac

from chalicelib.domain.errors import ValidationFailed
from chalicelib.credentials import get_secret

CURSOR_MAX = 2048


def _cursor_mac(scope: str, inner: str) -> str:
    key = hmac.new(get_secret("TOKEN_SECRET").encode(), b"crowdfix-cursor-v1", hashlib.sha256).digest()
    mac = hmac.new(key, f"{scope}\n{inner}".encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def sign_cursor(inner: str | None, scope: str) -> str | None:
    """Wrap a service's page cursor for the client: ``<inner>.<mac>``, where the MAC binds it to
    ``scope`` (route and caller), so a crafted, edited or borrowed cursor is refused."""
    if not inner:
        return None
    return f"{inner}.{_cursor_mac(scope, inner)}"


def open_cursor(value: str | None, scope: str, name: str = "cursor") -> str | None:
    """The service's cursor inside a client's ``value``, after checking our signature: 422 for
    anything we did not hand out for this listing (``scope``)."""
    if not value:
        return None
    inner, dot, mac = value.rpartition(".")
    if (len(value) > CURSOR_MAX or not dot or not inner
            or not hmac.compare_digest(mac.encode(), _cursor_mac(scope, inner).encode())):
        raise ValidationFailed("the cursor is not valid; start again without it", field=name)
    return inner
