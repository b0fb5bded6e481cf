"""Approving more than the cap: the helper asks, the customer answers, the card hold is raised."""
from __future__ import annotations

import logging
from typing import Any

from chalicelib.adapters import stripe_gateway as gw
from chalicelib.domain import extra_approval as xa
from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import Conflict, Forbidden, NotFound
from chalicelib.domain.ids import now_iso
from chalicelib.domain.payment_states import AUTHORISED
from chalicelib.services.payments.booking import booking as booking_record
from chalicelib.services.payments.booking import booking_terms, copy_to_booking, customers_booking, helper_account
from chalicelib.services.payments.holds import authorise
from chalicelib.services.payments.record import facts, get_payment, requests, stripe_mode, update
from chalicelib.store.records import PaymentRecord

log = logging.getLogger(__name__)


def _copy_to_booking(booking_id: str, rows: list[dict]) -> None:
    """The latest request on the booking too, so the booking view shows it without another read."""
    copy_to_booking(booking_id, {"extra_approval": xa.public_view(rows)})


def request_extra_approval(actor: Actor, booking_id: str, amount: int, currency: str | None,
                           reason: str) -> PaymentRecord:
    """The assigned helper asks the customer to approve ``amount`` more than the current limit.
    The customer is told (e-mail/SMS/push); the booking view shows the request."""
    from chalicelib.services.notifications import enqueue_notification

    booking = booking_record(booking_id)
    if actor.role != "helper" or booking.helper_id != actor.id or booking.tenant_id != actor.tenant_id:
        raise NotFound(f"booking {booking_id} was not found", field="booking_id")
    pay = get_payment(booking_id)
    if booking.state in xa.RUNNING_STATES and (pay is None or facts(pay).state != AUTHORISED
                                               or not pay.payment_method):
        raise Conflict("there is no card hold on this booking to raise", extra={"payment_status":
                                                                                pay.status if pay else "none"})
    cap = booking.price_cap or {}
    booking_currency = pay.currency if pay else cap.get("currency", "CHF")
    new_limit = xa.check_request(
        state=booking.state, amount=amount, currency=currency, booking_currency=booking_currency,
        original_cap=int(cap.get("amount") or 0), current_limit=int(facts(pay).authorised) if pay else 0,
        max_extra=int(booking_terms(booking)["extra_approval_max_minor"]))
    made: dict = {}

    def change(p: PaymentRecord):
        req = xa.new_request(requests(p), amount=amount, reason=reason, currency=p.currency,
                             from_limit=facts(p).authorised, new_limit=new_limit, helper_id=actor.id, at=now_iso())
        if req is None:
            return None
        made["req"] = req
        return {"extra_approvals": requests(p) + [req]}
    pay = update(booking_id, change)  # the record as written
    req = made.get("req") or xa.pending_of(requests(pay))
    _copy_to_booking(booking_id, requests(pay))
    helper = helper_account(actor.id)
    # a retried POST enqueues again; the consumer's claim on (event id, recipient, channel) sends once
    enqueue_notification("extra_approval_requested", booking_id, {"role": "customer", "id": booking.customer_id},
                         {"ref": booking_id[-6:].upper(), "booking_id": booking_id,
                          "helper_first_name": helper.first_name, "amount": int(req["amount"]),
                          "currency": req["currency"], "reason": req["reason"], "new_limit": int(req["new_limit"]),
                          "from_limit": int(req["from_limit"])},
                         tenant_id=booking.tenant_id, language=booking.language,
                         event_id=f"extra_approval_requested#{booking_id}#{int(req['seq'])}")
    return pay


def answer_extra_approval(actor: Actor, booking_id: str, approve: bool) -> PaymentRecord:
    """The customer approves or declines the waiting request. Approving raises the card hold to
    the new limit: a new manual-capture PaymentIntent on the saved card (key
    ``<booking>:authorise-<seq>``, as hold renewal does — localstripe has no incremental
    authorisation); the old hold is released only after the new one succeeded. A declined card
    is a 402 and the old hold and request stay as they were. Answering the same way twice
    changes nothing."""
    from chalicelib.services.notifications import enqueue_notification

    if actor.role != "customer":
        raise Forbidden("only the customer can answer a request for more")
    booking = customers_booking(actor, booking_id)
    pay = get_payment(booking.booking_id)
    if pay is None:
        raise Conflict("the helper has not asked for more on this booking")
    what, req = xa.decide(requests(pay), approve)
    if what == "noop":
        return pay
    if booking.state not in xa.RUNNING_STATES:
        raise Conflict("the job is not running any more; the request can no longer be answered",
                       extra={"state": booking.state})
    seq = int(req["seq"])

    def mark(status: str):
        def changes(p: PaymentRecord) -> dict:
            rows = requests(p)
            if not rows or int(rows[-1]["seq"]) != seq or rows[-1]["status"] != xa.PENDING:
                return {}
            rows[-1] = {**rows[-1], "status": status, "decided_at": now_iso()}
            return {"extra_approvals": rows}
        return changes

    if what == "decline":
        update(booking.booking_id, mark(xa.DECLINED))
    else:
        new_limit = int(req["new_limit"])
        if facts(pay).state != AUTHORISED or not pay.payment_method:
            raise Conflict("there is no card hold on this booking to raise",
                           extra={"payment_status": pay.status})
        if facts(pay).authorised >= new_limit:
            update(booking.booking_id, mark(xa.APPROVED))  # raised before a crash
        else:
            old_pi, old_seq = pay.payment_intent_id, int(pay.auth_seq or 0)
            pay = authorise(booking, pay, pay.stripe_customer_id, pay.payment_method, off_session=False,
                            amount=new_limit, mark_failed=False, extra=mark(xa.APPROVED))
            if pay.payment_intent_id != old_pi:
                try:
                    gw.release(old_pi, key=gw.idempotency_key(booking.booking_id, f"release-{old_seq}"),
                               mode=stripe_mode(pay))
                except gw.PaymentProviderError:
                    # the old hold lapses by itself after ~7 days; nothing is charged from it
                    log.exception("releasing the replaced hold %s of %s failed", old_pi, booking.booking_id)
            if xa.pending_of(requests(pay)):
                # a concurrent approval recorded the new hold first: mark this request too
                update(booking.booking_id, mark(xa.APPROVED))
    pay = get_payment(booking.booking_id)
    rows = requests(pay)
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


def extra_approval_view(pay: PaymentRecord) -> dict[str, Any]:
    return {"booking_id": pay.booking_id, "currency": pay.currency, "limit": facts(pay).authorised,
            "payment_status": pay.status, "extra_approval": xa.public_view(requests(pay)),
            "requests": requests(pay)}
