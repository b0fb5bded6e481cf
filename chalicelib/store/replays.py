"""Stored answers to ``Idempotency-Key`` requests (``idempotency`` table, ``replay#`` keys).

One conditional write claims a key for one request; the answer is then kept (sealed by the
caller) so a retry gets the same answer back, and a request with the same key but another body
is told so. Records expire with the table's TTL.
"""
from __future__ import annotations

from chalicelib.store import current
from chalicelib.store.records import ReplayRecord

CLAIMED, DONE, BUSY = "claimed", "done", "busy"


class Replays:
    """DynamoDB repository of stored answers (``models.idempotency``)."""

    def claim(self, key: str, request_hash: str, *, lease_seconds: int, ttl_seconds: int
              ) -> tuple[str, str | None, ReplayRecord | None]:
        """Claim ``key`` for a request with ``request_hash`` (``store.claims``' one claim write).
        Returns ``(CLAIMED, owner, None)``, ``(DONE, None, record)`` (answered before) or
        ``(BUSY, None, record)`` (running now)."""
        from chalicelib.store import claims

        outcome, owner = claims.claim_item(key, lease_seconds=lease_seconds, ttl_seconds=ttl_seconds,
                                           fields={"request_hash": request_hash})
        if outcome == claims.CLAIMED:
            return CLAIMED, owner, None
        record = self.get(key)
        if record is None:  # released between our write and this read
            return BUSY, None, ReplayRecord(key=key, request_hash=request_hash, state="running")
        return (BUSY if record.state == "running" else DONE), None, record

    def finish(self, key: str, owner: str, status: int, sealed: str) -> bool:
        """Keep the answer; False if this request lost its claim (lease ran out, taken over)."""
        from chalicelib.store import claims
        return claims.finish_item(key, owner, {"status": int(status), "sealed": sealed})

    def release(self, key: str, owner: str) -> None:
        """Give the claim up (the request failed), so a retry runs it afresh."""
        from chalicelib.store import claims
        claims.release_item(key, owner)

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
