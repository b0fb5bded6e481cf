"""Bookings API (v1): customers book and follow, helpers answer offers and run the job, ops oversee."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.http import Edge, Reply, signed_in
from chalicelib.http import types as t
from chalicelib.http.cursors import sign_cursor
from chalicelib.lazy import lazy

bp = Blueprint(__name__)
api = Edge(bp, tag="bookings")
svc = lazy("chalicelib.services.bookings")
views = lazy("chalicelib.services.views")
payments = lazy("chalicelib.services.payments")
HELPER = signed_in("helper")


@api.post("/v1/bookings", auth=signed_in("customer"), body="schemas:CreateBooking",
          headers={"Idempotency-Key": t.IdempotencyKey}, response="BookingOut", status=201, also=(200,),
          errors=(402,))
def create_booking(call):
    """Book help

    With ``payment`` the card is held in the same request; a declined card answers 402 with the
    ``booking_id`` to retry on."""
    booking, created = svc.create_booking(call.actor, call.body, idempotency_key=call.headers["Idempotency-Key"])
    if call.body.payment is not None:
        booking = payments.hold_card_at_booking(call.actor, booking, call.body.payment)
    return Reply(views.booking_view(booking, call.actor), status=201 if created else 200,
                 headers={"Location": f"/v1/bookings/{booking.booking_id}",
                          **({"Idempotent-Replayed": "true"} if not created else {})})


@api.get("/v1/me/booking-defaults", auth=signed_in("customer"), response="BookingDefaults")
def booking_defaults(call):
    """A returning customer's details from her last booking (name, phone, address, saved card)"""
    return svc.booking_defaults(call.actor)


@api.get("/v1/bookings", auth=signed_in("customer", "helper"), query={"limit": t.limit(20, 100), "cursor": t.Cursor},
         response="BookingList")
def list_bookings(call):
    """My bookings"""
    scope = f"bookings:{call.actor.role}:{call.actor.id}"  # a cursor continues only this caller's listing
    items, cursor = svc.list_bookings(call.actor, limit=call.query["limit"], cursor=call.cursor(scope))
    return {"items": [views.booking_view(b, call.actor) for b in items], "next_cursor": sign_cursor(cursor, scope)}


@api.get("/v1/bookings/{booking_id}", auth=signed_in("customer", "helper", "ops"), response="BookingOut")
def get_booking(call, booking_id):
    """One booking"""
    return views.booking_view(svc.get_booking_for(call.actor, booking_id), call.actor)


@api.post("/v1/bookings/{booking_id}/cancel", auth=signed_in("customer", "helper", "ops"),
          body="schemas:CancelBooking", body_optional=True, response="BookingOut")
def cancel_booking(call, booking_id):
    """Cancel"""
    return views.booking_view(svc.cancel_booking(call.actor, booking_id, reason=call.body.reason), call.actor)


@api.get("/v1/helper/offers", auth=HELPER, response="OfferList")
def list_offers(call):
    """My open offers (helpers)"""
    return {"items": [views.offer_view(o) for o in svc.list_open_offers(call.actor)]}


@api.post("/v1/bookings/{booking_id}/accept", auth=HELPER, response="BookingOut")
def accept(call, booking_id):
    """Accept an offer"""
    return views.booking_view(svc.accept_offer(call.actor, booking_id), call.actor)


@api.post("/v1/bookings/{booking_id}/decline", auth=HELPER, response="OfferDeclined")
def decline(call, booking_id):
    """Decline an offer"""
    svc.decline_offer(call.actor, booking_id)
    return {"booking_id": booking_id, "offer": "declined"}


@api.post("/v1/bookings/{booking_id}/depart", auth=HELPER, response="BookingOut")
def depart(call, booking_id):
    """On the way"""
    return views.booking_view(svc.helper_step(call.actor, booking_id, "depart"), call.actor)


@api.post("/v1/bookings/{booking_id}/start", auth=HELPER, response="BookingOut")
def start(call, booking_id):
    """Started"""
    return views.booking_view(svc.helper_step(call.actor, booking_id, "start"), call.actor)


@api.post("/v1/bookings/{booking_id}/complete", auth=HELPER, body="schemas:CompleteBooking", response="BookingOut")
def complete(call, booking_id):
    """Done"""
    booking = svc.helper_step(call.actor, booking_id, "complete", minutes_worked=call.body.minutes_worked,
                              note=call.body.note)
    return views.booking_view(booking, call.actor)
