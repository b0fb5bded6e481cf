"""The one write path for booking state.

``apply_transition`` checks the transition against the state machine, then writes the new state
with a condition on the state *and* version it read, appending one entry to the history
(``store.bookings.write_transition``). A lost race is re-read and re-checked through the store's one
update-with-retry (so a late second ``accept`` becomes a clear 409, not a silent overwrite). Extra
item writes (e.g. the offer being accepted) can join the same DynamoDB transaction so both happen or
neither does.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from chalicelib.domain.actors import Actor
from chalicelib.domain.booking_states import plan_transition
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.ids import now_iso
from chalicelib.store.bookings import bookings
from chalicelib.store.records import BookingRecord
from chalicelib.store.retry import update_with_retry

MAX_ATTEMPTS = 4


def load_booking(booking_id: str, consistent: bool = True) -> BookingRecord:
    """The booking as a record (``store.records.BookingRecord``); NotFound if there is none."""
    booking = bookings().load(booking_id, consistent)
    if booking is None:
        raise NotFound(f"booking {booking_id} was not found", field="booking_id")
    return booking


def apply_transition(
    booking: Any,
    name: str,
    actor: Actor,
    *,
    data: dict[str, Any] | None = None,
    set_fields: Callable[[BookingRecord], dict] | None = None,
    check: Callable[[BookingRecord], None] | None = None,
    also_in_transaction: Sequence[Any] = (),
    on_lost_race: Callable[[BookingRecord], Exception] | None = None,
) -> BookingRecord:
    """Apply transition ``name`` to a booking (an id or the booking read) on behalf of ``actor``
    and return the new booking.

    - ``check(booking)`` raises a domain error if the actor may not act on this booking (ownership);
      it is re-run on every attempt against the freshly read booking.
    - ``set_fields(booking)`` returns more to set: ``{field: value}`` (None removes).
    - ``also_in_transaction``: conditional writes that must commit together with the state change
      (``store.records.OfferAnswer``, ``NewOffer``; the booking update then runs inside one
      transaction, and a refused condition of any of them is a lost race).
    - ``on_lost_race(fresh_booking)`` builds the error to raise when a concurrent writer moved it on.
    """
    booking_id = booking if isinstance(booking, str) else booking.booking_id

    def plan(current):
        if check:
            check(current)
        transition = plan_transition(current.state, name, actor.role)
        entry = {"transition": name, "from": current.state, "to": transition.to_state,
                 "actor": actor.role, "actor_id": actor.id, "at": now_iso(), "v": current.version + 1}
        if data:
            entry.update({k: v for k, v in data.items() if v is not None})
        return transition.to_state, entry

    def write(current, planned):
        to_state, entry = planned
        return bookings().write_transition(current, to_state=to_state, entry=entry,
                                           fields=set_fields(current) if set_fields else None,
                                           also_in_transaction=also_in_transaction)

    def lost(stale, fresh):
        if fresh.state != stale.state and on_lost_race is not None:
            if check:
                check(fresh)
            raise on_lost_race(fresh)

    return update_with_retry(lambda: load_booking(booking_id), plan, write, attempts=MAX_ATTEMPTS,
                             busy=lambda: Conflict("the booking is changing right now; please try again in a moment"),
                             first=None if isinstance(booking, str) else booking, lost=lost)
