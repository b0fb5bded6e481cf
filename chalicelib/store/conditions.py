"""The one way to read the outcome of a conditional write or a transaction.

DynamoDB reports a refused condition in two shapes: a single-item write fails with
``ConditionalCheckFailedException``; a transaction fails with ``TransactionCanceledException``
and one *cancellation reason* per item (``None``, ``ConditionalCheckFailed``,
``TransactionConflict``, ``ThrottlingError``, ``ValidationError``, ...). pynamodb carries those as
``CancellationReason`` objects (or ``None`` for an item that was fine) on the exception. Every
service used to decode that by hand, in ~19 places and three ways; one of them called ``.get`` on a
``CancellationReason``, crashed, and lost a settlement. Services call :func:`outcome` (or the two
predicates) instead and never look inside a pynamodb error.

Outcomes:
- ``CONDITION``: a condition of ours was false (the item is not in the state we required). A
  business answer: already done, lost a race, not there any more.
- ``CONFLICT``: another transaction touched the item at the same moment; nothing was decided, the
  write can be retried.
- ``THROTTLED``: DynamoDB refused for capacity; retry with back-off.
- ``OTHER``: anything else (validation, access, network): a bug or an outage, to be raised.

A transaction in which any item's condition failed is a ``CONDITION`` even if another item also
conflicted: the condition decides (a retry would fail on it again).
"""
from __future__ import annotations

CONDITION = "condition"
CONFLICT = "conflict"
THROTTLED = "throttled"
OTHER = "other"

_THROTTLE_CODES = {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
                   "ThrottlingError", "ThrottlingErrorException"}


class ConditionFailed(Exception):
    """A write's condition was false: the record is not in the state the write required."""


class AlreadyExists(ConditionFailed):
    """A create found the record already there (a second review of one booking, a replayed guard)."""


def _reason_code(reason) -> str | None:
    """A cancellation reason's code, whatever its shape: pynamodb's ``CancellationReason``
    (``.code``), botocore's dict (``{"Code": ...}``), or ``None`` for an item that was fine."""
    if reason is None:
        return None
    if isinstance(reason, dict):
        return reason.get("Code")
    return getattr(reason, "code", None)


def cancellation_codes(exc: BaseException) -> list[str | None]:
    """The per-item codes of a cancelled transaction; ``None`` for an item that was fine (DynamoDB
    sends the string ``"None"``, pynamodb hands over ``None``: both read as ``None``)."""
    reasons = getattr(exc, "cancellation_reasons", None)
    if reasons is None:
        # botocore's own error (a transaction called without pynamodb)
        reasons = (getattr(exc, "response", None) or {}).get("CancellationReasons")
    codes = [_reason_code(r) for r in (reasons or [])]
    return [None if c == "None" else c for c in codes]


def _error_code(exc: BaseException) -> str | None:
    code = getattr(exc, "cause_response_code", None)  # pynamodb
    if code is None:
        code = ((getattr(exc, "response", None) or {}).get("Error") or {}).get("Code")  # botocore
    return code


def outcome(exc: BaseException) -> str:
    """Classify a DynamoDB write error as CONDITION, CONFLICT, THROTTLED or OTHER."""
    code = _error_code(exc)
    if code == "ConditionalCheckFailedException":
        return CONDITION
    if code in _THROTTLE_CODES:
        return THROTTLED
    if code == "TransactionConflictException":
        return CONFLICT
    if code == "TransactionCanceledException" or getattr(exc, "cancellation_reasons", None):
        codes = {c for c in cancellation_codes(exc) if c is not None}
        if "ConditionalCheckFailed" in codes:
            return CONDITION
        if "TransactionConflict" in codes:
            return CONFLICT
        if codes & _THROTTLE_CODES:
            return THROTTLED
        return OTHER
    if code == "TransactionInProgressException":
        return CONFLICT
    return OTHER


def is_condition_failure(exc: BaseException) -> bool:
    """True if the write was refused because one of its conditions was false."""
    return outcome(exc) == CONDITION


def is_retryable(exc: BaseException) -> bool:
    """True for conflicts and throttling: nothing was decided, the same write may be tried again."""
    return outcome(exc) in (CONFLICT, THROTTLED)


class BadCursor(ValueError):
    """A listing's cursor that does not continue this listing (or is not one of ours)."""
