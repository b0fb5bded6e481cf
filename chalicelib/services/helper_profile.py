"""Helper self-service: a helper reads and changes their own profile, area, skills, rate,
languages and availability, and sees what they earned.

Updates are single conditional ``UpdateItem`` calls on the helper's own record (never read-modify-
write), so a concurrent status change by operations is never overwritten. ``tenant_status`` (the
index key ``<tenant>#<status>``) is rewritten from the stored tenant and status on every update, so
the index stays consistent with the record.
"""
from __future__ import annotations

from typing import Any

from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import Forbidden, NotFound
from chalicelib.domain.helper_schemas import HelperAvailabilityUpdate, HelperProfileUpdate
from chalicelib.models.bookings import Booking
from chalicelib.models.helpers import Helper


def _own(actor: Actor) -> Helper:
    if actor.role != "helper":
        raise Forbidden("this is for helper accounts")
    try:
        helper = Helper.get(actor.id, consistent_read=True)
    except Helper.DoesNotExist:
        raise NotFound("your helper profile was not found; please contact crowdfix support") from None
    if helper.tenant_id != actor.tenant_id:
        raise NotFound("your helper profile was not found; please contact crowdfix support")
    return helper


def profile_view(helper: Helper) -> dict[str, Any]:
    count = int(helper.rating_count or 0)
    return {
        "helper_id": helper.helper_id, "name": helper.name, "first_name": helper.first_name,
        "email": helper.email, "phone": helper.phone, "bio": helper.bio, "status": helper.status,
        "skills": {k: int(v) for k, v in (helper.skills.as_dict() if hasattr(helper.skills, "as_dict")
                                           else dict(helper.skills or {})).items()},
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
    data = attr.as_dict() if hasattr(attr, "as_dict") else dict(attr or {})
    return {day: [list(span) for span in spans] for day, spans in data.items()}


def get_profile(actor: Actor) -> dict[str, Any]:
    return profile_view(_own(actor))


def _update(helper: Helper, actions: list) -> Helper:
    # Conditional on the status we read: if ops changed it meanwhile, re-read and write the new pair
    # (the store's one update-with-retry).
    from chalicelib.domain.errors import Conflict
    from chalicelib.store._dynamo import _update as conditional_update
    from chalicelib.store.retry import update_with_retry

    def reread() -> Helper:
        helper.refresh(consistent_read=True)
        return helper

    return update_with_retry(
        reread, lambda h: actions + [Helper.tenant_status.set(f"{h.tenant_id}#" + h.status)],
        lambda h, acts: conditional_update(h, actions=acts, condition=(Helper.status == h.status),
                                           refused=f"helper {h.helper_id} is not {h.status} any more"),
        attempts=4, first=helper,
        busy=lambda: Conflict("your profile is changing right now; please try again in a moment"))


def update_profile(actor: Actor, change: HelperProfileUpdate) -> dict[str, Any]:
    helper = _own(actor)
    actions: list = []
    fields = change.model_fields_set
    if "first_name" in fields and change.first_name:
        actions.append(Helper.first_name.set(change.first_name))
    for name in ("bio", "phone"):
        if name in fields:
            value = getattr(change, name)
            attr = getattr(Helper, name)
            actions.append(attr.set(value) if value else attr.remove())
    if change.skills is not None:
        actions.append(Helper.skills.set(dict(change.skills)))
    if change.area is not None:
        actions += [Helper.lat.set(change.area.lat), Helper.lon.set(change.area.lon),
                    Helper.service_radius_km.set(change.area.radius_km)]
        if change.area.city:
            actions.append(Helper.city.set(change.area.city))
    if change.hourly_rate is not None:
        actions.append(Helper.hourly_rate.set(change.hourly_rate))
    if change.languages is not None:
        actions.append(Helper.languages.set(change.languages))
    if change.remote is not None:
        actions.append(Helper.remote.set(change.remote))
    return profile_view(_update(helper, actions))


def update_availability(actor: Actor, change: HelperAvailabilityUpdate) -> dict[str, Any]:
    helper = _own(actor)
    actions = [Helper.availability.set({d: [list(s) for s in spans] for d, spans in change.weekly.items()}),
               Helper.on_call.set(change.on_call), Helper.off_duty.set(change.off_duty)]
    return profile_view(_update(helper, actions))["availability"]


def booking_earning(booking: Booking, hourly_rate: int) -> int:
    """Minor units earned for one completed booking: the stored line items' helper share when
    settlement has written them, otherwise minutes worked x the helper's hourly rate."""
    items = [i.as_dict() if hasattr(i, "as_dict") else dict(i) for i in booking.line_items or []]
    helper_items = [i for i in items if i.get("payee") == "helper" and isinstance(i.get("amount"), (int, float))]
    if helper_items:
        return int(sum(int(i["amount"]) for i in helper_items))
    minutes = int(booking.minutes_worked or 0)
    return (minutes * int(hourly_rate) + 30) // 60


def earnings(actor: Actor, limit: int = 200) -> dict[str, Any]:
    helper = _own(actor)
    rate = int(helper.hourly_rate)
    rows, total, minutes = [], 0, 0
    from chalicelib.models.base import hydrate

    keys = [k.booking_id for k in Booking.by_helper.query(actor.id, scan_index_forward=False, limit=limit)]
    for booking in hydrate(Booking, keys):
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
