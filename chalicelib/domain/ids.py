"""Ids and timestamps as every record carries them (no AWS import)."""
from __future__ import annotations

import secrets
from datetime import datetime, timezone


def now_iso() -> str:
    """Now, UTC, to the millisecond: ``2026-12-01T23:04:05.678Z`` (sorts as it reads)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id(prefix: str) -> str:
    """Opaque, unguessable ids with a readable type prefix (``b_``, ``h_``, ``c_``...)."""
    return f"{prefix}_{secrets.token_urlsafe(12).replace('-', 'x').replace('_', 'y')}"
