"""What each kind of caller sees of a booking. A helper sees the exact address and the contact
only once assigned; before that only the area (postcode and city)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain.actors import Actor

if TYPE_CHECKING:
    from chalicelib.store.records import BookingRecord, HelperProfileRecord, OfferRecord


def _as_dict(attr) -> dict | None:
    # records carry plain dicts (a twin's test data may still hand over a map with as_dict)
    return attr.as_dict() if attr is not None and hasattr(attr, "as_dict") else attr


def timeline(booking: BookingRecord) -> list[dict]:
    return [{"step": h.get("transition"), "state": h.get("to"), "at": h.get("at"), "by": h.get("actor"),
             **({"minutes_worked": int(h["minutes_worked"])} if h.get("minutes_worked") is not None else {}),
             **({"reason": h["reason"]} if h.get("reason") else {})}
            for h in (_as_dict(e) for e in booking.history or [])]


def helper_public(helper: HelperProfileRecord, *, viewer_role: str | None = None, assigned_customer: bool = False) -> dict:
    from chalicelib.services.helper_photos import photo_url_for
    from chalicelib.services.ratings import helper_rating  # Bayesian average with its count
    return {"helper_id": helper.helper_id, "first_name": helper.first_name,
            "photo_url": photo_url_for(helper, viewer_role=viewer_role, assigned_customer=assigned_customer),
            "rating": helper_rating(helper), "languages": list(helper.languages or [])}


REACHABLE_STATES = ("assigned", "en_route", "started")


def _who_is_coming(booking: BookingRecord, helper: HelperProfileRecord) -> dict:
    """For the customer once assigned: when the helper arrives (a 20-minute window) and the helper's
    phone while the job runs (not after: she then calls the tenant's support number)."""
    from datetime import datetime, timedelta

    from chalicelib.domain.geo import haversine_km
    from chalicelib.domain.notifications import expected_arrival

    out: dict = {}
    accepted = next((h.get("at") for h in (_as_dict(e) for e in booking.history or []) if h.get("transition") == "accept"), None)
    if booking.state in ("assigned", "en_route") and accepted:
        loc = _as_dict(booking.location) or {}
        km = (haversine_km(float(loc["lat"]), float(loc["lon"]), float(helper.lat), float(helper.lon))
              if booking.mode == "onsite" and loc.get("lat") is not None else None)
        eta = expected_arrival(datetime.fromisoformat(accepted.replace("Z", "+00:00")), mode=booking.mode,
                               wanted=_as_dict(booking.wanted), distance_km=km)
        out["arrival"] = {"from": eta.isoformat().replace("+00:00", "Z"),
                          "to": (eta + timedelta(minutes=20)).isoformat().replace("+00:00", "Z")}
    if booking.state in REACHABLE_STATES and helper.phone:
        out["phone"] = helper.phone
    return out


def _why(booking: BookingRecord) -> str | None:
    """Why this helper: the plain-language reason stored with the winning offer's score."""
    from chalicelib.store.offers import offers

    offer = offers().get(booking.booking_id, booking.helper_id, consistent=False)
    if offer is None:
        return None
    score = offer.score or {}
    return score.get("reason") or ("the helper you chose" if score.get("preferred") else None)


def booking_view(booking: BookingRecord, actor: Actor) -> dict:
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
        own_customer = actor.role == "customer" and booking.customer_id == actor.id
        from chalicelib.store.helper_profiles import helper_profiles

        helper = helper_profiles().get(booking.helper_id)
        if helper is not None:
            view["helper"] = helper_public(helper, viewer_role=actor.role,
                                           assigned_customer=own_customer or actor.role == "partner")
            if own_customer or actor.role == "ops":
                view["helper"].update(_who_is_coming(booking, helper))
        else:
            view["helper"] = {"helper_id": booking.helper_id}
        if actor.role in ("customer", "ops", "partner"):
            view["helper"]["why"] = _why(booking)
    else:
        view["helper"] = None
    return view


def offer_view(offer: OfferRecord) -> dict:
    return {"booking_id": offer.booking_id, "state": offer.state, "round": int(offer.round),
            "created_at": offer.created_at, "expires_at": offer.expires_at,
            "summary": _as_dict(offer.summary), "why": _as_dict(offer.score)}
