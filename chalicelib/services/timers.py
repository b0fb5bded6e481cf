"""The machine's clocks (``domain.booking_states.TIMERS``): started by the transitions that name
them, fired by a delayed message on the work queue (kind ``timers``).

Starting is a unit of work of the transition (``services/effects.py`` runs it beside the effects,
with the same retry and failure store): it sends one delayed message. Firing re-reads the booking:
still in the timer's state and past its end → the timer's transition is applied (a race with a
customer or helper is decided by the one conditional write); moved on → nothing; not yet due (SQS
delays stop at 15 minutes) → the message waits again. Sending the message twice, or delivering it
twice, changes nothing twice.

The offers' clock (``offer_answer``) is per offer: the offers stream starts it from each offer's
``expires_at`` (``handlers/events.py``) and ``services.bookings.expire_offer`` fires it.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from chalicelib.domain import booking_states as bs

log = logging.getLogger(__name__)

SQS_MAX_DELAY = 900


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def deadline(timer: bs.Timer, started_at: str, tenant_id: str) -> datetime:
    """When ``timer``, started at ``started_at``, runs out under the tenant's policy."""
    from chalicelib.services.tenants import tenant_policy

    return _at(started_at) + timedelta(seconds=timer.seconds(tenant_policy(tenant_id)))


def _send(message: dict, ends: datetime) -> None:
    from chalicelib.queues import TIMERS, send

    left = (ends - datetime.now(timezone.utc)).total_seconds()
    send(TIMERS, message, delay_seconds=min(SQS_MAX_DELAY, max(0, int(left) + 1)))


def start(name: str, booking: dict, entry: dict) -> None:
    """Start the booking's clock ``name`` for the transition ``entry`` recorded."""
    timer = bs.TIMERS[name]
    ends = deadline(timer, entry["at"], booking["tenant_id"])
    _send({"timer": name, "booking_id": booking["booking_id"], "started_at": entry["at"], "v": entry.get("v"),
           "ends_at": ends.isoformat()}, ends)


def fire(message: dict) -> str:
    """A timer's message came due: apply its transition if the booking still waits for it."""
    from chalicelib.domain.actors import SYSTEM_ACTOR
    from chalicelib.domain.errors import InvalidTransition, NotFound
    from chalicelib.services.transitions import apply_transition, load_booking

    timer = bs.TIMERS.get(message.get("timer"))
    if timer is None or timer.per != "booking":
        log.warning("unknown booking timer in %s", message)
        return "unknown"
    try:
        booking = load_booking(message["booking_id"])
    except NotFound:
        return "gone"
    if booking.state != timer.while_in:
        return "moved-on"
    ends = deadline(timer, message["started_at"], booking.tenant_id)  # the policy now, not when sent
    if ends > datetime.now(timezone.utc):
        _send(message, ends)
        return "waiting"
    try:
        apply_transition(booking, timer.fires, SYSTEM_ACTOR, data={"reason": f"{timer.name} ran out"})
    except InvalidTransition:
        return "moved-on"  # the customer or helper won the race
    return "fired"
