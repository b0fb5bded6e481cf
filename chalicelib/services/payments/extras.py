"""Extras before settlement: parts the helper bought for the customer, and the customer's tip."""
from __future__ import annotations

from chalicelib.domain import booking_states as bs
from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.services.payments.approvals import request_extra_approval
from chalicelib.services.payments.booking import booking as booking_record
from chalicelib.services.payments.booking import booking_terms, customers_booking
from chalicelib.services.payments.record import ensure_payment, facts, requests, update
from chalicelib.store.records import PaymentRecord

MAX_PARTS = 10


def add_part(actor: Actor, booking_id: str, description: str, amount: int) -> PaymentRecord:
    """The assigned helper adds a part bought for the customer. A part above the tenant's
    ``parts_approval_minor`` (the booking's terms) waits for the customer's approval: it asks for
    that much more through the extra approval (the customer answers on the booking page; approving
    raises the card hold) and is billed only once approved. Below the limit a part is billed at
    once, but parts never add up to more than the card hold without an approval."""
    booking = booking_record(booking_id)
    if actor.role != "helper" or booking.helper_id != actor.id:
        raise NotFound(f"booking {booking_id} was not found", field="booking_id")
    if booking.state not in (bs.ASSIGNED, bs.EN_ROUTE, bs.STARTED):
        raise Conflict("parts can be added only while the job is running", extra={"state": booking.state})
    pay = ensure_payment(booking)
    if amount > int(booking_terms(booking)["parts_approval_minor"]):
        reason = description if len(description) >= 3 else f"{description} (part)"
        pay = request_extra_approval(actor, booking_id, amount, None, reason)
        seq = int(requests(pay)[-1]["seq"])
        part = {"description": description, "amount": amount, "status": "pending", "approval_seq": seq}
    else:
        part = {"description": description, "amount": amount, "status": "approved"}

    def change(p: PaymentRecord):
        parts = list(p.extras.get("parts", []))
        if part.get("approval_seq") and any(x.get("approval_seq") == part["approval_seq"] for x in parts):
            return None  # a retried POST of the part that waits already
        if len(parts) >= MAX_PARTS:
            raise ValidationFailed(f"at most {MAX_PARTS} parts per job", field="amount")
        if "approval_seq" not in part:
            billed = sum(int(x["amount"]) for x in billed_parts(p))
            if facts(p).authorised and billed + amount > facts(p).authorised:
                raise ValidationFailed("the parts would cost more than the card hold; ask the customer to approve "
                                       "more first", field="amount", extra={"authorised": facts(p).authorised})
        return {"extras": {**p.extras, "parts": parts + [part]}}
    return update(pay.booking_id, change)


def billed_parts(pay: PaymentRecord) -> list[dict]:
    """The parts settlement bills: those below the approval limit, and those above it the customer
    approved (a declined or still waiting one is not billed)."""
    answers = {int(r["seq"]): r.get("status") for r in requests(pay)}
    parts = pay.extras.get("parts", [])
    return [dict(x) for x in parts if x.get("approval_seq") is None or answers.get(int(x["approval_seq"])) == "approved"]


def set_tip(actor: Actor, booking_id: str, amount: int) -> PaymentRecord:
    if actor.role != "customer":
        raise Forbidden("only the customer can give a tip")
    booking = customers_booking(actor, booking_id)
    if booking.state in bs.TERMINAL_STATES:
        raise Conflict("a tip can be given until the job is done", extra={"state": booking.state})
    pay = ensure_payment(booking)
    return update(pay.booking_id, lambda p: {"extras": {**p.extras, "tip": amount}})
