"""Booking use cases: create, read, list, and every step of a booking's life."""
from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from chalicelib.domain import booking_states as bs
from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import (Forbidden, IdempotencyKeyReused, InvalidTransition, NotFound,
                                      OfferAlreadyTaken, ValidationFailed)
from chalicelib.domain.ids import new_id, now_iso
from chalicelib.services import idempotency
from chalicelib.services.tenants import get_tenant, tenant_policy
from chalicelib.services.transitions import apply_transition, load_booking
from chalicelib.store.bookings import bookings
from chalicelib.store.conditions import ConditionFailed
from chalicelib.store.offers import offers
from chalicelib.store.records import BookingRecord, OfferAnswer, OfferRecord

if TYPE_CHECKING:  # pydantic stays out of the read path (cold start)
    from chalicelib.domain.schemas import CreateBooking

IDEMPOTENCY_TTL = 24 * 3600
log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# create

def create_booking(actor: Actor, request: CreateBooking, idempotency_key: str | None = None, *,
                   customer_id: str | None = None, extra_fields: dict | None = None) -> tuple[BookingRecord, bool]:
    """Create a booking. Returns ``(booking, created)``. A booking paid by card starts in
    ``awaiting_payment`` (nobody is offered it until ``POST /v1/bookings/{id}/payment`` held the
    card); one of a tenant billed by invoice starts ``requested`` and is matched at once.

    With an ``idempotency_key`` a retry of the same request returns the first booking
    (``created`` False); the same key with a different body is refused. A partner books for
    ``customer_id`` (its customer) and adds attribution in ``extra_fields``.
    """
    tenant = get_tenant(actor.tenant_id, fresh=True)  # the terms the booking copies: the ones in force now
    pol = tenant_policy(actor.tenant_id)
    created_by = bs.creation_transition(bs.needs_card_hold(pol.get("billing_model"), payments_configured()))
    first_state = bs.plan_transition(None, created_by, actor.role).to_state
    body = request.model_dump(mode="json", exclude={"payment"})  # a retry may bring another card
    if request.price_cap and request.price_cap.currency != tenant.currency:
        raise ValidationFailed(f"prices for this service are in {tenant.currency}", field="price_cap.currency")
    _check_onsite_needs(request)
    if request.preferred_helper_id:
        _check_preferred_helper(request.preferred_helper_id, actor.tenant_id, request.category)

    from chalicelib.domain.partners import booking_terms

    extra_fields = {**_attribution_fields(actor, request), **(extra_fields or {})}
    now = now_iso()
    settings = _plain(tenant.settings) or {}
    booking = BookingRecord(
        booking_id=new_id("b"), tenant_id=actor.tenant_id, customer_id=customer_id or actor.id,
        preferred_helper_id=request.preferred_helper_id, category=request.category,
        description=request.description, mode=request.mode,
        location=body.get("location"), wanted=body["wanted"], contact=body["contact"],
        language=request.language,
        price_cap=body.get("price_cap") or {"amount": int(pol["default_price_cap_minor"]),
                                            "currency": tenant.currency},
        terms=booking_terms(settings),
        state=first_state, version=1, created_at=now, updated_at=now,
        history=({"transition": created_by, "from": None, "to": first_state, "actor": actor.role,
                  "actor_id": actor.id, "at": now, "v": 1},),
        **(extra_fields or {}),
    )
    if not idempotency_key:
        bookings().create(booking)
        _remember_details(actor, request)
        return booking, True

    key = f"create-booking#{actor.tenant_id}#{actor.role}#{actor.id}#{idempotency_key}"
    digest = idempotency.request_hash(body)
    first = bookings().create_once(booking, key=key, request_hash=digest, ttl_seconds=IDEMPOTENCY_TTL)
    if first is None:
        _remember_details(actor, request)
        return booking, True
    if first.request_hash != digest:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used with a different booking; use a new key for a new booking",
            field="Idempotency-Key")
    return load_booking(first.booking_id), False


def _plain(value: Any) -> Any:
    """A map as a plain dict (a tenant's settings may still come as a pynamodb map)."""
    return value.as_dict() if value is not None and hasattr(value, "as_dict") else value


def _attribution_fields(actor: Actor, request: CreateBooking) -> dict:
    """Where the booking came from (17.7; counted by the ``count_attribution`` effect). A customer
    who booked inside a partner's widget or from its landing page (signed in to that tenant) books
    the partner's booking: attributed to the tenant, affiliate code and campaign."""
    from chalicelib.settings import get_settings
    c = request.attribution
    fields: dict = {}
    if c is not None:
        fields["attribution"] = {"utm_source": c.utm_source, "utm_medium": c.utm_medium,
                                 "utm_campaign": c.utm_campaign, "channel": c.channel}
        fields.update(affiliate_code=c.affiliate_code, campaign=c.campaign_name())
    if actor.role == "customer" and actor.tenant_id != get_settings().default_tenant:
        fields["partner_id"] = actor.tenant_id
    return fields


def _remember_details(actor: Actor, request: CreateBooking) -> None:
    """Keep a customer's name, phone and on-site address for her next booking (offered, not retyped)."""
    if actor.role != "customer":
        return
    from chalicelib.store.people import people
    address = (request.location.model_dump(mode="json", exclude_none=True)
               if request.mode == "onsite" and request.location is not None else None)
    try:
        people().remember_details(actor.id, name=request.contact.name, phone=request.contact.phone or None,
                                  address=address)
    except Exception:  # a convenience for next time: never fail the booking over it
        log.warning("could not keep the booking details of customer %s", actor.id, exc_info=True)


def booking_defaults(actor: Actor) -> dict:
    """What a returning customer is offered on her next booking: her name, phone, last on-site
    address and whether a card is saved (its last four digits only)."""
    from chalicelib.store.people import people
    if actor.role != "customer":
        raise Forbidden("only customers have booking details")
    c = people().customer(actor.id)
    if c is None:
        return {"name": None, "phone": None, "address": None, "saved_card": None}
    if c.tenant_id != actor.tenant_id:
        raise NotFound("customer not found")
    a = c.address or None
    address = None
    if a and a.get("lat") is not None:
        label = " ".join(str(x) for x in (a.get("postcode"), a.get("city")) if x)
        address = {"street": a.get("address"), "place": {"lat": float(a["lat"]), "lon": float(a["lon"]),
                                                          "postcode": a.get("postcode"), "city": a.get("city"),
                                                          "label": label or f"{a['lat']}, {a['lon']}"}}
    saved_card = None
    if c.default_payment_method:
        from chalicelib.store.cards import cards
        card = cards().get(actor.id)
        saved_card = {"last4": card.card_last4 if card else None}
    return {"name": c.name, "phone": c.phone, "address": address, "saved_card": saved_card}


def _check_onsite_needs(request: CreateBooking) -> None:
    """An on-site helper must find the door and be able to call: street and a phone number."""
    if request.mode != "onsite":
        return
    if request.location is None or not (request.location.address or "").strip():
        raise ValidationFailed("an on-site visit needs the street and house number, so the helper finds you",
                               field="location.address", extra={"code": "onsite_needs_street"})
    if not (request.contact.phone or "").strip():
        raise ValidationFailed("an on-site visit needs a phone number the helper can call you on",
                               field="contact.phone", extra={"code": "onsite_needs_phone"})


def payments_configured() -> bool:
    """Card payments are set up (a Stripe secret key, locally or in SSM): only then a card booking
    waits for its hold. Read from the environment, so the API's cold start imports nothing."""
    import os
    return bool(os.environ.get("CROWDFIX_STRIPE_SECRET_KEY") or os.environ.get("CROWDFIX_STRIPE_SECRET_KEY_PARAM"))


def _check_preferred_helper(helper_id: str, tenant_id: str, category: str) -> None:
    from chalicelib.store.helpers import helpers
    helper = helpers().get(helper_id)
    if helper is None:
        raise ValidationFailed("this helper does not exist; choose another or let crowdfix choose",
                               field="preferred_helper_id")
    from chalicelib.services.tenants import pool_tenants
    if helper.status != "active" or helper.tenant_id not in pool_tenants(tenant_id):
        raise ValidationFailed("this helper is not available; choose another or let crowdfix choose",
                               field="preferred_helper_id")
    if category not in (helper.skills or {}):
        raise ValidationFailed("this helper does not help with this kind of problem; choose another",
                               field="preferred_helper_id")


# ---------------------------------------------------------------------------------------------
# read

def get_booking_for(actor: Actor, booking_id: str) -> BookingRecord:
    """Load a booking the actor may see, else 404 (never reveal that someone else's exists)."""
    try:
        booking = load_booking(booking_id)
    except NotFound:
        raise
    if not _may_see(actor, booking):
        raise NotFound(f"booking {booking_id} was not found", field="booking_id")
    return booking


def _may_see(actor: Actor, booking: BookingRecord) -> bool:
    if actor.role == "ops":
        return actor.may_see_tenant(booking.tenant_id)
    if actor.role == "customer":
        return booking.customer_id == actor.id and booking.tenant_id == actor.tenant_id
    if actor.role == "partner":
        return booking.tenant_id == actor.tenant_id and booking.partner_id == actor.tenant_id
    if actor.role == "helper":
        if booking.helper_id == actor.id:
            return True
        return _open_offer(booking.booking_id, actor.id) is not None
    return False


def _open_offer(booking_id: str, helper_id: str) -> OfferRecord | None:
    offer = offers().get(booking_id, helper_id, consistent=True)
    return offer if offer is not None and offer.state == "open" else None


def list_bookings(actor: Actor, limit: int = 20,
                  cursor: str | None = None) -> tuple[list[BookingRecord], str | None]:
    """The actor's own bookings, newest first, paginated with an opaque cursor."""
    if actor.role not in ("customer", "helper"):
        raise Forbidden("use the ops search to list bookings of a tenant")
    page, next_key = bookings().page(actor.role, actor.id, limit=limit, after=_decode_cursor(cursor))
    items = [b for b in page if b.tenant_id == actor.tenant_id or actor.role == "helper"]
    return items, _encode_cursor(next_key)


def _encode_cursor(key: dict | None) -> str | None:
    if not key:
        return None
    import base64
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _decode_cursor(cursor: str | None) -> dict | None:
    if not cursor:
        return None
    import base64
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(value, dict):
            raise ValueError
        return value
    except (ValueError, json.JSONDecodeError):
        raise ValidationFailed("the cursor is not valid; start again without it", field="cursor") from None


def list_open_offers(actor: Actor, limit: int = 50) -> list[OfferRecord]:
    now = now_iso()
    return [o for o in offers().newest_for_helper(actor.id, limit) if o.state == "open" and o.expires_at > now]


# ---------------------------------------------------------------------------------------------
# steps

def accept_offer(actor: Actor, booking_id: str) -> BookingRecord:
    """The helper takes the job. Exactly one concurrent accept wins; the others get 409."""
    offer = _offer_of(actor, booking_id)
    if offer.state != "open":
        booking = load_booking(booking_id)
        if booking.helper_id and booking.helper_id != actor.id:
            raise OfferAlreadyTaken("another helper has already taken this job")
        raise InvalidTransition(f"this offer is {offer.state}", extra={"offer_state": offer.state})

    def still_open(booking: BookingRecord) -> None:
        # whoever reads the booking after the winner committed must hear "taken", not "invalid"
        if booking.state != bs.OFFERED and booking.helper_id and booking.helper_id != actor.id:
            raise OfferAlreadyTaken("another helper has already taken this job")

    # the rate the helper takes the job at is fixed on the booking: a later change of their
    # hourly rate never re-prices it (settlement reads Booking.hourly_rate)
    from chalicelib.store.helper_profiles import helper_profiles
    helper = helper_profiles().get(actor.id)
    # no helper record: settlement falls back to the helper's rate at that time
    rate = (int(helper.hourly_rate or 0) or None) if helper is not None else None
    return apply_transition(
        booking_id, "accept", actor, data={"helper_id": actor.id, "hourly_rate": rate}, check=still_open,
        set_fields=lambda b: {"helper_id": actor.id, "hourly_rate": rate},  # None removes it
        also_in_transaction=[OfferAnswer(booking_id, actor.id, "accepted")],
        on_lost_race=lambda fresh: OfferAlreadyTaken("another helper has already taken this job"),
    )


def decline_offer(actor: Actor, booking_id: str) -> BookingRecord:
    offer = _offer_of(actor, booking_id)
    if offer.state != "open":
        raise InvalidTransition(f"this offer is {offer.state}", extra={"offer_state": offer.state})
    return apply_transition(booking_id, "decline", actor, data={"helper_id": actor.id},
                            also_in_transaction=[OfferAnswer(booking_id, actor.id, "declined")])


def expire_offer(booking_id: str, helper_id: str) -> bool:
    """Time-out of one offer (from the delayed queue message). False if it was answered already."""
    from chalicelib.domain.actors import SYSTEM_ACTOR
    offer = offers().get(booking_id, helper_id, consistent=True)
    if offer is None or offer.state != "open":
        return False
    if offer.expires_at > now_iso():
        return False
    booking = load_booking(booking_id)
    if booking.state != bs.OFFERED:
        try:
            offers().answer(booking_id, helper_id, "expired")
        except ConditionFailed:  # answered in between: nothing to expire
            return False
        return True
    try:
        apply_transition(booking, bs.TIMERS["offer_answer"].fires, SYSTEM_ACTOR, data={"helper_id": helper_id},
                         also_in_transaction=[OfferAnswer(booking_id, helper_id, "expired")])
    except InvalidTransition:
        return False
    return True


def _offer_of(actor: Actor, booking_id: str) -> OfferRecord:
    if actor.role != "helper":
        raise Forbidden("only helpers answer offers")
    offer = offers().get(booking_id, actor.id, consistent=True)
    if offer is None:
        raise NotFound("there is no offer of this booking for you", field="booking_id")
    return offer


def _assigned_helper_check(actor: Actor):
    def check(booking: BookingRecord) -> None:
        if booking.helper_id != actor.id:
            raise NotFound(f"booking {booking.booking_id} was not found", field="booking_id")
    return check


def helper_step(actor: Actor, booking_id: str, step: str, minutes_worked: int | None = None,
                note: str | None = None) -> BookingRecord:
    """depart / start / complete by the assigned helper."""
    if actor.role != "helper":
        raise Forbidden("only the assigned helper can do this")
    data: dict[str, Any] = {}
    fields = None
    if step == "complete":
        data = {"minutes_worked": minutes_worked, "note": note}
        fields = lambda b: {"minutes_worked": minutes_worked}  # noqa: E731
    return apply_transition(booking_id, step, actor, data=data, set_fields=fields,
                            check=_assigned_helper_check(actor))


def cancel_booking(actor: Actor, booking_id: str, reason: str | None = None) -> BookingRecord:
    """Cancel on behalf of whoever calls: customer, assigned helper (booking is matched again
    without them) or ops."""
    booking = get_booking_for(actor, booking_id)
    if actor.role == "customer":
        return apply_transition(booking, "cancel_by_customer", actor, data={"reason": reason},
                                check=lambda b: _same_customer(actor, b))
    if actor.role == "partner":  # for its customer; get_booking_for checked the tenant
        return apply_transition(booking, "cancel_by_customer", actor, data={"reason": reason})
    if actor.role == "helper":
        return apply_transition(booking, "cancel_by_helper", actor, data={"reason": reason, "helper_id": actor.id},
                                check=_assigned_helper_check(actor),
                                set_fields=lambda b: {"helper_id": None})
    if actor.role == "ops":
        return apply_transition(booking, "cancel_by_ops", actor, data={"reason": reason})
    raise Forbidden("you may not cancel this booking")


def _same_customer(actor: Actor, booking: BookingRecord) -> None:
    if booking.customer_id != actor.id:
        raise NotFound(f"booking {booking.booking_id} was not found", field="booking_id")
