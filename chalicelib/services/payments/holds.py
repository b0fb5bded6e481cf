"""Card holds: authorising the price cap at booking (manual capture), the hold asked for in the
booking request itself, and renewing holds before the card network lets them lapse (~7 days)."""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from chalicelib.adapters import stripe_gateway as gw
from chalicelib.domain import booking_states as bs
from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import Conflict, Forbidden, ValidationFailed
from chalicelib.domain.ids import now_iso
from chalicelib.domain.payment_states import AUTHORISED, PaymentFacts, facts_from_payment_intent
from chalicelib.services.payments.booking import booking as booking_record
from chalicelib.services.payments.booking import customers_booking
from chalicelib.services.payments.cancellation import cancel_payment
from chalicelib.services.payments.record import (ensure_payment, facts, get_payment, is_test, merged_facts,
                                                 stripe_mode, update)
from chalicelib.services.tenants import tenant_policy
from chalicelib.store.cards import cards
from chalicelib.store.payments import payments
from chalicelib.store.records import BookingRecord, PaymentRecord


def authorise_booking(actor: Actor, booking_id: str, payment_method: str | None, use_saved: bool) -> PaymentRecord:
    """Hold the booking's price cap on the customer's card (manual capture). With
    ``payment_method`` (e.g. from Stripe.js) the card is saved on the customer's Stripe Customer
    for next time; with ``use_saved`` the saved card is used. Authorising twice returns the
    existing hold."""
    if actor.role != "customer":
        raise Forbidden("only the customer can pay for a booking")
    booking = customers_booking(actor, booking_id)
    if booking.state in bs.TERMINAL_STATES:
        raise Conflict(f"this booking is {booking.state}; there is nothing to pay", extra={"state": booking.state})
    pay = ensure_payment(booking)
    if facts(pay).state not in ("none", "failed", "released"):
        return _card_held(actor, booking, pay)
    if is_test(pay):
        return _card_held(actor, booking, _test_hold(booking, pay, payment_method))
    customer = cards().get(booking.customer_id)
    stripe_customer = customer.stripe_customer_id
    if not stripe_customer:
        stripe_customer = gw.create_customer(customer.email, customer.name,
                                             {"customer_id": customer.customer_id, "tenant_id": customer.tenant_id},
                                             key=f"{customer.customer_id}:stripe-customer")["id"]
        cards().set_stripe_customer(customer.customer_id, stripe_customer)
    if payment_method:
        try:
            attached = gw.attach_payment_method(payment_method, stripe_customer)
        except gw.PaymentDeclined:
            update(booking.booking_id, lambda p: merged_facts(p, PaymentFacts(failed=True)))
            raise
        pm, last4 = attached["id"], str((attached.get("card") or {}).get("last4") or "")[:4] or None
        cards().save_card(customer.customer_id, pm, last4)
    elif use_saved:
        pm = customer.default_payment_method
        if not pm:
            raise ValidationFailed("there is no saved card yet; add a card", field="payment_method")
    else:
        raise ValidationFailed("give a payment_method or use_saved", field="payment_method")
    return _card_held(actor, booking, authorise(booking, pay, stripe_customer, pm, off_session=False))


def _test_hold(booking: BookingRecord, pay: PaymentRecord, payment_method: str | None) -> PaymentRecord:
    """The hold of a sandbox booking, in Stripe test mode (a test card such as ``pm_card_visa``):
    a test-mode Customer of this one booking, the card never saved on the customer's account
    (her saved card is a live one; a test key's booking never touches it)."""
    if not payment_method:
        raise ValidationFailed("a test booking is paid with a Stripe test card (payment_method pm_card_visa); "
                               "saved cards are live and never used for it", field="payment_method")
    mode = gw.TEST
    stripe_customer = pay.stripe_customer_id
    if not stripe_customer:
        stripe_customer = gw.create_customer(f"{booking.customer_id}@sandbox.crowdfix.invalid", None,
                                             {"customer_id": booking.customer_id, "tenant_id": booking.tenant_id,
                                              "booking_id": booking.booking_id, "sandbox": "test"},
                                             key=f"{booking.booking_id}:stripe-test-customer", mode=mode)["id"]
    try:
        pm = gw.attach_payment_method(payment_method, stripe_customer, mode=mode)["id"]
    except gw.PaymentDeclined:
        update(booking.booking_id, lambda p: merged_facts(p, PaymentFacts(failed=True)))
        raise
    return authorise(booking, pay, stripe_customer, pm, off_session=False)


def hold_card_at_booking(actor: Actor, booking: Any, card) -> Any:
    """The card hold asked for in the booking request itself. A declined card leaves the booking
    awaiting payment (offered to nobody) and answers 402 with its ``booking_id`` to retry on."""
    from chalicelib.services.transitions import load_booking

    if booking.state != bs.AWAITING_PAYMENT:
        return booking
    try:
        authorise_booking(actor, booking.booking_id, card.payment_method, card.use_saved)
    except gw.PaymentDeclined as exc:
        exc.extra = {**exc.extra, "booking_id": booking.booking_id, "state": bs.AWAITING_PAYMENT}
        raise
    return load_booking(booking.booking_id)


def _card_held(actor: Actor, booking: BookingRecord, pay: PaymentRecord) -> PaymentRecord:
    """The hold succeeded: a booking awaiting payment is now matched (``hold_card``). Had it
    expired meanwhile, the new hold is released at once and the customer hears so (409)."""
    from chalicelib.domain.errors import InvalidTransition
    from chalicelib.services.transitions import apply_transition

    if booking.state == bs.AWAITING_PAYMENT:
        try:
            apply_transition(booking.booking_id, "hold_card", actor, data={"payment_intent": pay.payment_intent_id})
        except InvalidTransition:
            pass  # a concurrent request moved it on; read below what it is now
    now = booking_record(booking.booking_id)
    if now.state in (bs.CANCELLED, bs.UNMATCHED) and facts(pay).state == AUTHORISED:
        cancel_payment(asdict(now), {"transition": "expire_payment"})
        raise Conflict("this booking ended before your card was accepted; nothing was charged, please book again",
                       extra={"state": now.state, "code": "booking_ended_unpaid"})
    return pay


def authorise(booking: BookingRecord, pay: PaymentRecord, stripe_customer: str, pm: str, off_session: bool,
              amount: int | None = None, mark_failed: bool = True,
              extra: Callable[[PaymentRecord], dict] | None = None) -> PaymentRecord:
    """A new hold of ``amount`` (default: the price cap) on the card, key ``<booking>:authorise-<seq>``.
    It replaces the current one on the payment record (the caller releases the old one).
    ``mark_failed=False``: a decline leaves the payment as it was (the old hold stays)."""
    seq = int(pay.auth_seq or 0) + 1
    amount = int(booking.price_cap["amount"]) if amount is None else int(amount)
    try:
        pi = gw.authorise(amount, pay.currency, stripe_customer, pm,
                          {"booking_id": booking.booking_id, "tenant_id": booking.tenant_id},
                          key=gw.idempotency_key(booking.booking_id, f"authorise-{seq}"), off_session=off_session,
                          mode=stripe_mode(pay))
    except gw.PaymentDeclined:
        # the next try takes a new key (Stripe would replay this decline for the same one)
        if mark_failed:
            update(booking.booking_id, lambda p: {**merged_facts(p, PaymentFacts(failed=True)), "auth_seq": seq})
        else:
            update(booking.booking_id, lambda p: None if int(p.auth_seq or 0) >= seq else {"auth_seq": seq})
        raise
    held = facts_from_payment_intent(pi)
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")

    def change(p: PaymentRecord):
        if int(p.auth_seq or 0) >= seq:
            return None  # a concurrent request recorded this authorisation already
        # a new hold replaces the old one: facts start again from this PaymentIntent
        return {"payment_intent_id": pi["id"], "stripe_customer_id": stripe_customer, "payment_method": pm,
                "auth_seq": seq, "facts": held.as_dict(), "status": held.state, "authorised_at": now_iso(),
                "hold_day": today, **(extra(p) if extra else {})}
    return update(booking.booking_id, change)


# ---------------------------------------------------------------------------------------------
# holds about to expire (scheduled)

def renew_or_release_holds(now: datetime | None = None, lookback_days: int = 10) -> dict[str, int]:
    """The hourly plan of card-hold renewals. Card holds last ~7 days; a hold older than its
    tenant's ``authorisation_renew_after_hours`` is due: an open booking gets a fresh hold on the
    saved card (and the old one is released), a booking that ended without a capture has its hold
    released. This only finds the due holds — day partitions of the sparse ``by_hold_day`` index,
    oldest day first, the payments read 100 per request — and enqueues one ``hold-renewals``
    message per hold, oldest hold first, ten per request; the work queue renews each on its own
    (:func:`renew_hold`), so one slow or failing card holds up no other and a hold that fails on
    every delivery lands in the failure store (alarmed). A message names the hold's cycle
    (``auth_seq``): planned twice before it ran, the hold is still renewed once."""
    from chalicelib.queues import HOLD_RENEWALS, send_many

    now = now or datetime.now(timezone.utc)
    policies: dict[str, int] = {}
    due: list[PaymentRecord] = []
    kept = 0
    for d in range(lookback_days, -1, -1):
        day = (now - timedelta(days=d)).strftime("%Y-%m-%d")
        for pay in payments().holding_on(day):
            if pay.tenant_id not in policies:
                policies[pay.tenant_id] = int(tenant_policy(pay.tenant_id)["authorisation_renew_after_hours"])
            if pay.authorised_at and now - _parse_iso(pay.authorised_at) >= timedelta(hours=policies[pay.tenant_id]):
                due.append(pay)
            else:
                kept += 1
    due.sort(key=lambda p: p.authorised_at)
    send_many(HOLD_RENEWALS, [{"booking_id": p.booking_id, "cycle": int(p.auth_seq or 0),
                               "tenant_id": p.tenant_id} for p in due])
    return {"queued": len(due), "kept": kept}


def _parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def renew_hold(message: dict) -> str:
    """One planned renewal (a ``hold-renewals`` message: ``booking_id``, ``cycle``), at most once
    per hold and cycle: ``renewed``, ``released``, ``kept`` (the hold is not the planned one any
    more: renewed, captured or released since) or ``duplicate`` (this cycle was done before).
    Raises when Stripe or DynamoDB fail, so the queue retries it."""
    from chalicelib.store.claims import run_once

    booking_id, cycle = message.get("booking_id"), message.get("cycle")
    if not isinstance(booking_id, str) or not isinstance(cycle, int):
        raise ValueError(f"a hold-renewals message needs booking_id and an integer cycle, not {message!r}")
    ran, outcome = run_once(f"hold-renewal#{booking_id}#{cycle}", lambda: _renew_one(booking_id, cycle))
    return outcome if ran else "duplicate"


def _renew_one(booking_id: str, cycle: int) -> str:
    pay = get_payment(booking_id)
    if pay is None or facts(pay).state != AUTHORISED or int(pay.auth_seq or 0) != cycle:
        return "kept"
    booking = booking_record(booking_id)
    old_pi, seq = pay.payment_intent_id, int(pay.auth_seq or 0)
    if booking.state in (bs.CANCELLED, bs.UNMATCHED):
        gw.release(old_pi, key=gw.idempotency_key(booking_id, f"release-{seq}"), mode=stripe_mode(pay))
        update(booking_id, lambda p: merged_facts(p, PaymentFacts(released=True))
               if p.payment_intent_id == old_pi else None)
        return "released"
    if booking.state == bs.COMPLETED:
        return "kept"  # settlement captures it
    authorise(booking, pay, pay.stripe_customer_id, pay.payment_method, off_session=True,
              amount=facts(pay).authorised or None)
    gw.release(old_pi, key=gw.idempotency_key(booking_id, f"release-{seq}"), mode=stripe_mode(pay))
    return "renewed"
