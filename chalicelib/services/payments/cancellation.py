"""A cancelled booking's card hold: released for free until a helper is assigned; after that the
tenant's late-cancel fee is captured and goes to the helper. Operations' cancellations are free."""
from __future__ import annotations

import logging

from chalicelib.adapters import stripe_gateway as gw
from chalicelib.domain import booking_states as bs
from chalicelib.domain import ledger as L
from chalicelib.domain.payment_states import AUTHORISED, PaymentFacts
from chalicelib.services.payments.booking import booking_terms, helper_account
from chalicelib.services.payments.payouts import pay_helper
from chalicelib.services.payments.record import (charge_of, facts, get_payment, is_test, parties, record_step,
                                                 stripe_mode)
from chalicelib.services.payments.statements import post_movement

log = logging.getLogger(__name__)


def cancel_payment(booking: dict, entry: dict) -> str:
    """``booking``: the booking as the stream hands it (a dict); ``entry``: its cancel transition."""
    booking_id = booking["booking_id"]
    pay = get_payment(booking_id)
    if pay is None or not pay.payment_intent_id or facts(pay).state != AUTHORISED:
        return "nothing-held"
    helper_id = booking.get("helper_id")
    late = (entry.get("transition") == "cancel_by_customer" and helper_id
            and entry.get("from") in (bs.ASSIGNED, bs.EN_ROUTE))
    fee = min(int(booking_terms(booking)["late_cancel_fee_minor"]), facts(pay).authorised) if late else 0
    if fee <= 0:
        if "release" not in pay.steps:
            pi = gw.release(pay.payment_intent_id, key=gw.idempotency_key(booking_id, f"release-{int(pay.auth_seq)}"),
                            mode=stripe_mode(pay))
            record_step(booking_id, "release", {"payment_intent": pi["id"]}, PaymentFacts(released=True))
        return "released"
    if "cancel_capture" not in pay.steps:
        pi = gw.capture(pay.payment_intent_id, fee, key=gw.idempotency_key(booking_id, "cancel_capture"),
                        mode=stripe_mode(pay))
        charge_id = charge_of(pi)
        record_step(booking_id, "cancel_capture", {"amount": fee, "charge_id": charge_id},
                    PaymentFacts(authorised=facts(pay).authorised, captured=fee),
                    extra=lambda p: {"charge_id": charge_id})
    who = parties(pay, helper_id)
    post_movement(L.capture(who, fee))
    post_movement(L.cancellation_fee(who, fee))
    if not is_test(pay):  # a simulated helper is paid nothing
        pay_helper(booking_id, helper_account(helper_id), fee)
    return "late-cancel-fee"


def cancel_payment_effect(booking: dict, entry: dict, old: dict | None) -> None:
    """The ``cancel_payment`` effect of the cancel transitions (bookings stream; idempotent)."""
    log.info("cancel payment %s: %s", booking["booking_id"], cancel_payment(booking, entry))
