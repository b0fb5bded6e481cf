"""Records of the failure store and its replays (loaded on first use through ``chalicelib.store.records``)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FailureRecord:
    """A unit of work that used up its retries: what failed, why, how often, and its message."""
    failure_id: str
    unit: str
    kind: str
    name: str
    error: str
    first_failed_at: str
    last_failed_at: str
    payload: str
    status: str = "open"  # open | replayed | resolved
    booking_id: str | None = None
    tenant_id: str | None = None
    attempts: int = 0
    replays: int = 0
    replayed_at: str | None = None
    replayed_by: str | None = None
    version: int = 1


@dataclass(frozen=True)
class ReplayRecord:
    """The claim and, once answered, the sealed answer of one ``Idempotency-Key`` request."""
    key: str
    request_hash: str
    state: str = "running"  # running | done
    status: int | None = None
    sealed: str | None = None  # the answer, encrypted with a key only the caller's Idempotency-Key gives
