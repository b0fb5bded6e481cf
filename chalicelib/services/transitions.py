"""The one write path for booking state.

``apply_transition`` checks the transition against the state machine, then writes the new state
with a condition on the state *and* version it read, appending one entry to the history. A lost
race is re-read and re-checked (so a late second ``accept`` becomes a clear 409, not a silent
overwrite). Extra item writes (e.g. the offer being accepted) can join the same DynamoDB
transaction so both happen or neither does.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError

from chalicelib.domain.actors import Actor
from chalicelib.domain.booking_states import plan_transition
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.models.base import now_iso
from chalicelib.models.bookings import Booking
from chalicelib.store.conditions import is_condition_failure

MAX_ATTEMPTS = 4


def load_booking(booking_id: str, consistent: bool = True) -> Booking:
    try:
        return Booking.get(booking_id, consistent_read=consistent)
    except Booking.DoesNotExist:
        raise NotFound(f"booking {booking_id} was not found", field="booking_id") from None


def apply_transition(
    booking: Booking | str,
    name: str,
    actor: Actor,
    *,
    data: dict[str, Any] | None = None,
    set_fields: Callable[[Booking], Iterable[Any]] | None = None,
    check: Callable[[Booking], None] | None = None,
    also_in_transaction: Callable[[Any, Booking], None] | None = None,
    on_lost_race: Callable[[Booking], Exception] | None = None,
) -> Booking:
    """Apply transition ``name`` to a booking on behalf of ``actor`` and return the new booking.

    - ``check(booking)`` raises a domain error if the actor may not act on this booking (ownership);
      it is re-run on every attempt against the freshly read booking.
    - ``set_fields(booking)`` returns extra pynamodb update actions (e.g. ``helper_id``).
    - ``also_in_transaction(tx, booking)`` adds conditional writes that must commit together with
      the state change (the booking update then runs inside a ``TransactWrite``).
    - ``on_lost_race(fresh_booking)`` builds the error to raise when a concurrent writer won.
    """
    current = load_booking(booking) if isinstance(booking, str) else booking
    for attempt in range(MAX_ATTEMPTS):
        if check:
            check(current)
        transition = plan_transition(current.state, name, actor.role)
        entry = {"transition": name, "from": current.state, "to": transition.to_state,
                 "actor": actor.role, "actor_id": actor.id, "at": now_iso(), "v": current.version + 1}
        if data:
            entry.update({k: v for k, v in data.items() if v is not None})
        actions = [
            Booking.state.set(transition.to_state),
            Booking.version.set(current.version + 1),
            Booking.history.set(Booking.history.append([entry])),
            Booking.updated_at.set(entry["at"]),
        ]
        if set_fields:
            actions.extend(set_fields(current))
        condition = (Booking.state == current.state) & (Booking.version == current.version)
        try:
            if also_in_transaction:
                from chalicelib.aws import tx_connection
                from pynamodb.transactions import TransactWrite

                with TransactWrite(connection=tx_connection()) as tx:
                    tx.update(current, actions=actions, condition=condition)
                    also_in_transaction(tx, current)
            else:
                current.update(actions=actions, condition=condition, add_version_condition=False)
            if also_in_transaction:
                current.refresh(consistent_read=True)
            return current
        except (UpdateError, TransactWriteError, PutError) as exc:
            if not is_condition_failure(exc):
                raise
            fresh = load_booking(current.booking_id)
            if fresh.state != current.state and on_lost_race is not None:
                if check:
                    check(fresh)
                raise on_lost_race(fresh) from None
            current = fresh
    raise Conflict("the booking is changing right now; please try again in a moment")
