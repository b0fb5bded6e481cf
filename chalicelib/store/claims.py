"""Atomic claims: the guard that makes a redelivered record or event change nothing twice.

A check-then-act guard (``seen()``, work, ``mark_once()``) lets two concurrent deliveries of one
record both pass the check and both do the work. A claim is one conditional write that only one
worker can win:

1. :func:`claim` puts ``{key, state: running, owner, lease_until}`` on condition that the key is
   new, or that an earlier claim is still ``running`` past its lease (its worker died).
   It answers ``CLAIMED`` (go ahead), ``DONE`` (someone finished it: do nothing) or ``BUSY``
   (someone holds it right now: try again later; the message or record must be retried, not
   dropped).
2. :func:`finish` marks it ``done`` (only if this worker still owns it).
3. :func:`release` (after a failure) deletes it, so the next delivery claims it at once.
"""
from __future__ import annotations

import logging
import secrets
import time
from datetime import timedelta

log = logging.getLogger(__name__)

CLAIMED, DONE, BUSY = "claimed", "done", "busy"
DAY = 24 * 3600


class Busy(Exception):
    """Another worker holds the claim right now; retry later."""


def _twin():
    """The in-memory claims a test put in place (``store.using``), or None (then DynamoDB's)."""
    from chalicelib.store import current
    return current("claims")


def claim(key: str, *, lease_seconds: int = 120, ttl_seconds: int = 7 * DAY) -> tuple[str, str | None]:
    """Try to claim ``key``. Returns ``(outcome, owner token)``; the token is for finish/release."""
    if (twin := _twin()) is not None:
        return twin.claim(key, lease_seconds=lease_seconds, ttl_seconds=ttl_seconds)
    return claim_item(key, lease_seconds=lease_seconds, ttl_seconds=ttl_seconds)


def claim_item(key: str, *, lease_seconds: int, ttl_seconds: int, fields: dict | None = None
               ) -> tuple[str, str | None]:
    """:func:`claim` on DynamoDB, the claim item carrying ``fields`` too (``store.replays``: the
    request's hash). The one conditional claim write both claims and stored answers use."""
    from pynamodb.exceptions import PutError

    from chalicelib.models.idempotency import IdempotencyRecord
    from chalicelib.store.conditions import is_condition_failure

    owner = secrets.token_hex(8)
    now = time.time()
    record = IdempotencyRecord(key=key, state="running", owner=owner, lease_until=now + lease_seconds,
                               ttl=timedelta(seconds=ttl_seconds), **(fields or {}))
    takeover = (IdempotencyRecord.state == "running") & (IdempotencyRecord.lease_until < now)
    try:
        record.save(condition=IdempotencyRecord.key.does_not_exist() | takeover)
        return CLAIMED, owner
    except PutError as exc:
        if not is_condition_failure(exc):
            raise
    try:
        existing = IdempotencyRecord.get(key, consistent_read=True)
    except IdempotencyRecord.DoesNotExist:
        return BUSY, None  # released between our write and this read: the retry will claim it
    return (BUSY if existing.state == "running" else DONE), None


def finish(key: str, owner: str) -> bool:
    """Mark the claim done. False if this worker lost it (its lease ran out and another took it)."""
    if (twin := _twin()) is not None:
        return twin.finish(key, owner)
    return finish_item(key, owner)


def finish_item(key: str, owner: str, fields: dict | None = None) -> bool:
    """:func:`finish` on DynamoDB, setting ``fields`` on the item with ``done`` (``store.replays``:
    the answer's status and sealed body)."""
    from pynamodb.exceptions import UpdateError

    from chalicelib.models.idempotency import IdempotencyRecord
    from chalicelib.store.conditions import is_condition_failure

    extra = [getattr(IdempotencyRecord, name).set(value) for name, value in (fields or {}).items()]
    try:
        IdempotencyRecord(key=key).update(
            actions=[IdempotencyRecord.state.set("done"), IdempotencyRecord.lease_until.remove(), *extra],
            condition=IdempotencyRecord.owner == owner)
        return True
    except UpdateError as exc:
        if is_condition_failure(exc):
            return False
        raise


def release(key: str, owner: str) -> None:
    """Give the claim up after a failure (only if this worker still owns it)."""
    if (twin := _twin()) is not None:
        return twin.release(key, owner)
    return release_item(key, owner)


def release_item(key: str, owner: str) -> None:
    """:func:`release` on DynamoDB."""
    from pynamodb.exceptions import DeleteError

    from chalicelib.models.idempotency import IdempotencyRecord
    from chalicelib.store.conditions import is_condition_failure

    try:
        IdempotencyRecord(key=key).delete(condition=(IdempotencyRecord.owner == owner)
                                          & (IdempotencyRecord.state == "running"))
    except DeleteError as exc:
        if not is_condition_failure(exc):
            raise


def run_once(key: str, work, *, lease_seconds: int = 120, ttl_seconds: int = 7 * DAY, wait_seconds: float = 0):
    """Run ``work()`` at most once for ``key`` (``(True, result)``), or skip it when done before
    (``(False, None)``). Releases the claim if ``work`` raises, so a retry can run it.

    While another worker holds the claim, wait up to ``wait_seconds`` for it to finish (then skip)
    or for its lease to run out (then take it over: that worker died), and raise :class:`Busy`
    after that. Streams wait: a stream retry comes at once, and a worker that crashed holding a
    claim would otherwise use up the record's retries until its lease ran out."""
    deadline = time.monotonic() + wait_seconds
    delay = 0.1
    while True:
        outcome, owner = claim(key, lease_seconds=lease_seconds, ttl_seconds=ttl_seconds)
        if outcome != BUSY:
            break
        if time.monotonic() + delay > deadline:
            raise Busy(f"{key} is being processed by another worker")
        time.sleep(delay)
        delay = min(1.0, delay * 2)
    if outcome == DONE:
        return False, None
    try:
        result = work()
    except BaseException:
        try:
            release(key, owner)
        except Exception:  # noqa: BLE001 — the lease frees it; the work's own error is the one to raise
            log.warning("claim %s not released (its lease will free it)", key, exc_info=True)
        raise
    try:
        finish(key, owner)
    except Exception:  # noqa: BLE001 — the work is done: failing the record now would only repeat it
        log.warning("claim %s not marked done; a redelivery after its lease repeats idempotent work", key,
                    exc_info=True)
    return True, result


class Held:
    """``with Held(key):`` — one holder at a time for a short critical section (e.g. the money
    operations of one booking). Waits up to ``wait_seconds`` for a concurrent holder to finish,
    then raises :class:`Busy`. The lease frees the key if a holder dies inside."""

    def __init__(self, key: str, *, lease_seconds: int = 30, wait_seconds: float = 10.0):
        self.key, self.lease, self.wait = key, lease_seconds, wait_seconds
        self.owner: str | None = None

    def __enter__(self) -> "Held":
        deadline = time.monotonic() + self.wait
        delay = 0.05
        while True:
            outcome, owner = claim(self.key, lease_seconds=self.lease, ttl_seconds=DAY)
            if outcome == CLAIMED:
                self.owner = owner
                return self
            if outcome == DONE:
                # a finished critical section leaves nothing behind (released): "done" cannot
                # happen for a lock key; treat it as free once its record expires
                raise Busy(f"{self.key} is not a lock key")
            if time.monotonic() + delay > deadline:
                raise Busy(f"{self.key} is held by another request")
            time.sleep(delay)
            delay = min(0.5, delay * 2)

    def __exit__(self, *exc) -> None:
        if self.owner:
            release(self.key, self.owner)


class Claims:
    """``claim`` / ``finish`` / ``release`` as a repository (``Repos.claims``), so the contract suite
    runs DynamoDB's claims beside the in-memory twin (``store.memory.Claims``)."""

    def claim(self, key: str, *, lease_seconds: int = 120, ttl_seconds: int = 7 * DAY) -> tuple[str, str | None]:
        return claim(key, lease_seconds=lease_seconds, ttl_seconds=ttl_seconds)

    def finish(self, key: str, owner: str) -> bool:
        return finish(key, owner)

    def release(self, key: str, owner: str) -> None:
        release(key, owner)


def claims() -> Claims:
    return _twin() or Claims()
