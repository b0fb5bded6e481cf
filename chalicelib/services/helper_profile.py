"""Helper self-service: a helper reads and changes their own profile, area, skills, rate,
languages and availability, and sees what they earned.

Updates are single conditional writes of the fields changed on the helper's own record
(``store.helper_profiles``, conditional on the status read), so a concurrent status change by
operations is never overwritten; ``tenant_status`` (the index key ``<tenant>#<status>``) is
rewritten from the stored tenant and status on every update, so the index stays consistent.
"""
from __future__ import annotations

from typing import Any

from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import Conflict, Forbidden, NotFound
from chalicelib.domain.helper_schemas import HelperAvailabilityUpdate, HelperProfileUpdate
from chalicelib.store.helper_profiles import helper_profiles
from chalicelib.store.records import BookingRecord, HelperProfileRecord

PROFILE_ATTEMPTS = 4  # lost races with an ops status change before a 409


def _own(actor: Actor) -> HelperProfileRecord:
    if actor.role != "helper":
        raise Forbidden("this is for helper accounts")
    helper = helper_profiles().get(actor.id, consistent=True)
    if helper is None or helper.tenant_id != actor.tenant_id:
        raise NotFound("your helper profile was not found; please contact crowdfix support")
    return helper


def profile_view(helper: HelperProfileRecord) -> dict[str, Any]:
    count = int(helper.rating_count or 0)
    return {
        "helper_id": helper.helper_id, "name": helper.name, "first_name": helper.first_name,
        "email": helper.email, "phone": helper.phone, "bio": helper.bio, "status": helper.status,
        "skills": {k: int(v) for k, v in dict(helper.skills or {}).items()},
        "qualifications": list(helper.qualifications or []),
        "area": {"lat": float(helper.lat), "lon": float(helper.lon), "radius_km": int(helper.service_radius_km),
                 "city": helper.city},
        "hourly_rate": {"amount": int(helper.hourly_rate), "currency": helper.currency},
        "languages": list(helper.languages or []), "remote": bool(helper.remote),
        "availability": {"weekly": _plain(helper.availability), "on_call": bool(helper.on_call),
                         "off_duty": bool(helper.off_duty)},
        "rating": {"average": round(float(helper.rating_sum) / count, 1) if count else None, "count": count},
    }


def _plain(attr) -> dict:
    data = dict(attr or {})
    return {day: [list(span) for span in spans] for day, spans in data.items()}


def get_profile(actor: Actor) -> dict[str, Any]:
    return profile_view(_own(actor))


def _update(helper: HelperProfileRecord, changes: dict) -> HelperProfileRecord:
    # Conditional on the status we read: if ops changed it meanwhile, re-read and write the new pair
    # (the store's one update-with-retry).
    from chalicelib.store.retry import update_with_retry

    return update_with_retry(
        lambda: helper_profiles().get(helper.helper_id, consistent=True), lambda h: changes,
        helper_profiles().update, attempts=PROFILE_ATTEMPTS, first=helper,
        busy=lambda: Conflict("your profile is changing right now; please try again in a moment"))


def update_profile(actor: Actor, change: HelperProfileUpdate) -> dict[str, Any]:
    helper = _own(actor)
    changes: dict[str, Any] = {}
    fields = change.model_fields_set
    if "first_name" in fields and change.first_name:
        changes["first_name"] = change.first_name
    for name in ("bio", "phone"):
        if name in fields:
            changes[name] = getattr(change, name) or None  # empty removes it
    if change.skills is not None:
        changes["skills"] = dict(change.skills)
    if change.area is not None:
        changes.update(lat=change.area.lat, lon=change.area.lon, service_radius_km=change.area.radius_km)
        if change.area.city:
            changes["city"] = change.area.city
    if change.hourly_rate is not None:
        changes["hourly_rate"] = change.hourly_rate
    if change.languages is not None:
        changes["languages"] = change.languages
    if change.remote is not None:
        changes["remote"] = change.remote
    return profile_view(_update(helper, changes))


def update_availability(actor: Actor, change: HelperAvailabilityUpdate) -> dict[str, Any]:
    helper = _own(actor)
    changes = {"availability": {d: [list(s) for s in spans] for d, spans in change.weekly.items()},
               "on_call": change.on_call, "off_duty": change.off_duty}
    return profile_view(_update(helper, changes))["availability"]


def booking_earning(booking: BookingRecord, hourly_rate: int) -> int:
    """Minor units earned for one completed booking: the stored line items' helper share when
    settlement has written them, otherwise minutes worked x the helper's hourly rate."""
    items = [i.as_dict() if hasattr(i, "as_dict") else dict(i) for i in booking.line_items or []]
    helper_items = [i for i in items if i.get("payee") == "helper" and isinstance(i.get("amount"), (int, float))]
    if helper_items:
        return int(sum(int(i["amount"]) for i in helper_items))
    minutes = int(booking.minutes_worked or 0)
    return (minutes * int(hourly_rate) + 30) // 60


def earnings(actor: Actor, limit: int = 200) -> dict[str, Any]:
    from chalicelib.store.bookings import bookings

    helper = _own(actor)
    rate = int(helper.hourly_rate)
    rows, total, minutes = [], 0, 0
    page, _ = bookings().page("helper", actor.id, limit=limit)
    for booking in page:
        if booking.state != "completed" or booking.tenant_id != helper.tenant_id:
            continue
        amount = booking_earning(booking, int(booking.hourly_rate or rate))  # the rate fixed at accept
        total += amount
        minutes += int(booking.minutes_worked or 0)
        rows.append({"booking_id": booking.booking_id, "category": booking.category,
                     "completed_at": booking.updated_at, "minutes_worked": int(booking.minutes_worked or 0),
                     "amount": amount})
    return {"currency": helper.currency, "total": total, "minutes_worked": minutes, "jobs": len(rows),
            "basis": "minutes worked x hourly rate until payouts are settled", "items": rows}
