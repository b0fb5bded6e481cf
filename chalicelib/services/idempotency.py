"""First-writer-wins records for retried requests and redelivered events."""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from chalicelib.store.guards import guards as guards_store

DAY = 24 * 3600


def request_hash(payload: object) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def mark_once(key: str, ttl_seconds: int = 7 * DAY) -> bool:
    """Record ``key`` as processed. True the first time, False if it was already recorded."""
    return guards_store().mark_once(key, timedelta(seconds=ttl_seconds))


def seen(key: str) -> bool:
    return guards_store().seen(key)
