"""First-writer-wins records for retried requests and redelivered events."""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from pynamodb.exceptions import PutError

from chalicelib.store.conditions import is_condition_failure
from chalicelib.models.idempotency import IdempotencyRecord

DAY = 24 * 3600


def request_hash(payload: object) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def mark_once(key: str, ttl_seconds: int = 7 * DAY) -> bool:
    """Record ``key`` as processed. True the first time, False if it was already recorded."""
    record = IdempotencyRecord(key=key, ttl=timedelta(seconds=ttl_seconds))
    try:
        record.save(condition=IdempotencyRecord.key.does_not_exist())
        return True
    except PutError as exc:
        if is_condition_failure(exc):
            return False
        raise


def seen(key: str) -> bool:
    try:
        IdempotencyRecord.get(key, consistent_read=True)
        return True
    except IdempotencyRecord.DoesNotExist:
        return False
