"""Bookings (table ``bookings``): the facts reviews and quality read, the whole booking payments
reads, the copies payments keeps on it, and the one transition write (``services.transitions``)."""
from __future__ import annotations

from typing import Any, Callable

from chalicelib.store import current
from chalicelib.store._dynamo import _deep_record, _get, _set_or_remove, _update
from chalicelib.store.conditions import ConditionFailed, is_condition_failure
from chalicelib.store.records import BookingFacts, BookingRecord


class Bookings:
    """Read-only facts of a booking (written only through ``services.transitions``)."""

    def facts(self, booking_id: str) -> BookingFacts | None:
        from chalicelib.models.bookings import Booking
        try:
            booking = Booking.get(booking_id, consistent_read=True)
        except Booking.DoesNotExist:
            return None
        completed = None
        for entry in reversed(booking.history or []):
            e = entry.as_dict() if hasattr(entry, "as_dict") else entry
            if e.get("transition") == "complete":
                completed = e.get("at")
                break
        contact = booking.contact.as_dict() if booking.contact else {}
        return BookingFacts(booking_id=booking.booking_id, tenant_id=booking.tenant_id,
                            customer_id=booking.customer_id, state=booking.state, updated_at=booking.updated_at,
                            helper_id=booking.helper_id, language=booking.language or "de",
                            contact_name=contact.get("name"), completed_at=completed,
                            partner_id=booking.partner_id, external_ref=booking.external_ref,
                            sandbox=booking.sandbox)

    # ---- the whole booking, payments' copies, the transition write (issue 18) ----------------

    def get(self, booking_id: str) -> BookingRecord | None:
        """The whole booking as a record, or None."""
        from chalicelib.models.bookings import Booking
        item = _get(Booking, booking_id, consistent=True)
        return _deep_record(BookingRecord, item) if item is not None else None

    def copy(self, booking_id: str, fields: dict, *, in_state: str | None = None) -> bool:
        """Keep a copy of what payments decided on the booking (line items, the latest extra
        approval), so the booking view needs no second read. False if the booking is not there
        (or not ``in_state``)."""
        from chalicelib.models.bookings import Booking
        condition = Booking.booking_id.exists() if in_state is None else Booking.state == in_state
        try:
            _update(Booking(booking_id), actions=_set_or_remove(Booking, fields), condition=condition,
                    refused=f"booking {booking_id} is not there or not {in_state}")
            return True
        except ConditionFailed:
            return False

    def ids_for_helper(self, helper_id: str) -> list[str]:
        from chalicelib.models.bookings import Booking
        return [k.booking_id for k in Booking.by_helper.query(helper_id)]

    def load(self, booking_id: str, consistent: bool = True) -> Any:
        """The booking item the transition write takes (the services' booking object), or None."""
        from chalicelib.models.bookings import Booking
        return _get(Booking, booking_id, consistent=consistent)

    def write_transition(self, booking: Any, *, to_state: str, entry: dict, fields: Any = None,
                         also_in_transaction: Callable[[Any, Any], None] | None = None) -> Any:
        """Move ``booking`` to ``to_state`` on condition that it is still in the state and at the
        version it was read with, appending ``entry`` to its history (version + 1). ``fields``: more
        to set (a dict, None removes; or update actions). ``also_in_transaction(tx, booking)``:
        conditional writes that commit together with it. A refused condition (of the booking or of
        a write joined to it) is ``ConditionFailed``; the booking returned is the one written."""
        from pynamodb.exceptions import PutError, TransactWriteError, UpdateError

        from chalicelib.models.bookings import Booking
        actions = [Booking.state.set(to_state), Booking.version.set(booking.version + 1),
                   Booking.history.set(Booking.history.append([entry])), Booking.updated_at.set(entry["at"])]
        if isinstance(fields, dict):
            actions += _set_or_remove(Booking, fields)
        elif fields:
            actions += list(fields)
        condition = (Booking.state == booking.state) & (Booking.version == booking.version)
        try:
            if also_in_transaction:
                from pynamodb.transactions import TransactWrite

                from chalicelib.aws import tx_connection

                with TransactWrite(connection=tx_connection()) as tx:
                    tx.update(booking, actions=actions, condition=condition)
                    also_in_transaction(tx, booking)
                booking.refresh(consistent_read=True)
            else:
                booking.update(actions=actions, condition=condition, add_version_condition=False)
            return booking
        except (UpdateError, TransactWriteError, PutError) as exc:
            if is_condition_failure(exc):
                raise ConditionFailed(f"booking {booking.booking_id} is not {booking.state} at version "
                                      f"{booking.version} any more") from None
            raise


_bookings = Bookings()


def bookings() -> Bookings:
    """The bookings repository in force (DynamoDB unless a test put a twin in place)."""
    return current("bookings") or _bookings
