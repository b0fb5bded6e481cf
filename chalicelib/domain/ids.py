"""Ids and timestamps as every record carries them, and the shape of the ids crowdfix hands out
(no AWS import: the HTTP edge checks path and query values against these patterns at no cost, the
request models use the same ones)."""
from __future__ import annotations

import secrets
from datetime import datetime, timezone

# A tenant id is chosen by platform ops when the tenant is created (``CreateTenant``) and then used
# in URLs (widget, landing page): a lower-case slug.
TENANT_ID = r"^[a-z][a-z0-9-]{2,31}$"


def now_iso() -> str:
    """Now, UTC, to the millisecond: ``2026-12-01T23:04:05.678Z`` (sorts as it reads)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id(prefix: str) -> str:
    """Opaque, unguessable ids with a readable type prefix (``b_``, ``h_``, ``c_``...)."""
    return f"{prefix}_{secrets.token_urlsafe(12).replace('-', 'x').replace('_', 'y')}"


def prefixed_id(prefix: str) -> str:
    """The pattern of an id made by ``new_id(prefix)`` (``b_...``, ``h_...``): the prefix, an
    underscore, then letters, digits and underscores, 64 characters at most."""
    return rf"^{prefix}_[A-Za-z0-9_]{{1,{62 - len(prefix)}}}$"
