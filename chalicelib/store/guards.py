"""First-writer-wins markers (``idempotency``)."""
from __future__ import annotations

from datetime import timedelta

from chalicelib.store._dynamo import _create
from chalicelib.store import current
from chalicelib.store.conditions import AlreadyExists


class Guards:
    """First-writer-wins markers (``models.idempotency``): a processed event, a counted change."""

    def mark_once(self, key: str, ttl: timedelta) -> bool:
        from chalicelib.models.idempotency import IdempotencyRecord
        try:
            _create(IdempotencyRecord(key=key, ttl=ttl), IdempotencyRecord.key)
            return True
        except AlreadyExists:
            return False

    def seen(self, key: str) -> bool:
        from chalicelib.models.idempotency import IdempotencyRecord
        try:
            IdempotencyRecord.get(key, consistent_read=True)
            return True
        except IdempotencyRecord.DoesNotExist:
            return False


_guards = Guards()


def guards() -> Guards:
    """The guards repository in force (DynamoDB unless a test put a twin in place)."""
    return current("guards") or _guards
