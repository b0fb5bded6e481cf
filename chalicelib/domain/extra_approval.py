"""Asking the customer to approve more than the price cap during a job. Pure: no AWS, no Stripe.

The helper asks for ``amount`` more (minor units, the booking's currency) with a reason; the
customer approves or declines. On approval the card hold is raised to the new limit and
settlement may charge up to it (``domain.pricing`` takes the limit). How much more may be asked
in total above the price cap the customer agreed is the tenant's ``extra_approval_max_minor``.

A booking keeps its requests as a list (``seq`` 1, 2, ...); at most one waits at a time.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from chalicelib.domain import booking_states as bs
from chalicelib.domain.errors import Conflict, ValidationFailed

PENDING, APPROVED, DECLINED = "pending", "approved", "declined"
# while the helper is on the job (assigned, on the way, working)
RUNNING_STATES = (bs.ASSIGNED, bs.EN_ROUTE, bs.STARTED)


def _money(amount: int, currency: str) -> str:
    return f"{currency} {amount // 100}.{amount % 100:02d}"


def check_request(*, state: str, amount: int, currency: str | None, booking_currency: str, original_cap: int,
                  current_limit: int, max_extra: int) -> int:
    """The new limit if the helper may ask for ``amount`` more now; else a typed error naming the
    field (422) or the state (409)."""
    if state not in RUNNING_STATES:
        raise Conflict("more can be asked for only while the job is running", extra={"state": state})
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationFailed("the amount must be a positive whole number of cents", field="amount")
    if currency is not None and currency.upper() != booking_currency.upper():
        raise ValidationFailed(f"the booking is paid in {booking_currency.upper()}", field="currency")
    new_limit = int(current_limit) + amount
    allowed = int(original_cap) + int(max_extra)
    if new_limit > allowed:
        room = max(0, allowed - int(current_limit))
        raise ValidationFailed(f"at most {_money(room, booking_currency.upper())} more can be asked for on this "
                               f"booking", field="amount", extra={"max_amount": room})
    return new_limit


def pending_of(requests: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    last = requests[-1] if requests else None
    return last if last is not None and last.get("status") == PENDING else None


def new_request(requests: Sequence[Mapping[str, Any]], *, amount: int, reason: str, currency: str,
                from_limit: int, new_limit: int, helper_id: str, at: str) -> dict | None:
    """The request to append, or None if the same request is waiting already (a retried POST).
    A different request while one waits is a conflict."""
    waiting = pending_of(requests)
    if waiting is not None:
        if int(waiting["amount"]) == amount and waiting.get("reason") == reason:
            return None
        raise Conflict("a request for more is already waiting for the customer's answer",
                       extra={"seq": int(waiting["seq"])})
    return {"seq": len(requests) + 1, "amount": amount, "reason": reason, "currency": currency.upper(),
            "from_limit": int(from_limit), "new_limit": int(new_limit), "status": PENDING,
            "requested_by": helper_id, "requested_at": at}


def decide(requests: Sequence[Mapping[str, Any]], approve: bool) -> tuple[str, Mapping[str, Any]]:
    """What answering does: ``("approve"|"decline", request)`` for the waiting request, or
    ``("noop", request)`` when the last request already has this answer (a repeated click).
    Changing an answer, or answering when nothing was asked, is a conflict."""
    if not requests:
        raise Conflict("the helper has not asked for more on this booking")
    last = requests[-1]
    wanted = APPROVED if approve else DECLINED
    if last.get("status") == PENDING:
        return ("approve" if approve else "decline"), last
    if last.get("status") == wanted:
        return "noop", last
    raise Conflict(f"this request was {last.get('status')} already", extra={"seq": int(last["seq"])})


def public_view(requests: Sequence[Mapping[str, Any]]) -> dict | None:
    """What the booking view shows: the latest request and the limit approved so far."""
    if not requests:
        return None
    last = dict(requests[-1])
    approved = [r for r in requests if r.get("status") == APPROVED]
    return {"seq": int(last["seq"]), "status": last["status"], "amount": int(last["amount"]),
            "currency": last["currency"], "reason": last.get("reason"), "new_limit": int(last["new_limit"]),
            "requested_at": last.get("requested_at"), "decided_at": last.get("decided_at"),
            "approved_limit": max((int(r["new_limit"]) for r in approved), default=None)}
