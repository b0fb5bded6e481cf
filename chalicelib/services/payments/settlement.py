"""Settling a completed booking: the final price once, the capture of exactly that, the division in
the ledger, the helper's payout and the receipt. Each step once; safe to run any number of times.

A sandbox (test-key) booking settles the same way against its Stripe *test-mode* hold, booked on
the tenant's test book (``ledger.test_book``), its simulated helper paid nothing; one that was
never held is not flagged unpaid (nothing real was owed)."""
from __future__ import annotations

import logging

from chalicelib.adapters import stripe_gateway as gw
from chalicelib.domain import booking_states as bs
from chalicelib.domain import ledger as L
from chalicelib.domain.ids import now_iso
from chalicelib.domain.payment_states import AUTHORISED, CAPTURED, PARTIALLY_REFUNDED, PaymentFacts
from chalicelib.domain.pricing import Part, split_charge, tip_of, total_of, visit_line_items
from chalicelib.services.payments.booking import booking as booking_record
from chalicelib.services.payments.booking import booking_terms, copy_to_booking, helper_account
from chalicelib.services.payments.extras import billed_parts
from chalicelib.services.payments.payouts import pay_helper
from chalicelib.services.payments.record import (charge_of, ensure_payment, facts, get_payment, is_test, parties,
                                                 record_step, stripe_mode, update)
from chalicelib.services.payments.statements import post_movement
from chalicelib.store.records import BookingRecord, PayoutAccountRecord

log = logging.getLogger(__name__)


def settle_booking(booking_id: str) -> dict:
    """Price, capture, divide, pay out, receipt — each step once. Safe to run any number of times."""
    booking = booking_record(booking_id)
    if booking.state != bs.COMPLETED:
        return {"result": "not-completed"}
    if booking.partner_id and dict(booking.terms or {}).get("billing_model") == "invoice":
        return {"result": "billed-by-invoice"}  # the partner pays, no card to capture: services/billing.py
    pay = get_payment(booking_id)
    if pay is None or not pay.payment_intent_id or facts(pay).state not in (AUTHORISED, CAPTURED, PARTIALLY_REFUNDED):
        if booking.sandbox == "test":
            # a test booking is never flagged to ops as unpaid: nothing real was owed
            log.info("test booking %s completed without a test-mode hold; nothing to settle", booking_id)
            return {"result": "sandbox-not-held"}
        if pay is None:
            pay = ensure_payment(booking)
        record_step(booking_id, "unpaid", {"reason": "no card authorisation when the job was completed"},
                    extra=lambda p: {"flag_tenant": f"{p.tenant_id}#unpaid"})
        log.warning("booking %s completed without an authorisation; flagged for ops", booking_id)
        return {"result": "unpaid"}
    pol = booking_terms(booking)
    helper = helper_account(booking.helper_id)
    who = parties(pay, booking.helper_id)

    # 1. final price, computed once on the server and stored
    if "price" not in pay.steps:
        items = visit_line_items(  # the quote's function (issue 17): the quote is the price
            pol, mode=booking.mode, minutes=int(booking.minutes_worked or 0), currency=pay.currency,
            helper_rate=booking.hourly_rate or helper.hourly_rate,
            parts=[Part(p["description"], int(p["amount"])) for p in billed_parts(pay)],
            tip=int(pay.extras.get("tip") or 0), limit=facts(pay).authorised)
        total, tip = total_of(items), tip_of(items)
        split = split_charge(total, tip, pol)
        rows = [i.as_dict() for i in items]
        pay = record_step(booking_id, "price", {"total": total, "tip": tip, "platform_fee": split.platform_fee,
                                                "partner_share": split.partner_share,
                                                "helper_payout": split.helper_payout},
                          extra=lambda p: {"line_items": rows})
        copy_to_booking(booking_id, {"line_items": rows}, in_state=bs.COMPLETED)
    price = pay.steps["price"]
    total = int(price["total"])

    # 2. capture exactly the final total (the rest of the hold is released by Stripe)
    if "capture" not in pay.steps:
        pi = gw.capture(pay.payment_intent_id, total, key=gw.idempotency_key(booking_id, "capture"),
                        mode=stripe_mode(pay))  # a test booking's hold is captured in test mode
        charge_id = charge_of(pi)
        pay = record_step(booking_id, "capture", {"amount": total, "charge_id": charge_id,
                                                  "authorised": facts(pay).authorised},
                          PaymentFacts(authorised=facts(pay).authorised, captured=total),
                          extra=lambda p: {"charge_id": charge_id})
    # 3. ledger: capture and division (idempotent on movement ids)
    post_movement(L.capture(who, total))
    for m in L.divide(who, int(price["platform_fee"]), int(price["partner_share"]), int(price["helper_payout"])):
        post_movement(m)
    # 4. pay the helper (a sandbox booking's helper is a simulated one: nothing is transferred)
    payout = "simulated" if is_test(pay) else pay_helper(booking_id, helper, int(price["helper_payout"]))
    # 5. receipt: kept on the payment record and e-mailed to the customer once
    _send_receipt(booking, helper, total)
    return {"result": "settled", "total": total, "payout": payout}


def _send_receipt(booking: BookingRecord, helper: PayoutAccountRecord, total: int) -> None:
    """The receipt (final line items, total charged, what the hold released) on the payment record,
    and a ``payment_receipt`` e-mail through the notification queue. The event id is one per
    booking, so a replayed settlement (or a crash between enqueueing and recording ``receipt_sent``)
    is deduplicated by the consumer's (event, recipient, channel) claim: one e-mail."""
    from chalicelib.domain.pricing import receipt_summary
    from chalicelib.services.notifications import enqueue_notification

    booking_id = booking.booking_id
    pay = get_payment(booking_id)
    if not pay.receipt:
        capture = pay.steps.get("capture") or {}
        authorised = int(capture.get("authorised") or facts(pay).authorised or total)
        receipt = {"booking_id": booking_id, "issued_at": now_iso(), "helper_first_name": helper.first_name,
                   **receipt_summary([dict(r) for r in pay.line_items], total, authorised, pay.currency)}
        pay = update(booking_id, lambda p: None if p.receipt else {"receipt": receipt})
    if "receipt_sent" in pay.steps:
        return
    event_id = f"payment_receipt#{booking_id}"
    enqueue_notification("payment_receipt", booking_id, {"role": "customer", "id": booking.customer_id},
                         {"ref": booking_id[-6:].upper(), "booking_id": booking_id, **pay.receipt},
                         tenant_id=booking.tenant_id, language=booking.language, event_id=event_id)
    record_step(booking_id, "receipt_sent", {"event_id": event_id})


def settle_effect(booking: dict, entry: dict, old: dict | None) -> None:
    """The ``settle`` effect of ``complete`` (bookings stream; idempotent)."""
    log.info("settle %s: %s", booking["booking_id"], settle_booking(booking["booking_id"]))
