"""Who hears about what, on which channel: the one table, as data. No AWS import.

``ROUTES[event_type][recipient_role]`` lists the channels that event may use for that kind of
recipient. The channels actually used are that list narrowed by what the recipient has: an e-mail
address (and did not switch e-mail off), SMS chosen and a phone number, a registered browser
(push). A recipient with no usable channel at all is recorded as ``undeliverable`` — never
silently dropped.

``TRANSITION_EVENTS`` says which events each booking transition produces (the ``notify`` effect).
Other capabilities produce ``review_request``, ``payout_sent``, ``payment_receipt`` (after settlement)
and ``extra_approval_*`` (a helper asks the customer to approve more) with ``enqueue_notification``.
"""
from __future__ import annotations

from datetime import datetime, time as dtime, timedelta, timezone
from zoneinfo import ZoneInfo

EMAIL, SMS, PUSH = "email", "sms", "push"
CHANNELS = (EMAIL, SMS, PUSH)
# Interrupting channels: held back during a helper's quiet hours (e-mail waits in the inbox anyway).
INTERRUPTING = frozenset({SMS, PUSH})

ROUTES: dict[str, dict[str, tuple[str, ...]]] = {
    "booking_received":      {"customer": (EMAIL, SMS)},
    "offer":                 {"helper": (PUSH, SMS)},
    "offer_withdrawn":       {"helper": (PUSH,)},
    "helper_assigned":       {"customer": (EMAIL, SMS)},
    "helper_on_the_way":     {"customer": (EMAIL, SMS)},
    "booking_completed":     {"customer": (EMAIL,)},
    "review_request":        {"customer": (EMAIL,)},
    "no_helper_found":       {"customer": (EMAIL, SMS), "ops": (EMAIL,)},
    "cancelled_by_customer": {"customer": (EMAIL,), "helper": (PUSH, SMS, EMAIL)},
    "cancelled_by_helper":   {"customer": (EMAIL, SMS)},
    "cancelled_by_ops":      {"customer": (EMAIL, SMS), "helper": (PUSH, EMAIL)},
    "payment_not_held":      {"customer": (EMAIL,)},
    "payout_sent":           {"helper": (EMAIL,)},
    "payment_receipt":       {"customer": (EMAIL,)},
    "payment_link":          {"customer": (EMAIL, SMS)},  # a partner's customer pays by link (issue 17)
    "extra_approval_requested": {"customer": (EMAIL, SMS, PUSH)},
    "extra_approval_approved":  {"helper": (PUSH, EMAIL)},
    "extra_approval_declined":  {"helper": (PUSH, EMAIL)},
}

# transition name -> events it produces. ``start`` tells nobody: the helper is already at the door.
TRANSITION_EVENTS: dict[str, tuple[str, ...]] = {
    "request": ("booking_received",),
    "hold_card": ("booking_received",),
    "expire_payment": ("payment_not_held",),
    "offer": ("offer",),
    "accept": ("helper_assigned", "offer_withdrawn"),
    "depart": ("helper_on_the_way",),
    "start": (),
    "complete": ("booking_completed",),
    "unmatch": ("no_helper_found", "offer_withdrawn"),
    "cancel_by_customer": ("cancelled_by_customer", "offer_withdrawn"),
    "cancel_by_helper": ("cancelled_by_helper",),
    "cancel_by_ops": ("cancelled_by_ops", "offer_withdrawn"),
}

DEFAULT_QUIET_HOURS = {"start": "21:00", "end": "07:00", "tz": "Europe/Zurich"}


def channels_for(event_type: str, role: str) -> tuple[str, ...]:
    return ROUTES.get(event_type, {}).get(role, ())


def routing_table() -> list[dict]:
    """The table as plain rows (docs, API, README)."""
    return [{"event": ev, "recipient": role, "channels": list(chs)}
            for ev, roles in ROUTES.items() for role, chs in roles.items()]


def _hm(value: str) -> dtime:
    h, m = value.split(":")
    return dtime(int(h), int(m))


def in_quiet_hours(now: datetime, quiet: dict | None = None) -> bool:
    """True if ``now`` (aware) falls in the quiet window, which may wrap past midnight."""
    q = {**DEFAULT_QUIET_HOURS, **(quiet or {})}
    local = now.astimezone(ZoneInfo(q["tz"])).time()
    start, end = _hm(q["start"]), _hm(q["end"])
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def expected_arrival(now: datetime, *, mode: str, wanted: dict | None, distance_km: float | None) -> datetime:
    """When the customer can expect the helper: the booked time if one was chosen, else travel at
    an urban ~25 km/h plus 10 minutes to get going (remote: a call within 15 minutes), rounded up
    to 5 minutes."""
    wanted = wanted or {}
    if not wanted.get("asap", True) and wanted.get("at"):
        at = datetime.fromisoformat(str(wanted["at"]).replace("Z", "+00:00"))
        return at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    if mode == "remote" or distance_km is None:
        minutes = 15
    else:
        minutes = 10 + distance_km / 25.0 * 60
    eta = now + timedelta(minutes=minutes)
    extra = (5 - eta.minute % 5) % 5
    return (eta + timedelta(minutes=extra)).replace(second=0, microsecond=0)


def format_money(amount_minor: int, currency: str) -> str:
    amount_minor = int(amount_minor)
    sign = "-" if amount_minor < 0 else ""
    a = abs(amount_minor)
    return f"{currency} {sign}{a // 100}.{a % 100:02d}"
