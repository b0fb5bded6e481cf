"""Stored answers to ``Idempotency-Key`` requests (``idempotency`` table, ``replay#`` keys).

One conditional write claims a key for one request; the answer is then kept (sealed by the
caller) so a retry gets the same answer back, and a request with the same key but another body
is told so. Records expire with the table's TTL.
"""
from __future__ import annotations

import secrets
import time
from datetime import timedelta

from chalicelib.store import current
from chalicelib.store.conditions import is_condition_failure
from chalicelib.store.records import ReplayRecord

CLAIMED, DONE, BUSY = "claimed", "done", "busy"


class Replays:
    """DynamoDB repository of stored answers (``models.idempotency``)."""

    def claim(self, key: str, request_hash: str, *, lease_seconds: int, ttl_seconds: int
              ) -> tuple[str, str | None, ReplayRecord | None]:
        """Claim ``key`` for a request with ``request_hash``. Returns ``(CLAIMED, owner, None)``,
        ``(DONE, None, record)`` (answered before) or ``(BUSY, None, record)`` (running now)."""
        from pynamodb.exceptions import PutError

        from chalicelib.models.idempotency import IdempotencyRecord

        owner, now = secrets.token_hex(8), time.time()
        item = IdempotencyRecord(key=key, request_hash=request_hash, state="running", owner=owner,
                                 lease_until=now + lease_seconds, ttl=timedelta(seconds=ttl_seconds))
        takeover = (IdempotencyRecord.state == "running") & (IdempotencyRecord.lease_until < now)
        try:
            item.save(condition=IdempotencyRecord.key.does_not_exist() | takeover)
            return CLAIMED, owner, None
        except PutError as exc:
            if not is_condition_failure(exc):
                raise
        record = self.get(key)
        if record is None:  # released between our write and this read
            return BUSY, None, ReplayRecord(key=key, request_hash=request_hash, state="running")
        return (BUSY if record.state == "running" else DONE), None, record

    def finish(self, key: str, owner: str, status: int, sealed: str) -> bool:
        """Keep the answer; False if this request lost its claim (lease ran out, taken over)."""
        from pynamodb.exceptions import UpdateError

        from chalicelib.models.idempotency import IdempotencyRecord
        try:
            IdempotencyRecord(key=key).update(
                actions=[IdempotencyRecord.state.set("done"), IdempotencyRecord.lease_until.remove(),
                         IdempotencyRecord.status.set(int(status)), IdempotencyRecord.sealed.set(sealed)],
                condition=IdempotencyRecord.owner == owner)
            return True
        except UpdateError as exc:
            if is_condition_failure(exc):
                return False
            raise

    def release(self, key: str, owner: str) -> None:
        """Give the claim up (the request failed), so a retry runs it afresh."""
        from pynamodb.exceptions import DeleteError

        from chalicelib.models.idempotency import IdempotencyRecord
        try:
            IdempotencyRecord(key=key).delete(condition=(IdempotencyRecord.owner == owner)
                                              & (IdempotencyRecord.state == "running"))
        except DeleteError as exc:
            if not is_condition_failure(exc):
                raise

    def get(self, key: str) -> ReplayRecord | None:
        from chalicelib.models.idempotency import IdempotencyRecord
        try:
            item = IdempotencyRecord.get(key, consistent_read=True)
        except IdempotencyRecord.DoesNotExist:
            return None
        return ReplayRecord(key=item.key, request_hash=item.request_hash or "", state=item.state or "done",
                            status=int(item.status) if item.status is not None else None, sealed=item.sealed)


_replays = Replays()


def replays() -> Replays:
    """The stored-answers repository in force (DynamoDB unless a test put a twin in place)."""
    return current("replays") or _replays
