"""The payment record of a booking, as the payment use cases read and change it.

Every change goes through :func:`update`: the use case decides ``{field: value}`` from the record
as read, the store writes it on condition that the version is unchanged, and a lost race is re-read
and decided again (``store.retry``). Every money-moving step follows the same pattern so a retry
never moves money twice:

1. skip it if ``payment.steps[step]`` is recorded;
2. call Stripe through ``adapters.stripe_gateway`` with the idempotency key ``<booking>:<step>``
   (a retry after a crash between 2 and 3 gets Stripe's first answer back);
3. record the step (:func:`record_step`) and post its ledger movement (movement id
   ``<booking>#<step>``, written only if new).
"""
from __future__ import annotations

from typing import Callable

from chalicelib.domain import ledger as L
from chalicelib.domain.ids import now_iso
from chalicelib.domain.payment_states import AUTHORISED, PaymentFacts
from chalicelib.store.conditions import AlreadyExists
from chalicelib.store.payments import payments
from chalicelib.store.records import BookingRecord, PaymentRecord

Change = Callable[[PaymentRecord], "dict | None"]


def get_payment(booking_id: str) -> PaymentRecord | None:
    return payments().get(booking_id)


def ensure_payment(booking: BookingRecord) -> PaymentRecord:
    """The booking's payment record, made on first use (in the price cap's currency)."""
    pay = get_payment(booking.booking_id)
    if pay is not None:
        return pay
    now = now_iso()
    pay = PaymentRecord(booking_id=booking.booking_id, tenant_id=booking.tenant_id, customer_id=booking.customer_id,
                        currency=(booking.price_cap or {}).get("currency", "CHF"), created_at=now, updated_at=now,
                        mode="test" if getattr(booking, "sandbox", None) == "test" else None)
    try:
        payments().add(pay)
        return pay
    except AlreadyExists:
        return get_payment(booking.booking_id)


def update(booking_id: str, change: Change) -> PaymentRecord:
    """Read, let ``change`` return the fields to set (None removes; nothing to do: None), write on
    condition that nobody else wrote in between; re-read and decide again on a lost race (409
    after a few)."""
    return payments().update(booking_id, change)


def facts(pay: PaymentRecord | None) -> PaymentFacts:
    return PaymentFacts.from_dict(pay.facts if pay is not None else {})


def merged_facts(pay: PaymentRecord, incoming: PaymentFacts) -> dict:
    """The fields that merge ``incoming`` into the payment's facts (and the status they derive)."""
    merged = facts(pay).merge(incoming)
    changes = {"facts": merged.as_dict(), "status": merged.state}
    if merged.state != AUTHORISED and pay.hold_day:
        changes["hold_day"] = None  # no hold to renew any more
    return changes


def record_step(booking_id: str, step: str, result: dict, incoming: PaymentFacts | None = None,
                extra: Callable[[PaymentRecord], dict] | None = None) -> PaymentRecord:
    """Record money-moving ``step`` once (with what Stripe answered), merging ``incoming`` facts."""
    def change(pay: PaymentRecord):
        if step in pay.steps:
            return None
        changes = {"steps": {**pay.steps, step: {**result, "at": now_iso()}}}
        if incoming is not None:
            changes.update(merged_facts(pay, incoming))
        if extra:
            changes.update(extra(pay))
        return changes
    return update(booking_id, change)


def parties(pay: PaymentRecord, helper_id: str | None) -> L.Parties:
    """Who the booking's money moves between. A sandbox booking's money is booked on the tenant's
    test book (``ledger.test_book``): it never reaches the tenant's live statement or the
    platform's fee income."""
    tenant = L.test_book(pay.tenant_id) if is_test(pay) else pay.tenant_id
    return L.Parties(pay.booking_id, tenant, pay.customer_id, helper_id, pay.currency)


def is_test(pay: PaymentRecord | None) -> bool:
    """A sandbox booking's payment (Stripe test mode)."""
    return pay is not None and pay.mode == "test"


def stripe_mode(pay: PaymentRecord | None) -> str:
    from chalicelib.adapters.stripe_gateway import LIVE, TEST
    return TEST if is_test(pay) else LIVE


def requests(pay: PaymentRecord | None) -> list[dict]:
    """The requests for more than the cap (``domain.extra_approval``), oldest first."""
    return [dict(r) for r in (pay.extra_approvals if pay is not None else ())]


def charge_of(pi: dict) -> str | None:
    charge = pi.get("latest_charge")
    return charge.get("id") if isinstance(charge, dict) else charge
