"""Refunds (operations): all that is left or part of it, the helper's part taken back in proportion.

Money is serialised: the refunds of one booking run one at a time (``money#<booking>`` is held
for the whole operation), and before Stripe is called the amount is reserved on the payment
record with a conditional write (on its version) that never lets the reserved total pass what was
captured. So ten concurrent refunds can never pay back more than was charged, whatever Stripe
would allow."""
from __future__ import annotations

from chalicelib.adapters import stripe_gateway as gw
from chalicelib.domain import ledger as L
from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.domain.ids import now_iso
from chalicelib.domain.payment_states import CAPTURED, PARTIALLY_REFUNDED, PaymentFacts
from chalicelib.services.payments.booking import booking as booking_record
from chalicelib.services.payments.record import facts, get_payment, merged_facts, parties, stripe_mode, update
from chalicelib.services.payments.statements import booking_movements, post_movement
from chalicelib.store.records import BookingRecord, PaymentRecord


def refund_booking(actor: Actor, booking_id: str, amount: int | None, reason: str | None) -> PaymentRecord:
    """Refund all that is left (``amount`` None) or part of it. The helper's part is taken back by
    a transfer reversal in proportion; the platform fee and partner share give back theirs."""
    from chalicelib.store.claims import Busy, Held

    if actor.role != "ops":
        raise Forbidden("only operations can refund")
    booking = booking_record(booking_id)
    if not actor.may_see_tenant(booking.tenant_id):
        raise NotFound(f"booking {booking_id} was not found", field="booking_id")
    try:
        with Held(f"money#{booking_id}"):
            return _refund_held(actor, booking, amount, reason)
    except Busy:
        raise Conflict("another refund of this booking is being made right now; try again in a moment") from None


def _reserved(p: PaymentRecord) -> int:
    return max(int(p.refund_reserved or 0), facts(p).refunded)


def _refund_held(actor: Actor, booking: BookingRecord, amount: int | None, reason: str | None) -> PaymentRecord:
    booking_id = booking.booking_id
    pay = get_payment(booking_id)
    if pay is None or facts(pay).state not in (CAPTURED, PARTIALLY_REFUNDED):
        raise Conflict("nothing was charged for this booking, so there is nothing to refund",
                       extra={"payment_status": pay.status if pay else "none"})
    s = L.booking_summary(booking_movements(booking_id))
    remaining = s["helper_earning"] + s["platform_fee"] + s["partner_share"]

    # reserve the amount (and a sequence number for the idempotency keys) before moving money
    claimed: dict[str, int] = {}

    def reserve(p: PaymentRecord):
        left = min(facts(p).captured - _reserved(p), remaining)
        want = left if amount is None else amount
        if left <= 0:
            raise Conflict("this booking has been refunded in full already", extra={"refundable": 0})
        if want > left:
            raise ValidationFailed(f"at most {left} can still be refunded", field="amount", extra={"refundable": left})
        claimed.update(seq=int(p.refund_seq or 0), amount=want)
        return {"refund_seq": claimed["seq"] + 1, "refund_reserved": _reserved(p) + want}
    pay = update(booking_id, reserve)
    seq, amount = claimed["seq"], claimed["amount"]
    alloc = L.allocate_refund(amount, s["helper_earning"], s["platform_fee"], s["partner_share"])
    paid_out = s["paid_out"] - s["reversed"] > 0
    transfer_id = (pay.steps.get("payout") or {}).get("transfer_id")
    reversal_id = None
    try:
        if paid_out and alloc.helper and transfer_id:
            reversal_id = gw.reverse_transfer(transfer_id, alloc.helper,
                                              key=gw.idempotency_key(booking_id, f"reversal-{seq}"))["id"]
        refund = gw.refund(pay.payment_intent_id, amount, key=gw.idempotency_key(booking_id, f"refund-{seq}"),
                           metadata={"booking_id": booking_id, "by": actor.id}, mode=stripe_mode(pay))
    except Exception:
        if reversal_id is None:
            # nothing moved: give the reservation back (a reversal that went through keeps it, and
            # the same idempotency keys make a retry of this seq safe)
            update(booking_id, lambda p: {"refund_reserved": max(0, int(p.refund_reserved or 0) - amount)})
        raise
    for m in L.refund(parties(pay, booking.helper_id), seq, alloc, helper_paid_out=bool(paid_out and transfer_id),
                      refund_id=refund["id"], reversal_id=reversal_id):
        post_movement(m)
    row = {"seq": seq, "amount": amount, "refund_id": refund["id"], "reversal_id": reversal_id,
           "helper": alloc.helper, "platform_fee": alloc.fee, "partner_share": alloc.share, "by": actor.id,
           "reason": reason, "at": now_iso()}
    return update(booking_id, lambda p: {**merged_facts(p, PaymentFacts(refunded=facts(p).refunded + amount)),
                                         "refunds": list(p.refunds) + [row]})
