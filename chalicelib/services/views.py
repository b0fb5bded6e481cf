"""What each kind of caller sees of a booking. A helper sees the exact address and the contact
only once assigned; before that only the area (postcode and city)."""
from __future__ import annotations

from chalicelib.domain.actors import Actor
from chalicelib.models.bookings import Booking
from chalicelib.models.helpers import Helper
from chalicelib.models.offers import Offer


def _as_dict(attr) -> dict | None:
    return attr.as_dict() if attr is not None and hasattr(attr, "as_dict") else attr


def timeline(booking: Booking) -> list[dict]:
    return [{"step": h.get("transition"), "state": h.get("to"), "at": h.get("at"), "by": h.get("actor"),
             **({"minutes_worked": int(h["minutes_worked"])} if h.get("minutes_worked") is not None else {}),
             **({"reason": h["reason"]} if h.get("reason") else {})}
            for h in (_as_dict(e) for e in booking.history or [])]


def helper_public(helper: Helper) -> dict:
    from chalicelib.services.ratings import helper_rating  # Bayesian average with its count
    return {"helper_id": helper.helper_id, "first_name": helper.first_name, "photo_url": helper.photo_url,
            "rating": helper_rating(helper), "languages": list(helper.languages or [])}


def _why(booking: Booking) -> str | None:
    """Why this helper: the plain-language reason stored with the winning offer's score."""
    try:
        offer = Offer.get(booking.booking_id, booking.helper_id)
    except Offer.DoesNotExist:
        return None
    score = _as_dict(offer.score) or {}
    return score.get("reason") or ("the helper you chose" if score.get("preferred") else None)


def booking_view(booking: Booking, actor: Actor) -> dict:
    location = _as_dict(booking.location)
    view = {
        "booking_id": booking.booking_id, "state": booking.state, "category": booking.category,
        "description": booking.description, "mode": booking.mode, "wanted": _as_dict(booking.wanted),
        "language": booking.language, "price_cap": _as_dict(booking.price_cap),
        "line_items": [_as_dict(i) for i in booking.line_items or []],
        "minutes_worked": int(booking.minutes_worked) if booking.minutes_worked is not None else None,
        "created_at": booking.created_at, "updated_at": booking.updated_at, "version": int(booking.version),
        "timeline": timeline(booking),
        "extra_approval": _as_dict(booking.extra_approval),  # a helper's request for more than the cap
    }
    assigned_to_caller = actor.role == "helper" and booking.helper_id == actor.id
    if actor.role in ("customer", "ops", "partner") or assigned_to_caller:
        view["location"] = location
        view["contact"] = _as_dict(booking.contact)
    else:
        view["location"] = {"postcode": (location or {}).get("postcode"), "city": (location or {}).get("city")}
    if actor.role in ("ops", "partner"):
        view.update(tenant_id=booking.tenant_id, customer_id=booking.customer_id,
                    dispatch_round=int(booking.dispatch_round or 0))
    if booking.helper_id:
        try:
            view["helper"] = helper_public(Helper.get(booking.helper_id))
        except Helper.DoesNotExist:
            view["helper"] = {"helper_id": booking.helper_id}
        if actor.role in ("customer", "ops", "partner"):
            view["helper"]["why"] = _why(booking)
    else:
        view["helper"] = None
    return view


def offer_view(offer: Offer) -> dict:
    return {"booking_id": offer.booking_id, "state": offer.state, "round": int(offer.round),
            "created_at": offer.created_at, "expires_at": offer.expires_at,
            "summary": _as_dict(offer.summary), "why": _as_dict(offer.score)}
