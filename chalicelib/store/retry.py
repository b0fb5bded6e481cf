"""The one update-with-retry: read, decide, write on condition that nobody wrote in between.

Every read-modify-write of an aggregate that others write too (the payment record, a booking's
state, a helper's profile beside operations' status change) is the same loop: read the record,
let the use case decide the change from what it read, write the change with a condition on what
was read (a version, a state), and on a refused condition re-read and decide again. The loop is
bounded: after ``attempts`` lost races the caller's ``busy()`` error is raised (a 409 saying to
try again), never an endless spin and never a silent overwrite.
"""
from __future__ import annotations

from typing import Callable, TypeVar

from chalicelib.domain.errors import Conflict
from chalicelib.store.conditions import ConditionFailed

T = TypeVar("T")
C = TypeVar("C")

PAYMENT_ATTEMPTS = 5  # a payment record: read-decide-write tries before a 409


def payment_busy() -> Exception:
    return Conflict("the payment is changing right now; please try again in a moment")


def update_with_retry(read: Callable[[], T], change: Callable[[T], C | None], write: Callable[[T, C], T], *,
                      attempts: int, busy: Callable[[], Exception], first: T | None = None,
                      lost: Callable[[T, T], None] | None = None) -> T:
    """``change(current)`` returns what to write (falsy: nothing to do, ``current`` is returned);
    ``write(current, changes)`` writes it on condition that the record is still ``current`` and
    returns the record as written, or raises ``ConditionFailed``. Then the record is read again
    (``read()``), ``lost(stale, fresh)`` may raise a clearer error than a retry would give (a late
    second ``accept``), and the change is decided again from the fresh record.
    ``first``: the record the caller has read already (else it is read first)."""
    current = first if first is not None else read()
    for _ in range(attempts):
        changes = change(current)
        if not changes:
            return current
        try:
            return write(current, changes)
        except ConditionFailed:
            fresh = read()
            if lost is not None:
                lost(current, fresh)
            current = fresh
    raise busy()
