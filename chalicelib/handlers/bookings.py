"""Bookings API (v1): customers book and follow, helpers answer offers and run the job, ops oversee."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.handlers.common import authenticate, cursor_param, ok, parse_body, path_id, query_int, sign_cursor

bp = Blueprint(__name__)


@bp.route("/v1/bookings", methods=["POST"])
def create_booking():
    from chalicelib.domain.schemas import CreateBooking
    from chalicelib.services import bookings as svc
    from chalicelib.services.views import booking_view
    request = bp.current_request
    actor = authenticate(request, "customer")
    body = parse_body(request, CreateBooking)
    key = (request.headers or {}).get("idempotency-key")
    if key is not None and not (1 <= len(key) <= 255):
        from chalicelib.domain.errors import ValidationFailed
        raise ValidationFailed("Idempotency-Key must be 1 to 255 characters", field="Idempotency-Key")
    booking, created = svc.create_booking(actor, body, idempotency_key=key)
    if body.payment is not None:
        from chalicelib.services.payments import hold_card_at_booking
        booking = hold_card_at_booking(actor, booking, body.payment)
    return ok(booking_view(booking, actor), status=201 if created else 200,
              headers={"Location": f"/v1/bookings/{booking.booking_id}",
                       **({"Idempotent-Replayed": "true"} if not created else {})})


@bp.route("/v1/me/booking-defaults", methods=["GET"])
def booking_defaults():
    from chalicelib.services import bookings as svc
    return ok(svc.booking_defaults(authenticate(bp.current_request, "customer")))


@bp.route("/v1/bookings", methods=["GET"])
def list_bookings():
    from chalicelib.services import bookings as svc
    from chalicelib.services.views import booking_view
    request = bp.current_request
    actor = authenticate(request, "customer", "helper")
    limit = query_int(request, "limit", 20, 1, 100)
    scope = f"bookings:{actor.role}:{actor.id}"  # a cursor continues only this caller's listing
    items, cursor = svc.list_bookings(actor, limit=limit, cursor=cursor_param(request, scope))
    return ok({"items": [booking_view(b, actor) for b in items], "next_cursor": sign_cursor(cursor, scope)})


@bp.route("/v1/bookings/{booking_id}", methods=["GET"])
def get_booking(booking_id):
    from chalicelib.services import bookings as svc
    from chalicelib.services.views import booking_view
    request = bp.current_request
    actor = authenticate(request, "customer", "helper", "ops")
    booking = svc.get_booking_for(actor, path_id(booking_id, "b", "booking_id"))
    return ok(booking_view(booking, actor))


@bp.route("/v1/bookings/{booking_id}/cancel", methods=["POST"])
def cancel_booking(booking_id):
    from chalicelib.domain.schemas import CancelBooking
    from chalicelib.services import bookings as svc
    from chalicelib.services.views import booking_view
    request = bp.current_request
    actor = authenticate(request, "customer", "helper", "ops")
    body = parse_body(request, CancelBooking, allow_empty=True)
    booking = svc.cancel_booking(actor, path_id(booking_id, "b", "booking_id"), reason=body.reason)
    return ok(booking_view(booking, actor))


@bp.route("/v1/helper/offers", methods=["GET"])
def list_offers():
    from chalicelib.services import bookings as svc
    from chalicelib.services.views import offer_view
    actor = authenticate(bp.current_request, "helper")
    return ok({"items": [offer_view(o) for o in svc.list_open_offers(actor)]})


@bp.route("/v1/bookings/{booking_id}/accept", methods=["POST"])
def accept(booking_id):
    from chalicelib.services import bookings as svc
    from chalicelib.services.views import booking_view
    actor = authenticate(bp.current_request, "helper")
    return ok(booking_view(svc.accept_offer(actor, path_id(booking_id, "b", "booking_id")), actor))


@bp.route("/v1/bookings/{booking_id}/decline", methods=["POST"])
def decline(booking_id):
    from chalicelib.services import bookings as svc
    actor = authenticate(bp.current_request, "helper")
    svc.decline_offer(actor, path_id(booking_id, "b", "booking_id"))
    return ok({"booking_id": booking_id, "offer": "declined"})


@bp.route("/v1/bookings/{booking_id}/depart", methods=["POST"])
def depart(booking_id):
    from chalicelib.services import bookings as svc
    from chalicelib.services.views import booking_view
    actor = authenticate(bp.current_request, "helper")
    return ok(booking_view(svc.helper_step(actor, path_id(booking_id, "b", "booking_id"), "depart"), actor))


@bp.route("/v1/bookings/{booking_id}/start", methods=["POST"])
def start(booking_id):
    from chalicelib.services import bookings as svc
    from chalicelib.services.views import booking_view
    actor = authenticate(bp.current_request, "helper")
    return ok(booking_view(svc.helper_step(actor, path_id(booking_id, "b", "booking_id"), "start"), actor))


@bp.route("/v1/bookings/{booking_id}/complete", methods=["POST"])
def complete(booking_id):
    from chalicelib.domain.schemas import CompleteBooking
    from chalicelib.services import bookings as svc
    from chalicelib.services.views import booking_view
    request = bp.current_request
    actor = authenticate(request, "helper")
    body = parse_body(request, CompleteBooking)
    booking = svc.helper_step(actor, path_id(booking_id, "b", "booking_id"), "complete",
                              minutes_worked=body.minutes_worked, note=body.note)
    return ok(booking_view(booking, actor))
