"""The partner sandbox: what a test key (``cfx_test_...``) may do and where its bookings go.

- A booking made with a test key is a *test booking* (``Booking.sandbox == "test"``). Test keys
  see only test bookings, live keys only live ones (lists, reads, cancels, webhooks, statements).
- Test bookings are offered to the tenant's *simulated helpers* only (``dispatch_round`` asks
  ``sandbox_helpers.simulated_candidates``), never to a real helper. Simulated helpers are helper records
  with status ``simulated``: the matching index, the pool listings and discovery read only
  ``active`` helpers, so no live booking ever reaches them.
- Messages about a test booking are recorded in the delivery log (status ``recorded``) instead
  of being sent (``services/notifications.deliver``).
- The integrator moves a test booking through the simulated helper's steps with the sandbox
  endpoints (:func:`move`): accept, start, complete (with minutes) and cancel.

Test mode is reachable only with a test key (:func:`require_test_key`), in every stage: there
is no switch, header or local-mode shortcut that turns a live key into a test one.
"""
from __future__ import annotations

import json

from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from chalicelib.domain.ids import new_id, now_iso
from chalicelib.services.sandbox_helpers import is_simulated

STEPS = ("accept", "start", "complete", "cancel")


def is_test(environment: str | None) -> bool:
    return environment == "test"


def require_test_key(actor: Actor, environment: str | None) -> None:
    """Sandbox endpoints answer 403 for anything but a partner's test key."""
    if actor is None or actor.role != "partner" or not is_test(environment):
        raise Forbidden("sandbox endpoints need a test key (cfx_test_...); live bookings are moved by real helpers")


def same_environment(booking, environment: str | None) -> bool:
    """A test key sees only test bookings, a live key only live ones."""
    return (booking.sandbox == "test") == is_test(environment)


# ---------------------------------------------------------------------------------------------
# moving a test booking

def _test_booking(actor: Actor, environment: str, booking_id: str):
    from chalicelib.services.bookings import get_booking_for

    require_test_key(actor, environment)
    booking = get_booking_for(actor, booking_id)
    if booking.sandbox != "test":
        raise NotFound(f"booking {booking_id} was not found", field="booking_id")
    return booking


def _helper_actor(booking, helper_id: str) -> Actor:
    return Actor(role="helper", id=helper_id, tenant_id=booking.tenant_id)


def move(actor: Actor, environment: str, booking_id: str, step: str, minutes_worked: int | None = None,
         reason: str | None = None, by: str = "customer"):
    """One step of a test booking as its simulated helper (or customer) would take it."""
    from chalicelib.services import bookings
    from chalicelib.services.dispatch import dispatch_round
    from chalicelib.store.offers import offers as offers_store

    booking = _test_booking(actor, environment, booking_id)
    if step == "accept":
        if booking.state == "requested":
            dispatch_round(booking_id)  # the same idempotent round the stream would send
        offers = [o for o in offers_store().for_booking(booking_id) if o.state == "open"]
        if not offers:
            raise InvalidTransition(f"this booking is {booking.state}; only an offered booking can be accepted",
                                    extra={"state": booking.state})
        offer = sorted(offers, key=lambda o: o.helper_id)[0]
        return bookings.accept_offer(_helper_actor(booking, offer.helper_id), booking_id)
    if step in ("start", "complete"):
        if not booking.helper_id:
            raise InvalidTransition(f"this booking is {booking.state}; accept it first", extra={"state": booking.state})
        if step == "complete" and not minutes_worked:
            raise ValidationFailed("say how long the job took: minutes_worked", field="minutes_worked")
        return bookings.helper_step(_helper_actor(booking, booking.helper_id), booking_id, step,
                                    minutes_worked=minutes_worked, note="sandbox")
    if step == "cancel":
        if by == "helper":
            if not booking.helper_id:
                raise InvalidTransition("no helper is assigned; cancel as the customer", extra={"state": booking.state})
            return bookings.cancel_booking(_helper_actor(booking, booking.helper_id), booking_id, reason=reason)
        return bookings.cancel_booking(actor, booking_id, reason=reason)
    raise ValidationFailed(f"step must be one of {', '.join(STEPS)}", field="step")


def payment_link_of(actor: Actor, environment: str, booking_id: str) -> dict:
    """The payment link of a test booking awaiting payment (for a test booking its e-mail is
    recorded, not sent): the same signed link, valid until the payment window ends."""
    from chalicelib.domain import booking_states as bs
    from chalicelib.services import payment_links

    booking = _test_booking(actor, environment, booking_id)
    if booking.state != bs.AWAITING_PAYMENT:
        raise InvalidTransition(f"this booking is {booking.state}; only a booking awaiting payment has a payment link",
                                extra={"state": booking.state})
    left = payment_links._seconds_left(booking)
    if left <= 0:
        raise InvalidTransition("the payment window of this booking is over", extra={"state": booking.state})
    token = payment_links.issue_payment_token(booking.booking_id, booking.tenant_id, left)
    return {"booking_id": booking.booking_id, "pay_url": payment_links.payment_link(booking.booking_id, token, booking.tenant_id),
            "token": token, "test_cards": {"succeeds": "pm_card_visa", "declined": "pm_card_visa_chargeDeclined"},
            "expires_in_seconds": left}


# ---------------------------------------------------------------------------------------------
# test events to a webhook endpoint

def send_test_event(actor: Actor, environment: str | None, tenant_id: str, endpoint_id: str, event_type: str):
    """Send an example ``event_type`` (marked ``sandbox: true``) to one endpoint, signed and logged
    like any delivery. A live key may not: sign in as the partner's admin or use a test key."""
    from chalicelib.domain import partners as dp
    from chalicelib.services import webhooks
    from chalicelib.store.records import WebhookDeliveryRecord
    from chalicelib.store.webhooks import webhooks as webhooks_store

    if actor.role == "partner" and not is_test(environment):
        raise Forbidden("test events need a test key (cfx_test_...) or the partner's admin sign-in")
    ep = webhooks.get_endpoint(actor, tenant_id, endpoint_id)
    if event_type not in dp.WEBHOOK_EVENTS:
        raise ValidationFailed(f"event_type must be one of {', '.join(dp.WEBHOOK_EVENTS)}", field="event_type")
    at = now_iso()
    payload = json.dumps({"type": event_type, "timestamp": at, "data": example_event_data(event_type, at)},
                         separators=(",", ":"), sort_keys=True)
    delivery = WebhookDeliveryRecord(endpoint_id=ep.endpoint_id, message_id=new_id("msg"), tenant_id=tenant_id,
                                     event_type=event_type, payload=payload, status="pending", attempts=0,
                                     created_at=at)
    webhooks_store().add_delivery(delivery)
    webhooks._enqueue(delivery, attempt_base=0)
    return delivery


def example_event_data(event_type: str, at: str) -> dict:
    """The ``data`` of an example event: the shape real events have, with example values."""
    if event_type == "review.received":
        return {"booking_id": "b_example", "external_ref": "ORDER-1001", "review_id": "r_example", "stars": 5,
                "would_recommend": True}
    state = {"booking.created": "requested", "booking.assigned": "assigned", "booking.started": "started",
             "booking.completed": "completed", "booking.cancelled": "cancelled",
             "booking.unmatched": "unmatched"}.get(event_type, "requested")
    transition = {"booking.created": "request", "booking.assigned": "accept", "booking.started": "start",
                  "booking.completed": "complete", "booking.cancelled": "cancel_by_customer",
                  "booking.unmatched": "unmatch"}.get(event_type, "request")
    assigned = state in ("assigned", "started", "completed")
    return {"booking_id": "b_example", "external_ref": "ORDER-1001", "state": state, "category": "printer",
            "mode": "remote", "helper": {"helper_id": "h_example"} if assigned else None,
            "minutes_worked": 45 if state == "completed" else None, "affiliate_code": None, "campaign": None,
            "sandbox": True, "version": 1, "updated_at": at, "transition": transition}


# ---------------------------------------------------------------------------------------------
# who a booking was offered to

def offers_of(actor: Actor, booking_id: str, environment: str | None = None) -> list[dict]:
    """Every offer of a booking, oldest first: helper, round, when sent, when it expires, how it
    ended. Ops see the helper's id and name; a partner sees the helper's first name only (no
    contact data, no id of a helper it never got)."""
    from chalicelib.services.bookings import get_booking_for
    from chalicelib.store.helper_pools import helper_pools
    from chalicelib.store.offers import offers as offers_store

    booking = get_booking_for(actor, booking_id)
    if actor.role == "partner" and not same_environment(booking, environment):
        raise NotFound(f"booking {booking_id} was not found", field="booking_id")
    offers = sorted(offers_store().for_booking(booking_id), key=lambda o: (o.created_at, o.helper_id))
    names = helper_pools().many(list({o.helper_id for o in offers}))
    out = []
    for o in offers:
        h = names.get(o.helper_id)
        row = {"round": int(o.round), "state": o.state, "offered_at": o.created_at, "expires_at": o.expires_at,
               "helper": {"first_name": h.first_name if h else None,
                          "simulated": is_simulated(o.helper_id)}}
        if actor.role == "ops":
            row["helper"].update(helper_id=o.helper_id, name=h.name if h else None)
        elif o.helper_id == booking.helper_id:
            row["helper"]["helper_id"] = o.helper_id  # the partner knows its assigned helper already
        out.append(row)
    return out
