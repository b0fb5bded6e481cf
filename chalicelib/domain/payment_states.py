"""A booking's payment state, derived from facts that only ever grow. Pure: no AWS, no Stripe.

Stripe delivers webhooks at least once and in any order, and our own calls learn the same facts
synchronously. So the state is not a stored value that each event overwrites; it is derived from
monotone facts (authorised amount, captured amount, refunded amount, released, failed), and each
fact is merged with ``max``/``or``. Merging is commutative, associative and idempotent: duplicated
or reordered events reach the same final state, and a stale event (``payment_intent.
amount_capturable_updated`` after the capture) can never move the state backwards — it is refused
as out of order.

States::

    none -> authorised -> captured -> partially_refunded -> refunded
              \\-> released (authorisation cancelled: free cancellation, or expired hold)
    none/authorised -> failed (card declined)
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

NONE, AUTHORISED, CAPTURED, PARTIALLY_REFUNDED, REFUNDED, RELEASED, FAILED = (
    "none", "authorised", "captured", "partially_refunded", "refunded", "released", "failed")

# how far along each state is; an event whose state ranks below the current one is out of order
RANK = {NONE: 0, FAILED: 1, AUTHORISED: 2, RELEASED: 3, CAPTURED: 3, PARTIALLY_REFUNDED: 4, REFUNDED: 5}


@dataclass(frozen=True)
class PaymentFacts:
    authorised: int = 0   # amount held on the card (minor units)
    captured: int = 0
    refunded: int = 0
    released: bool = False
    failed: bool = False

    def merge(self, other: "PaymentFacts") -> "PaymentFacts":
        return PaymentFacts(max(self.authorised, other.authorised), max(self.captured, other.captured),
                            max(self.refunded, other.refunded), self.released or other.released,
                            self.failed or other.failed)

    @property
    def state(self) -> str:
        if self.captured > 0:
            if self.refunded >= self.captured:
                return REFUNDED
            return PARTIALLY_REFUNDED if self.refunded > 0 else CAPTURED
        if self.released:
            return RELEASED
        if self.authorised > 0:
            return AUTHORISED
        return FAILED if self.failed else NONE

    def as_dict(self) -> dict[str, Any]:
        return {"authorised": self.authorised, "captured": self.captured, "refunded": self.refunded,
                "released": self.released, "failed": self.failed}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> "PaymentFacts":
        d = d or {}
        return cls(int(d.get("authorised") or 0), int(d.get("captured") or 0), int(d.get("refunded") or 0),
                   bool(d.get("released")), bool(d.get("failed")))


def facts_from_payment_intent(pi: Mapping[str, Any]) -> PaymentFacts:
    """What a PaymentIntent object (from an API answer or a webhook) proves."""
    status = pi.get("status")
    amount = int(pi.get("amount") or 0)
    received = int(pi.get("amount_received") or 0)
    charge = pi.get("latest_charge")
    if not received and isinstance(charge, Mapping) and charge.get("captured"):
        # localstripe has no amount_received and models a partial capture as a full capture plus a
        # refund of the rest; at capture time that is charge amount minus amount refunded
        received = int(charge.get("amount") or 0) - int(charge.get("amount_refunded") or 0)
    f = PaymentFacts()
    if status in ("requires_capture", "succeeded") or (status == "canceled" and amount):
        f = replace(f, authorised=amount)
    if status == "succeeded" and received:
        f = replace(f, captured=received)
    if status == "canceled":
        f = replace(f, released=True)
    if status == "requires_payment_method" and pi.get("last_payment_error"):
        f = replace(f, failed=True)
    return f


def facts_from_event(event_type: str, obj: Mapping[str, Any]) -> PaymentFacts | None:
    """Facts a Stripe event carries about a payment, or None if it is not a payment event."""
    if event_type.startswith("payment_intent."):
        f = facts_from_payment_intent(obj)
        if event_type == "payment_intent.payment_failed":
            f = replace(f, failed=True)
        return f
    if event_type in ("charge.refunded", "charge.captured") and "amount_captured" in obj:
        # Stripe's charge: amount_refunded counts refunds of the captured amount only
        return PaymentFacts(captured=int(obj.get("amount_captured") or 0), refunded=int(obj.get("amount_refunded") or 0))
    return None


def is_out_of_order(current: PaymentFacts, incoming: PaymentFacts) -> bool:
    """True if the incoming facts describe an earlier state than the one already known (the event
    is stale; it is refused and changes nothing)."""
    return RANK[incoming.state] < RANK[current.state] or current.merge(incoming) == current
