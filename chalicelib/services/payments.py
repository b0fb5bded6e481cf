"""Payments use cases: authorise at booking, settle on completion, cancel, refund, apply Stripe
events, renew holds, statements.

Every money-moving step follows the same pattern so a retry never moves money twice:

1. skip it if ``payment.steps[step]`` is recorded;
2. call Stripe through ``adapters.stripe_gateway`` with the idempotency key ``<booking>:<step>``
   (a retry after a crash between 2 and 3 gets Stripe's first answer back);
3. record the step and post its ledger movement (movement id ``<booking>#<step>``, written only if
   new).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError

from chalicelib.store.conditions import is_condition_failure
from chalicelib.adapters import stripe_gateway as gw
from chalicelib.domain import booking_states as bs
from chalicelib.domain import ledger as L
from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.domain.payment_states import (AUTHORISED, CAPTURED, PARTIALLY_REFUNDED, PaymentFacts,
                                              facts_from_event, facts_from_payment_intent, is_out_of_order)
from chalicelib.domain.pricing import Part, split_charge, tip_of, total_of
from chalicelib.models.base import now_iso
from chalicelib.models.bookings import Booking
from chalicelib.models.customers import Customer
from chalicelib.models.helpers import Helper
from chalicelib.models.ledger import LedgerEntry
from chalicelib.models.payments import Payment
from chalicelib.services import idempotency
from chalicelib.services.tenants import tenant_policy
from chalicelib.services.transitions import load_booking

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


# ---------------------------------------------------------------------------------------------
# the payment record

def get_payment(booking_id: str) -> Payment | None:
    try:
        return Payment.get(booking_id, consistent_read=True)
    except Payment.DoesNotExist:
        return None


def _ensure_payment(booking: Booking) -> Payment:
    pay = get_payment(booking.booking_id)
    if pay is not None:
        return pay
    now = now_iso()
    cap = booking.price_cap.as_dict() if booking.price_cap else {}
    pay = Payment(booking_id=booking.booking_id, tenant_id=booking.tenant_id, customer_id=booking.customer_id,
                  currency=cap.get("currency", "CHF"), created_at=now, updated_at=now, version=1)
    try:
        pay.save(condition=Payment.booking_id.does_not_exist())
        return pay
    except PutError:
        return Payment.get(booking.booking_id, consistent_read=True)


def _update(booking_id: str, change: Callable[[Payment], list | None]) -> Payment:
    """Read, let ``change`` return update actions (or None for nothing to do), write on condition
    that nobody else wrote in between; re-read and retry on a lost race."""
    for _ in range(MAX_ATTEMPTS):
        pay = Payment.get(booking_id, consistent_read=True)
        actions = change(pay)
        if not actions:
            return pay
        actions += [Payment.version.set(pay.version + 1), Payment.updated_at.set(now_iso())]
        try:
            pay.update(actions=actions, condition=Payment.version == pay.version, add_version_condition=False)
            return pay
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise
    raise Conflict("the payment is changing right now; please try again in a moment")


def _facts(pay: Payment) -> PaymentFacts:
    return PaymentFacts.from_dict(pay.facts.as_dict() if pay.facts else {})


def _steps(pay: Payment) -> dict:
    return pay.steps.as_dict() if pay.steps else {}


def _merge_facts_actions(pay: Payment, incoming: PaymentFacts) -> list:
    merged = _facts(pay).merge(incoming)
    actions = [Payment.facts.set(merged.as_dict()), Payment.status.set(merged.state)]
    if merged.state != AUTHORISED and pay.hold_day:
        actions.append(Payment.hold_day.remove())  # no hold to renew any more
    return actions


def _record_step(booking_id: str, step: str, result: dict, facts: PaymentFacts | None = None,
                 extra: Callable[[Payment], list] | None = None) -> Payment:
    def change(pay: Payment):
        if step in _steps(pay):
            return None
        acts = [Payment.steps.set({**_steps(pay), step: {**result, "at": now_iso()}})]
        if facts is not None:
            acts += _merge_facts_actions(pay, facts)
        if extra:
            acts += extra(pay)
        return acts
    return _update(booking_id, change)


def _parties(pay: Payment, helper_id: str | None) -> L.Parties:
    return L.Parties(pay.booking_id, pay.tenant_id, pay.customer_id, helper_id, pay.currency)


# ---------------------------------------------------------------------------------------------
# ledger storage

def post_movement(m: L.Movement | None) -> bool:
    """Write a movement's entries in one transaction, each only if new. False if it was booked."""
    if m is None:
        return False
    from chalicelib.aws import tx_connection
    from pynamodb.transactions import TransactWrite

    now = now_iso()
    try:
        with TransactWrite(connection=tx_connection()) as tx:
            for i, e in enumerate(m.entries):
                entry_id = f"{m.movement_id}#{i}"
                tx.save(LedgerEntry(entry_id=entry_id, movement_id=m.movement_id, kind=m.kind,
                                    booking_id=m.booking_id, tenant_id=m.tenant_id, account=e.account,
                                    amount=e.amount, currency=m.currency, created_at=now,
                                    sort_key=f"{now}#{entry_id}", meta=dict(m.meta)),
                        condition=LedgerEntry.entry_id.does_not_exist())
        return True
    except TransactWriteError as exc:
        if is_condition_failure(exc):
            return False
        raise


def _movements(entries) -> list[L.Movement]:
    grouped: dict[str, list[LedgerEntry]] = {}
    for e in entries:
        grouped.setdefault(e.movement_id, []).append(e)
    out = []
    for mid, rows in grouped.items():
        rows.sort(key=lambda r: r.entry_id)
        r0 = rows[0]
        out.append(L.Movement(mid, r0.kind, r0.booking_id, r0.tenant_id, r0.currency,
                              tuple(L.Entry(r.account, int(r.amount)) for r in rows),
                              r0.meta.as_dict() if r0.meta else {}))
    return out


def booking_movements(booking_id: str) -> list[L.Movement]:
    return _movements(LedgerEntry.by_booking.query(booking_id))


# ---------------------------------------------------------------------------------------------
# authorise at booking

def authorise_booking(actor: Actor, booking_id: str, payment_method: str | None, use_saved: bool) -> Payment:
    """Hold the booking's price cap on the customer's card (manual capture). With
    ``payment_method`` (e.g. from Stripe.js) the card is saved on the customer's Stripe Customer
    for next time; with ``use_saved`` the saved card is used. Authorising twice returns the
    existing hold."""
    from chalicelib.services.bookings import get_booking_for

    if actor.role != "customer":
        raise Forbidden("only the customer can pay for a booking")
    booking = get_booking_for(actor, booking_id)
    if booking.state in bs.TERMINAL_STATES:
        raise Conflict(f"this booking is {booking.state}; there is nothing to pay", extra={"state": booking.state})
    pay = _ensure_payment(booking)
    if _facts(pay).state not in ("none", "failed", "released"):
        return _card_held(actor, booking, pay)
    customer = Customer.get(booking.customer_id)
    stripe_customer = customer.stripe_customer_id
    if not stripe_customer:
        stripe_customer = gw.create_customer(customer.email, customer.name,
                                             {"customer_id": customer.customer_id, "tenant_id": customer.tenant_id},
                                             key=f"{customer.customer_id}:stripe-customer")["id"]
        customer.update(actions=[Customer.stripe_customer_id.set(stripe_customer)],
                        condition=Customer.customer_id.exists())
    if payment_method:
        try:
            attached = gw.attach_payment_method(payment_method, stripe_customer)
        except gw.PaymentDeclined:
            _update(booking.booking_id, lambda p: _merge_facts_actions(p, PaymentFacts(failed=True)))
            raise
        pm, last4 = attached["id"], str((attached.get("card") or {}).get("last4") or "")[:4] or None
        customer.update(actions=[Customer.default_payment_method.set(pm), Customer.card_last4.set(last4)],
                        condition=Customer.customer_id.exists())
    elif use_saved:
        pm = customer.default_payment_method
        if not pm:
            raise ValidationFailed("there is no saved card yet; add a card", field="payment_method")
    else:
        raise ValidationFailed("give a payment_method or use_saved", field="payment_method")
    return _card_held(actor, booking, _authorise(booking, pay, stripe_customer, pm, off_session=False))


def hold_card_at_booking(actor: Actor, booking: Booking, card) -> Booking:
    """The card hold asked for in the booking request itself. A declined card leaves the booking
    awaiting payment (offered to nobody) and answers 402 with its ``booking_id`` to retry on."""
    if booking.state != bs.AWAITING_PAYMENT:
        return booking
    try:
        authorise_booking(actor, booking.booking_id, card.payment_method, card.use_saved)
    except gw.PaymentDeclined as exc:
        exc.extra = {**exc.extra, "booking_id": booking.booking_id, "state": bs.AWAITING_PAYMENT}
        raise
    return load_booking(booking.booking_id)


def _card_held(actor: Actor, booking: Booking, pay: Payment) -> Payment:
    """The hold succeeded: a booking awaiting payment is now matched (``hold_card``). Had it
    expired meanwhile, the new hold is released at once and the customer hears so (409)."""
    from chalicelib.domain.errors import InvalidTransition
    from chalicelib.services.transitions import apply_transition

    if booking.state == bs.AWAITING_PAYMENT:
        try:
            apply_transition(booking.booking_id, "hold_card", actor, data={"payment_intent": pay.payment_intent_id})
        except InvalidTransition:
            pass  # a concurrent request moved it on; read below what it is now
    state = load_booking(booking.booking_id).state
    if state in (bs.CANCELLED, bs.UNMATCHED) and _facts(pay).state == AUTHORISED:
        cancel_payment(load_booking(booking.booking_id).attribute_values, {"transition": "expire_payment"})
        raise Conflict("this booking ended before your card was accepted; nothing was charged, please book again",
                       extra={"state": state, "code": "booking_ended_unpaid"})
    return pay


def _authorise(booking: Booking, pay: Payment, stripe_customer: str, pm: str, off_session: bool,
               amount: int | None = None, mark_failed: bool = True,
               extra: Callable[[Payment], list] | None = None) -> Payment:
    """A new hold of ``amount`` (default: the price cap) on the card, key ``<booking>:authorise-<seq>``.
    It replaces the current one on the payment record (the caller releases the old one).
    ``mark_failed=False``: a decline leaves the payment as it was (the old hold stays)."""
    seq = int(pay.auth_seq or 0) + 1
    amount = int(booking.price_cap.as_dict()["amount"]) if amount is None else int(amount)
    try:
        pi = gw.authorise(amount, pay.currency, stripe_customer, pm,
                          {"booking_id": booking.booking_id, "tenant_id": booking.tenant_id},
                          key=gw.idempotency_key(booking.booking_id, f"authorise-{seq}"), off_session=off_session)
    except gw.PaymentDeclined:
        # the next try takes a new key (Stripe would replay this decline for the same one)
        if mark_failed:
            _update(booking.booking_id, lambda p: _merge_facts_actions(p, PaymentFacts(failed=True))
                    + [Payment.auth_seq.set(seq)])
        else:
            _update(booking.booking_id, lambda p: None if int(p.auth_seq or 0) >= seq else [Payment.auth_seq.set(seq)])
        raise
    facts = facts_from_payment_intent(pi)
    now = datetime.now(timezone.utc)

    def change(p: Payment):
        if int(p.auth_seq or 0) >= seq:
            return None  # a concurrent request recorded this authorisation already
        # a new hold replaces the old one: facts start again from this PaymentIntent
        return [Payment.payment_intent_id.set(pi["id"]), Payment.stripe_customer_id.set(stripe_customer),
                Payment.payment_method.set(pm), Payment.auth_seq.set(seq), Payment.facts.set(facts.as_dict()),
                Payment.status.set(facts.state), Payment.authorised_at.set(now_iso()),
                Payment.hold_day.set(now.strftime("%Y-%m-%d"))] + (extra(p) if extra else [])
    return _update(booking.booking_id, change)


# ---------------------------------------------------------------------------------------------
# settle on completion

def booking_terms(booking: Booking | dict) -> dict:
    """The terms this booking is settled by: those copied onto it when it was made, over the
    tenant's current policy (``domain.policy.terms_in_force``)."""
    from chalicelib.domain.policy import terms_in_force

    terms = booking.get("terms") if isinstance(booking, dict) else booking.terms
    tenant_id = booking["tenant_id"] if isinstance(booking, dict) else booking.tenant_id
    return terms_in_force(terms.as_dict() if hasattr(terms, "as_dict") else terms, tenant_policy(tenant_id))


def settle_booking(booking_id: str) -> dict:
    """Price, capture, divide, pay out, receipt — each step once. Safe to run any number of times."""
    booking = load_booking(booking_id)
    if booking.state != bs.COMPLETED:
        return {"result": "not-completed"}
    terms = booking.terms.as_dict() if booking.terms is not None and hasattr(booking.terms, "as_dict") else {}
    if booking.partner_id and (terms or {}).get("billing_model") == "invoice":
        return {"result": "billed-by-invoice"}  # the partner pays, no card to capture: services/billing.py
    pay = get_payment(booking_id)
    if pay is None or not pay.payment_intent_id or _facts(pay).state not in (AUTHORISED, CAPTURED, PARTIALLY_REFUNDED):
        if pay is None:
            pay = _ensure_payment(booking)
        _record_step(booking_id, "unpaid", {"reason": "no card authorisation when the job was completed"},
                     extra=lambda p: [Payment.flag_tenant.set(f"{p.tenant_id}#unpaid")])
        log.warning("booking %s completed without an authorisation; flagged for ops", booking_id)
        return {"result": "unpaid"}
    pol = booking_terms(booking)
    helper = Helper.get(booking.helper_id)
    parties = _parties(pay, booking.helper_id)

    # 1. final price, computed once on the server and stored
    if "price" not in _steps(pay):
        extras = pay.extras.as_dict() if pay.extras else {}
        from chalicelib.domain.pricing import visit_line_items  # the quote's function (issue 17)
        items = visit_line_items(
            pol, mode=booking.mode, minutes=int(booking.minutes_worked or 0), currency=pay.currency,
            helper_rate=booking.hourly_rate or helper.hourly_rate,
            parts=[Part(p["description"], int(p["amount"])) for p in billed_parts(pay)],
            tip=int(extras.get("tip") or 0), limit=_facts(pay).authorised)
        total, tip = total_of(items), tip_of(items)
        split = split_charge(total, tip, pol)
        rows = [i.as_dict() for i in items]
        pay = _record_step(booking_id, "price", {"total": total, "tip": tip, "platform_fee": split.platform_fee,
                                                 "partner_share": split.partner_share,
                                                 "helper_payout": split.helper_payout},
                           extra=lambda p: [Payment.line_items.set(rows)])
        try:
            booking.update(actions=[Booking.line_items.set(rows)], condition=Booking.state == bs.COMPLETED)
        except UpdateError:
            log.warning("could not copy line items onto booking %s", booking_id)
    price = _steps(pay)["price"]
    total = int(price["total"])

    # 2. capture exactly the final total (the rest of the hold is released by Stripe)
    if "capture" not in _steps(pay):
        pi = gw.capture(pay.payment_intent_id, total, key=gw.idempotency_key(booking_id, "capture"))
        charge = pi.get("latest_charge")
        charge_id = charge.get("id") if isinstance(charge, dict) else charge
        pay = _record_step(booking_id, "capture", {"amount": total, "charge_id": charge_id,
                                                   "authorised": _facts(pay).authorised},
                           facts=PaymentFacts(authorised=_facts(pay).authorised, captured=total),
                           extra=lambda p: [Payment.charge_id.set(charge_id)])
    # 3. ledger: capture and division (idempotent on movement ids)
    post_movement(L.capture(parties, total))
    for m in L.divide(parties, int(price["platform_fee"]), int(price["partner_share"]), int(price["helper_payout"])):
        post_movement(m)
    # 4. pay the helper
    payout = _pay_helper(pay, booking, helper, int(price["helper_payout"]))
    # 5. receipt: kept on the payment record and e-mailed to the customer once
    _send_receipt(booking, helper, total)
    return {"result": "settled", "total": total, "payout": payout}


def _send_receipt(booking: Booking, helper: Helper, total: int) -> None:
    """The receipt (final line items, total charged, what the hold released) on the payment record,
    and a ``payment_receipt`` e-mail through the notification queue. The event id is one per
    booking, so a replayed settlement (or a crash between enqueueing and recording ``receipt_sent``)
    is deduplicated by the consumer's (event, recipient, channel) claim: one e-mail."""
    from chalicelib.domain.pricing import receipt_summary
    from chalicelib.services.notifications import enqueue_notification

    booking_id = booking.booking_id
    pay = Payment.get(booking_id, consistent_read=True)
    if not pay.receipt:
        capture = _steps(pay).get("capture") or {}
        authorised = int(capture.get("authorised") or _facts(pay).authorised or total)
        receipt = {"booking_id": booking_id, "issued_at": now_iso(), "helper_first_name": helper.first_name,
                   **receipt_summary([dict(r) for r in (pay.line_items or [])], total, authorised, pay.currency)}
        pay = _update(booking_id, lambda p: None if p.receipt else [Payment.receipt.set(receipt)])
    if "receipt_sent" in _steps(pay):
        return
    event_id = f"payment_receipt#{booking_id}"
    enqueue_notification("payment_receipt", booking_id, {"role": "customer", "id": booking.customer_id},
                         {"ref": booking_id[-6:].upper(), "booking_id": booking_id, **pay.receipt.as_dict()},
                         tenant_id=booking.tenant_id, language=booking.language, event_id=event_id)
    _record_step(booking_id, "receipt_sent", {"event_id": event_id})


def _pay_helper(pay: Payment, booking: Booking, helper: Helper, amount: int, step: str = "payout") -> str:
    pay = Payment.get(pay.booking_id, consistent_read=True)
    parties = _parties(pay, helper.helper_id)
    if step not in _steps(pay) and amount > 0:
        if not (helper.stripe_account_id and bool(helper.payout_ready)):
            _update(pay.booking_id, lambda p: None if "payout_pending" in _steps(p)
                    else [Payment.steps.set({**_steps(p), "payout_pending": {"amount": amount, "at": now_iso()}})])
            return "pending-onboarding"
        tr = gw.transfer(amount, pay.currency, helper.stripe_account_id, transfer_group=booking.booking_id,
                         source_transaction=pay.charge_id,
                         metadata={"booking_id": booking.booking_id, "helper_id": helper.helper_id},
                         key=gw.idempotency_key(booking.booking_id, step))
        _record_step(pay.booking_id, step, {"amount": amount, "transfer_id": tr["id"]})
    done = _steps(Payment.get(pay.booking_id, consistent_read=True)).get(step)
    if done:
        post_movement(L.payout_movement(parties, int(done["amount"]), done.get("transfer_id"), step=step))
        _tell_helper_paid(booking.booking_id, helper.helper_id, int(done["amount"]), pay.currency, step)
        return "paid"
    return "nothing-to-pay"


def _tell_helper_paid(booking_id: str, helper_id: str, amount: int, currency: str, step: str) -> None:
    """"Payout sent" through the notification queue; the event id makes a replay send nothing twice."""
    from chalicelib.services.notifications import enqueue_notification

    enqueue_notification("payout_sent", booking_id, {"role": "helper", "id": helper_id},
                         {"amount": amount, "currency": currency}, event_id=f"payout_sent#{booking_id}#{step}")


# ---------------------------------------------------------------------------------------------
# cancellation

def cancel_payment(booking: dict, entry: dict) -> str:
    """Free until a helper is assigned (the hold is released); after that the tenant's late-cancel
    fee is captured and goes to the helper. Operations' cancellations are always free."""
    booking_id = booking["booking_id"]
    pay = get_payment(booking_id)
    if pay is None or not pay.payment_intent_id or _facts(pay).state != AUTHORISED:
        return "nothing-held"
    helper_id = booking.get("helper_id")
    late = (entry.get("transition") == "cancel_by_customer" and helper_id
            and entry.get("from") in (bs.ASSIGNED, bs.EN_ROUTE))
    fee = min(int(booking_terms(booking)["late_cancel_fee_minor"]), _facts(pay).authorised) if late else 0
    if fee <= 0:
        if "release" not in _steps(pay):
            pi = gw.release(pay.payment_intent_id, key=gw.idempotency_key(booking_id, f"release-{int(pay.auth_seq)}"))
            _record_step(booking_id, "release", {"payment_intent": pi["id"]}, facts=PaymentFacts(released=True))
        return "released"
    parties = _parties(pay, helper_id)
    if "cancel_capture" not in _steps(pay):
        pi = gw.capture(pay.payment_intent_id, fee, key=gw.idempotency_key(booking_id, "cancel_capture"))
        charge = pi.get("latest_charge")
        charge_id = charge.get("id") if isinstance(charge, dict) else charge
        _record_step(booking_id, "cancel_capture", {"amount": fee, "charge_id": charge_id},
                     facts=PaymentFacts(authorised=_facts(pay).authorised, captured=fee),
                     extra=lambda p: [Payment.charge_id.set(charge_id)])
    post_movement(L.capture(parties, fee))
    post_movement(L.cancellation_fee(parties, fee))
    _pay_helper(pay, load_booking(booking_id), Helper.get(helper_id), fee)
    return "late-cancel-fee"


# ---------------------------------------------------------------------------------------------
# refunds (operations)

def refund_booking(actor: Actor, booking_id: str, amount: int | None, reason: str | None) -> Payment:
    """Refund all that is left (``amount`` None) or part of it. The helper's part is taken back by
    a transfer reversal in proportion; the platform fee and partner share give back theirs.

    Money is serialised: the refunds of one booking run one at a time (``money#<booking>`` is held
    for the whole operation), and before Stripe is called the amount is reserved on the payment
    record with a conditional write that never lets the reserved total pass what was captured. So
    ten concurrent refunds can never pay back more than was charged, whatever Stripe would allow."""
    from chalicelib.store.claims import Busy, Held

    if actor.role != "ops":
        raise Forbidden("only operations can refund")
    booking = load_booking(booking_id)
    if not actor.may_see_tenant(booking.tenant_id):
        raise NotFound(f"booking {booking_id} was not found", field="booking_id")
    try:
        with Held(f"money#{booking_id}"):
            return _refund_held(actor, booking, amount, reason)
    except Busy:
        raise Conflict("another refund of this booking is being made right now; try again in a moment") from None


def _refund_reserved(p: Payment) -> int:
    return max(int(p.refund_reserved or 0), _facts(p).refunded)


def _refund_held(actor: Actor, booking: Booking, amount: int | None, reason: str | None) -> Payment:
    booking_id = booking.booking_id
    pay = get_payment(booking_id)
    if pay is None or _facts(pay).state not in (CAPTURED, PARTIALLY_REFUNDED):
        raise Conflict("nothing was charged for this booking, so there is nothing to refund",
                       extra={"payment_status": pay.status if pay else "none"})
    s = L.booking_summary(booking_movements(booking_id))
    remaining = s["helper_earning"] + s["platform_fee"] + s["partner_share"]

    # reserve the amount (and a sequence number for the idempotency keys) before moving money
    claimed: dict[str, int] = {}

    def reserve(p: Payment):
        left = min(_facts(p).captured - _refund_reserved(p), remaining)
        want = left if amount is None else amount
        if left <= 0:
            raise Conflict("this booking has been refunded in full already", extra={"refundable": 0})
        if want > left:
            raise ValidationFailed(f"at most {left} can still be refunded", field="amount", extra={"refundable": left})
        claimed.update(seq=int(p.refund_seq or 0), amount=want)
        return [Payment.refund_seq.set(claimed["seq"] + 1), Payment.refund_reserved.set(_refund_reserved(p) + want)]
    pay = _update(booking_id, reserve)
    seq, amount = claimed["seq"], claimed["amount"]
    alloc = L.allocate_refund(amount, s["helper_earning"], s["platform_fee"], s["partner_share"])
    paid_out = s["paid_out"] - s["reversed"] > 0
    transfer_id = (_steps(pay).get("payout") or {}).get("transfer_id")
    reversal_id = None
    try:
        if paid_out and alloc.helper and transfer_id:
            reversal_id = gw.reverse_transfer(transfer_id, alloc.helper,
                                              key=gw.idempotency_key(booking_id, f"reversal-{seq}"))["id"]
        refund = gw.refund(pay.payment_intent_id, amount, key=gw.idempotency_key(booking_id, f"refund-{seq}"),
                           metadata={"booking_id": booking_id, "by": actor.id})
    except Exception:
        if reversal_id is None:
            # nothing moved: give the reservation back (a reversal that went through keeps it, and
            # the same idempotency keys make a retry of this seq safe)
            _update(booking_id, lambda p: [Payment.refund_reserved.set(max(0, int(p.refund_reserved or 0) - amount))])
        raise
    for m in L.refund(_parties(pay, booking.helper_id), seq, alloc, helper_paid_out=bool(paid_out and transfer_id),
                      refund_id=refund["id"], reversal_id=reversal_id):
        post_movement(m)
    row = {"seq": seq, "amount": amount, "refund_id": refund["id"], "reversal_id": reversal_id,
           "helper": alloc.helper, "platform_fee": alloc.fee, "partner_share": alloc.share, "by": actor.id,
           "reason": reason, "at": now_iso()}
    return _update(booking_id, lambda p: _merge_facts_actions(
        p, PaymentFacts(refunded=_facts(p).refunded + amount)) + [Payment.refunds.set((p.refunds or []) + [row])])


# ---------------------------------------------------------------------------------------------
# Stripe webhooks

def handle_stripe_event(event: dict) -> str:
    """Apply a verified Stripe event once. Returns what was done (for logs and tests)."""
    from chalicelib.store.claims import Busy, run_once

    etype = event["type"]
    obj = (event.get("data") or {}).get("object") or {}
    created = int(event.get("created") or 0)

    def apply() -> str:
        if etype == "account.updated":
            return _apply_account_update(obj, created)
        if etype == "charge.dispute.created":
            return _apply_dispute(obj)
        if (facts := facts_from_event(etype, obj)) is not None:
            return _apply_payment_facts(etype, obj, facts)
        return "ignored"

    try:
        ran, result = run_once(f"stripe-event#{event['id']}", apply, lease_seconds=60)
    except Busy:
        # the same event is being applied by a concurrent delivery: Stripe retries on a non-2xx
        raise Conflict("this event is being processed right now; deliver it again later") from None
    return result if ran else "duplicate"


def _booking_for_intent(pi_id: str | None) -> str | None:
    if not pi_id:
        return None
    for row in Payment.by_intent.query(pi_id, limit=1):
        return row.booking_id
    return None


def _apply_payment_facts(etype: str, obj: dict, incoming: PaymentFacts) -> str:
    pi_id = obj.get("id") if etype.startswith("payment_intent.") else obj.get("payment_intent")
    booking_id = (obj.get("metadata") or {}).get("booking_id") if etype.startswith("payment_intent.") else None
    pay = get_payment(booking_id) if booking_id else None
    if pay is None:
        found = _booking_for_intent(pi_id)
        pay = get_payment(found) if found else None
    if pay is None:
        return "unknown-payment"
    if pay.payment_intent_id != pi_id:
        return "stale-intent"  # an earlier hold of this booking (renewed since): changes nothing
    result = {"r": "applied"}

    def change(p: Payment):
        if is_out_of_order(_facts(p), incoming):
            result["r"] = "out-of-order"
            return None
        return _merge_facts_actions(p, incoming)
    _update(pay.booking_id, change)
    return result["r"]


def _apply_account_update(account: dict, created: int) -> str:
    helper_id = (account.get("metadata") or {}).get("helper_id")
    if not helper_id:
        return "unknown-account"
    try:
        helper = Helper.get(helper_id)
    except Helper.DoesNotExist:
        return "unknown-account"
    if helper.stripe_account_id != account.get("id"):
        return "unknown-account"
    ready = bool(account.get("payouts_enabled")) and bool(account.get("charges_enabled", True)) \
        and bool(account.get("details_submitted", True))
    try:
        helper.update(actions=[Helper.payout_ready.set(ready), Helper.payout_status_at.set(created)],
                      condition=Helper.payout_status_at.does_not_exist() | (Helper.payout_status_at <= created))
    except UpdateError as exc:
        if is_condition_failure(exc):
            return "out-of-order"  # a newer account state was applied already
        raise
    if ready:
        _pay_pending(helper_id)
    return "payout-ready" if ready else "not-payout-ready"


def _pay_pending(helper_id: str) -> int:
    """Pay out what waited for this helper's onboarding (settled before they were payout-ready)."""
    paid = 0
    helper = Helper.get(helper_id, consistent_read=True)
    from chalicelib.models.base import hydrate

    for booking in hydrate(Booking, [k.booking_id for k in Booking.by_helper.query(helper_id)]):
        pay = get_payment(booking.booking_id)
        steps = _steps(pay) if pay else {}
        for pending, step in (("payout_pending", "payout"),):
            if pending in steps and step not in steps:
                _pay_helper(pay, booking, helper, int(steps[pending]["amount"]), step=step)
                paid += 1
    return paid


def _apply_dispute(dispute: dict) -> str:
    booking_id = _booking_for_intent(dispute.get("payment_intent"))
    if booking_id is None:
        return "unknown-payment"
    row = {"dispute_id": dispute.get("id"), "charge": dispute.get("charge"), "amount": dispute.get("amount"),
           "reason": dispute.get("reason"), "status": dispute.get("status"), "at": now_iso()}
    pay = _update(booking_id, lambda p: None if p.dispute else
                  [Payment.dispute.set(row), Payment.flag_tenant.set(f"{p.tenant_id}#dispute")])
    _tell_ops_about_dispute(pay, row)
    return "flagged"


def _tell_ops_about_dispute(pay: Payment, row: dict) -> None:
    if not idempotency.mark_once(f"dispute-mail#{row['dispute_id']}"):
        return
    from chalicelib.adapters.email import send_email

    to = tenant_policy(pay.tenant_id)["ops_email"]
    send_email(to, f"Dispute opened on booking {pay.booking_id}",
               f"The customer's bank opened a dispute ({row['reason']}) for {row['amount']} "
               f"{pay.currency.upper()} on booking {pay.booking_id} (charge {row['charge']}).\n"
               "Gather the evidence (timeline, messages, the helper's note) and respond in the Stripe dashboard.")


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
    from chalicelib.models.base import hydrate
    from chalicelib.queues import HOLD_RENEWALS, send_many

    now = now or datetime.now(timezone.utc)
    policies: dict[str, int] = {}
    due: list[Payment] = []
    kept = 0
    for d in range(lookback_days, -1, -1):
        day = (now - timedelta(days=d)).strftime("%Y-%m-%d")
        keys = [row.booking_id for row in Payment.by_hold_day.query(day)]
        for pay in hydrate(Payment, keys):
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
    try:
        pay = Payment.get(booking_id, consistent_read=True)
    except Payment.DoesNotExist:
        return "kept"
    if _facts(pay).state != AUTHORISED or int(pay.auth_seq or 0) != cycle:
        return "kept"
    booking = load_booking(booking_id)
    old_pi, seq = pay.payment_intent_id, int(pay.auth_seq or 0)
    if booking.state in (bs.CANCELLED, bs.UNMATCHED):
        gw.release(old_pi, key=gw.idempotency_key(booking_id, f"release-{seq}"))
        _update(booking_id, lambda p: _merge_facts_actions(p, PaymentFacts(released=True))
                if p.payment_intent_id == old_pi else None)
        return "released"
    if booking.state == bs.COMPLETED:
        return "kept"  # settlement captures it
    _authorise(booking, pay, pay.stripe_customer_id, pay.payment_method, off_session=True,
               amount=_facts(pay).authorised or None)
    gw.release(old_pi, key=gw.idempotency_key(booking_id, f"release-{seq}"))
    return "renewed"


# ---------------------------------------------------------------------------------------------
# helpers' Stripe Connect accounts

def start_onboarding(actor: Actor, return_url: str, refresh_url: str) -> dict:
    """The helper's Connect account (made once) and a fresh onboarding link to open."""
    if actor.role != "helper":
        raise Forbidden("only helpers have payout accounts")
    helper = Helper.get(actor.id)
    account_id = helper.stripe_account_id
    if not account_id:
        account_id = gw.create_connected_account(helper.email, "CH" if helper.currency == "CHF" else "DE",
                                                 {"helper_id": helper.helper_id, "tenant_id": helper.tenant_id},
                                                 key=f"{helper.helper_id}:connect-account")["id"]
        try:
            helper.update(actions=[Helper.stripe_account_id.set(account_id)],
                          condition=Helper.stripe_account_id.does_not_exist())
        except UpdateError:
            account_id = Helper.get(actor.id).stripe_account_id
    link = gw.create_account_link(account_id, refresh_url=refresh_url, return_url=return_url)
    return {"account_id": account_id, "url": link["url"], "expires_at": link.get("expires_at"),
            "payout_ready": bool(helper.payout_ready)}


def payout_status(actor: Actor) -> dict:
    helper = Helper.get(actor.id)
    return {"account_id": helper.stripe_account_id, "payout_ready": bool(helper.payout_ready)}


# ---------------------------------------------------------------------------------------------
# statements

def _account_rows(account: str, since: str | None = None) -> list[LedgerEntry]:
    cond = LedgerEntry.sort_key >= since if since else None
    return list(LedgerEntry.by_account.query(account, range_key_condition=cond))


def helper_statement(actor: Actor, helper_id: str) -> dict:
    """Earnings (what the helper earned per booking), payouts (transfers) and the balance not yet
    paid out, per currency."""
    if actor.role == "helper" and actor.id != helper_id:
        raise Forbidden("you can read only your own statement")
    if actor.role == "ops":
        try:
            helper = Helper.get(helper_id)
        except Helper.DoesNotExist:
            raise NotFound(f"helper {helper_id} was not found", field="helper_id") from None
        if not actor.may_see_tenant(helper.tenant_id):
            raise NotFound(f"helper {helper_id} was not found", field="helper_id")
    elif actor.role != "helper":
        raise Forbidden("this is for helpers and operations")
    # earned: earnings, cancellation fees and refunds' helper parts (not money moving to/from Stripe)
    earnings = [e for e in _account_rows(L.helper(helper_id)) if e.kind not in ("payout", "reversal")]
    payouts = _account_rows(L.payout(helper_id))
    totals: dict[str, dict[str, int]] = {}
    for e in earnings:
        t = totals.setdefault(e.currency, {"earned": 0, "paid_out": 0, "unpaid": 0})
        t["earned"] += int(e.amount)
    for e in payouts:
        t = totals.setdefault(e.currency, {"earned": 0, "paid_out": 0, "unpaid": 0})
        t["paid_out"] += int(e.amount)
    for t in totals.values():
        t["unpaid"] = t["earned"] - t["paid_out"]
    return {"helper_id": helper_id, "totals": totals,
            "earnings": [_row(e) for e in earnings], "payouts": [_row(e) for e in payouts]}


def tenant_statement(actor: Actor, tenant_id: str) -> dict:
    """What a tenant earned (partner share) and the platform's fee from its bookings, per currency."""
    if actor.role not in ("ops", "partner", "partner_admin") or not actor.may_see_tenant(tenant_id):
        raise NotFound(f"tenant {tenant_id} was not found", field="tenant_id")
    partner_rows = _account_rows(L.partner(tenant_id))
    fee_rows = _account_rows(L.platform(tenant_id))
    totals: dict[str, dict[str, int]] = {}
    for rows, name in ((partner_rows, "partner_share"), (fee_rows, "platform_fee")):
        for e in rows:
            totals.setdefault(e.currency, {"partner_share": 0, "platform_fee": 0})[name] += int(e.amount)
    return {"tenant_id": tenant_id, "totals": totals, "partner_share": [_row(e) for e in partner_rows],
            "platform_fee": [_row(e) for e in fee_rows] if actor.role == "ops" else None}


def booking_ledger(actor: Actor, booking_id: str) -> dict:
    booking = load_booking(booking_id)
    if actor.role != "ops" or not actor.may_see_tenant(booking.tenant_id):
        raise NotFound(f"booking {booking_id} was not found", field="booking_id")
    movements = booking_movements(booking_id)
    ledger = L.Ledger(movements)
    return {"booking_id": booking_id, "summary": L.booking_summary(movements),
            "balances": [{"account": a, "currency": c, "balance": v} for (a, c), v in sorted(ledger.balances().items())],
            "movements": [{"movement_id": m.movement_id, "kind": m.kind, "currency": m.currency,
                           "entries": [{"account": e.account, "amount": e.amount} for e in m.entries]}
                          for m in sorted(movements, key=lambda m: m.movement_id)]}


def _row(e: LedgerEntry) -> dict:
    return {"booking_id": e.booking_id, "kind": e.kind, "amount": int(e.amount), "currency": e.currency,
            "at": e.created_at}


# ---------------------------------------------------------------------------------------------
# extras before settlement: parts (helper) and tip (customer)

def add_part(actor: Actor, booking_id: str, description: str, amount: int) -> Payment:
    """The assigned helper adds a part bought for the customer. A part above the tenant's
    ``parts_approval_minor`` (the booking's terms) waits for the customer's approval: it asks for
    that much more through the extra approval (the customer answers on the booking page; approving
    raises the card hold) and is billed only once approved. Below the limit a part is billed at
    once, but parts never add up to more than the card hold without an approval."""
    booking = load_booking(booking_id)
    if actor.role != "helper" or booking.helper_id != actor.id:
        raise NotFound(f"booking {booking_id} was not found", field="booking_id")
    if booking.state not in (bs.ASSIGNED, bs.EN_ROUTE, bs.STARTED):
        raise Conflict("parts can be added only while the job is running", extra={"state": booking.state})
    pay = _ensure_payment(booking)
    if amount > int(booking_terms(booking)["parts_approval_minor"]):
        reason = description if len(description) >= 3 else f"{description} (part)"
        pay = request_extra_approval(actor, booking_id, amount, None, reason)
        seq = int(_requests(pay)[-1]["seq"])
        part = {"description": description, "amount": amount, "status": "pending", "approval_seq": seq}
    else:
        part = {"description": description, "amount": amount, "status": "approved"}

    def change(p: Payment):
        extras = p.extras.as_dict() if p.extras else {}
        parts = list(extras.get("parts", []))
        if part.get("approval_seq") and any(x.get("approval_seq") == part["approval_seq"] for x in parts):
            return None  # a retried POST of the part that waits already
        if len(parts) >= 10:
            raise ValidationFailed("at most 10 parts per job", field="amount")
        if "approval_seq" not in part:
            billed = sum(int(x["amount"]) for x in billed_parts(p))
            if _facts(p).authorised and billed + amount > _facts(p).authorised:
                raise ValidationFailed("the parts would cost more than the card hold; ask the customer to approve "
                                       "more first", field="amount", extra={"authorised": _facts(p).authorised})
        return [Payment.extras.set({**extras, "parts": parts + [part]})]
    return _update(pay.booking_id, change)


def billed_parts(pay: Payment) -> list[dict]:
    """The parts settlement bills: those below the approval limit, and those above it the customer
    approved (a declined or still waiting one is not billed)."""
    answers = {int(r["seq"]): r.get("status") for r in _requests(pay)}
    parts = (pay.extras.as_dict() if pay.extras else {}).get("parts", [])
    return [dict(x) for x in parts if x.get("approval_seq") is None or answers.get(int(x["approval_seq"])) == "approved"]


def set_tip(actor: Actor, booking_id: str, amount: int) -> Payment:
    from chalicelib.services.bookings import get_booking_for

    if actor.role != "customer":
        raise Forbidden("only the customer can give a tip")
    booking = get_booking_for(actor, booking_id)
    if booking.state in bs.TERMINAL_STATES:
        raise Conflict("a tip can be given until the job is done", extra={"state": booking.state})
    pay = _ensure_payment(booking)
    return _update(pay.booking_id, lambda p: [Payment.extras.set({**(p.extras.as_dict() if p.extras else {}),
                                                                  "tip": amount})])


# ---------------------------------------------------------------------------------------------
# approving more than the cap: the helper asks, the customer answers, the hold is raised

def _requests(pay: Payment) -> list[dict]:
    return [dict(r.as_dict() if hasattr(r, "as_dict") else r) for r in (pay.extra_approvals or [])]


def _copy_to_booking(booking_id: str, requests: list[dict]) -> None:
    """The latest request on the booking too, so the booking view shows it without another read."""
    from chalicelib.domain.extra_approval import public_view

    try:
        Booking(booking_id).update(actions=[Booking.extra_approval.set(public_view(requests))],
                                   condition=Booking.booking_id.exists())
    except UpdateError:
        log.warning("could not copy the extra approval onto booking %s", booking_id)


def request_extra_approval(actor: Actor, booking_id: str, amount: int, currency: str | None,
                           reason: str) -> Payment:
    """The assigned helper asks the customer to approve ``amount`` more than the current limit.
    The customer is told (e-mail/SMS/push); the booking view shows the request."""
    from chalicelib.domain import extra_approval as xa
    from chalicelib.services.notifications import enqueue_notification

    booking = load_booking(booking_id)
    if actor.role != "helper" or booking.helper_id != actor.id or booking.tenant_id != actor.tenant_id:
        raise NotFound(f"booking {booking_id} was not found", field="booking_id")
    pay = get_payment(booking_id)
    if booking.state in xa.RUNNING_STATES and (pay is None or _facts(pay).state != AUTHORISED
                                               or not pay.payment_method):
        raise Conflict("there is no card hold on this booking to raise", extra={"payment_status":
                                                                                pay.status if pay else "none"})
    cap = booking.price_cap.as_dict() if booking.price_cap else {}
    booking_currency = pay.currency if pay else cap.get("currency", "CHF")
    new_limit = xa.check_request(
        state=booking.state, amount=amount, currency=currency, booking_currency=booking_currency,
        original_cap=int(cap.get("amount") or 0), current_limit=int(_facts(pay).authorised) if pay else 0,
        max_extra=int(booking_terms(booking)["extra_approval_max_minor"]))
    made: dict = {}

    def change(p: Payment):
        req = xa.new_request(_requests(p), amount=amount, reason=reason, currency=p.currency,
                             from_limit=_facts(p).authorised, new_limit=new_limit, helper_id=actor.id, at=now_iso())
        if req is None:
            return None
        made["req"] = req
        return [Payment.extra_approvals.set(_requests(p) + [req])]
    pay = _update(booking_id, change)  # the record as written (pynamodb's update reads it back)
    req = made.get("req") or xa.pending_of(_requests(pay))
    _copy_to_booking(booking_id, _requests(pay))
    helper = Helper.get(actor.id)
    # a retried POST enqueues again; the consumer's claim on (event id, recipient, channel) sends once
    enqueue_notification("extra_approval_requested", booking_id, {"role": "customer", "id": booking.customer_id},
                         {"ref": booking_id[-6:].upper(), "booking_id": booking_id,
                          "helper_first_name": helper.first_name, "amount": int(req["amount"]),
                          "currency": req["currency"], "reason": req["reason"], "new_limit": int(req["new_limit"]),
                          "from_limit": int(req["from_limit"])},
                         tenant_id=booking.tenant_id, language=booking.language,
                         event_id=f"extra_approval_requested#{booking_id}#{int(req['seq'])}")
    return pay


def answer_extra_approval(actor: Actor, booking_id: str, approve: bool) -> Payment:
    """The customer approves or declines the waiting request. Approving raises the card hold to
    the new limit: a new manual-capture PaymentIntent on the saved card (key
    ``<booking>:authorise-<seq>``, as hold renewal does — localstripe has no incremental
    authorisation); the old hold is released only after the new one succeeded. A declined card
    is a 402 and the old hold and request stay as they were. Answering the same way twice
    changes nothing."""
    from chalicelib.domain import extra_approval as xa
    from chalicelib.services.bookings import get_booking_for
    from chalicelib.services.notifications import enqueue_notification

    if actor.role != "customer":
        raise Forbidden("only the customer can answer a request for more")
    booking = get_booking_for(actor, booking_id)
    pay = get_payment(booking.booking_id)
    if pay is None:
        raise Conflict("the helper has not asked for more on this booking")
    what, req = xa.decide(_requests(pay), approve)
    if what == "noop":
        return pay
    if booking.state not in xa.RUNNING_STATES:
        raise Conflict("the job is not running any more; the request can no longer be answered",
                       extra={"state": booking.state})
    seq = int(req["seq"])

    def mark(status: str):
        def acts(p: Payment):
            rows = _requests(p)
            if not rows or int(rows[-1]["seq"]) != seq or rows[-1]["status"] != xa.PENDING:
                return []
            rows[-1] = {**rows[-1], "status": status, "decided_at": now_iso()}
            return [Payment.extra_approvals.set(rows)]
        return acts

    if what == "decline":
        _update(booking.booking_id, lambda p: mark(xa.DECLINED)(p) or None)
    else:
        new_limit = int(req["new_limit"])
        if _facts(pay).state != AUTHORISED or not pay.payment_method:
            raise Conflict("there is no card hold on this booking to raise",
                           extra={"payment_status": pay.status})
        if _facts(pay).authorised >= new_limit:
            _update(booking.booking_id, lambda p: mark(xa.APPROVED)(p) or None)  # raised before a crash
        else:
            old_pi, old_seq = pay.payment_intent_id, int(pay.auth_seq or 0)
            pay = _authorise(booking, pay, pay.stripe_customer_id, pay.payment_method, off_session=False,
                             amount=new_limit, mark_failed=False, extra=mark(xa.APPROVED))
            if pay.payment_intent_id != old_pi:
                try:
                    gw.release(old_pi, key=gw.idempotency_key(booking.booking_id, f"release-{old_seq}"))
                except gw.PaymentProviderError:
                    # the old hold lapses by itself after ~7 days; nothing is charged from it
                    log.exception("releasing the replaced hold %s of %s failed", old_pi, booking.booking_id)
            if xa.pending_of(_requests(pay)):
                # a concurrent approval recorded the new hold first: mark this request too
                _update(booking.booking_id, lambda p: mark(xa.APPROVED)(p) or None)
    pay = Payment.get(booking.booking_id, consistent_read=True)
    rows = _requests(pay)
    _copy_to_booking(booking.booking_id, rows)
    last = rows[-1]
    if last["status"] not in (xa.APPROVED, xa.DECLINED):
        return pay
    enqueue_notification(f"extra_approval_{last['status']}", booking.booking_id,
                         {"role": "helper", "id": booking.helper_id},
                         {"ref": booking.booking_id[-6:].upper(), "booking_id": booking.booking_id,
                          "amount": int(last["amount"]), "currency": last["currency"],
                          "new_limit": int(last["new_limit"]), "from_limit": int(last["from_limit"])},
                         tenant_id=booking.tenant_id,
                         event_id=f"extra_approval_{last['status']}#{booking.booking_id}#{int(last['seq'])}")
    return pay


def extra_approval_view(pay: Payment) -> dict[str, Any]:
    from chalicelib.domain.extra_approval import public_view

    return {"booking_id": pay.booking_id, "currency": pay.currency, "limit": _facts(pay).authorised,
            "payment_status": pay.status, "extra_approval": public_view(_requests(pay)),
            "requests": _requests(pay)}


def payment_view(pay: Payment | None, actor: Actor) -> dict[str, Any]:
    if pay is None:
        return {"status": "none"}
    view = {"booking_id": pay.booking_id, "status": pay.status, "currency": pay.currency,
            "authorised": _facts(pay).authorised, "captured": _facts(pay).captured,
            "refunded": _facts(pay).refunded, "line_items": [dict(r) for r in (pay.line_items or [])],
            "receipt": pay.receipt.as_dict() if pay.receipt else None,
            "extras": pay.extras.as_dict() if pay.extras else {},
            "extra_approvals": _requests(pay)}
    if actor.role == "ops":
        view.update(payment_intent_id=pay.payment_intent_id, steps=_steps(pay),
                    refunds=[dict(r) for r in (pay.refunds or [])],
                    dispute=pay.dispute.as_dict() if pay.dispute else None)
    return view


# ---------------------------------------------------------------------------------------------
# transition effects (run by the bookings stream handler; each idempotent)

def settle_effect(booking: dict, entry: dict, old: dict | None) -> None:
    log.info("settle %s: %s", booking["booking_id"], settle_booking(booking["booking_id"]))


def cancel_payment_effect(booking: dict, entry: dict, old: dict | None) -> None:
    log.info("cancel payment %s: %s", booking["booking_id"], cancel_payment(booking, entry))
