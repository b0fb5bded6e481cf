"""Side effects of booking transitions as units of work, run after the state change committed.

Each transition names its effects (``domain.booking_states``); ``chalicelib.effects.EFFECTS`` says
which function does each. One *unit* is one (booking, version, effect). The bookings stream
handler runs a record's units one by one, inline (the fast path: nothing extra is written). A unit
that raises does not stop the others: it is handed to the work queue as a message of its own
(kind ``effects``), where it is retried on its own and, once it has used up its retries, lands in
the failure store (``services.failures``) that ops can see and replay. Nothing is lost silently: if
the hand-off itself fails, the stream record fails and is delivered again.

Every effect function must be idempotent (streams and queues deliver at least once; a unit runs
again after a crash or a replay); each unit's key (:func:`unit_key`) names it in logs, messages and
the failure store.
"""
from __future__ import annotations

import json
import logging

from chalicelib.domain.booking_states import TIMERS, TRANSITIONS, effect_unit_key

log = logging.getLogger(__name__)

# SQS takes 256 KB; above this the message names the booking and the unit re-reads it
MAX_INLINE_IMAGES = 200_000


def new_history_entries(new: dict, old: dict | None) -> list[dict]:
    """History entries a stream record added (history is append-only)."""
    seen = len((old or {}).get("history") or [])
    return list((new.get("history") or [])[seen:])


unit_key = effect_unit_key


TIMER_UNIT = "start_timer:"  # a unit that starts one of the transition's clocks (services/timers.py)


def units_of(new: dict, old: dict | None) -> list[tuple[dict, str]]:
    """(history entry, unit name) for every effect of every transition this change applied, then
    one ``start_timer:<name>`` unit per booking clock the transition starts."""
    out = []
    for entry in new_history_entries(new, old):
        transition = TRANSITIONS.get(entry.get("transition"))
        if transition is None:
            log.warning("unknown transition in history: %s", entry.get("transition"))
            continue
        out.extend((entry, name) for name in transition.effects)
        out.extend((entry, TIMER_UNIT + t) for t in transition.timers if TIMERS[t].per == "booking")
    return out


def _run(name: str, new: dict, entry: dict, old: dict | None) -> None:
    if name.startswith(TIMER_UNIT):
        from chalicelib.services import timers

        timers.start(name[len(TIMER_UNIT):], new, entry)
        return
    from chalicelib.effects import resolve

    resolve(name)(new, entry, old)


def run_effects(new: dict, old: dict | None) -> list[str]:
    """Run every unit of this change, in order; hand each failed one over to the work queue.
    Returns the keys of the units handed over."""
    from chalicelib import obs

    handed_over = []
    for entry, name in units_of(new, old):
        key = unit_key(new["booking_id"], entry.get("v"), name)
        try:
            with obs.context(booking_id=new["booking_id"], tenant_id=new.get("tenant_id"), effect=name):
                _run(name, new, entry, old)
        except Exception as exc:  # noqa: BLE001 — any failure of one unit is that unit's alone
            log.warning("effect %s failed (%s: %s); retried on its own from the work queue",
                        key, type(exc).__name__, str(exc)[:300], exc_info=True)
            hand_over(name, new, entry, old, exc)
            handed_over.append(key)
    return handed_over


def unit_message(name: str, new: dict, entry: dict, old: dict | None) -> dict:
    msg = {"effect": name, "booking_id": new["booking_id"], "tenant_id": new.get("tenant_id"),
           "v": entry.get("v"), "transition": entry.get("transition"), "entry": entry, "new": new, "old": old}
    if len(json.dumps(msg, default=str)) > MAX_INLINE_IMAGES:
        msg.update(new=None, old=None)  # the unit re-reads the booking
    return msg


def hand_over(name: str, new: dict, entry: dict, old: dict | None, exc: BaseException | None = None) -> None:
    """Send one unit to the work queue (raises if it cannot: the stream record is then retried)."""
    from chalicelib.queues import EFFECTS, send

    msg = unit_message(name, new, entry, old)
    if exc is not None:
        msg["first_error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
    send(EFFECTS, msg, delay_seconds=1)


def run_unit(message: dict) -> None:
    """Run one unit from its work-queue message (raises if it fails again)."""
    from chalicelib import obs

    new, old, entry = message.get("new"), message.get("old"), message["entry"]
    if new is None:
        from chalicelib.store.bookings import bookings

        new = bookings().image(message["booking_id"])
        if new is None:
            raise LookupError(f"booking {message['booking_id']} is not there any more")
    with obs.context(booking_id=message["booking_id"], tenant_id=message.get("tenant_id"), effect=message["effect"]):
        _run(message["effect"], new, entry, old)
