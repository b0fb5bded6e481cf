"""Bookings (table ``bookings``): the facts reviews and quality read, the whole booking payments
reads, the copies payments keeps on it, the one transition write (``services.transitions``) with the
offer writes that join it, and the create (with its Idempotency-Key) and lists of ``services.bookings``."""
from __future__ import annotations

import json
from typing import Any, Sequence

from chalicelib.store import current
from chalicelib.store._dynamo import _create, _deep_record, _fields, _get, _set_or_remove, _update
from chalicelib.store.conditions import ConditionFailed, is_condition_failure
from chalicelib.store.records import BookingFacts, BookingRecord, CreateKeyRecord, NewOffer, OfferAnswer


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

    def load(self, booking_id: str, consistent: bool = True) -> BookingRecord | None:
        """The booking the transition write takes (the services' booking), or None."""
        from chalicelib.models.bookings import Booking
        item = _get(Booking, booking_id, consistent=consistent)
        return _deep_record(BookingRecord, item) if item is not None else None

    def write_transition(self, booking: BookingRecord, *, to_state: str, entry: dict, fields: dict | None = None,
                         also_in_transaction: Sequence[Any] = ()) -> BookingRecord:
        """Move ``booking`` to ``to_state`` on condition that it is still in the state and at the
        version it was read with, appending ``entry`` to its history (version + 1). ``fields``: more
        to set (None removes). ``also_in_transaction``: writes that commit together with it
        (``OfferAnswer``, ``NewOffer``). A refused condition (of the booking or of a write joined to
        it) is ``ConditionFailed``; the booking returned is the one written."""
        from pynamodb.exceptions import PutError, TransactWriteError, UpdateError

        from chalicelib.models.bookings import Booking
        actions = [Booking.state.set(to_state), Booking.version.set(booking.version + 1),
                   Booking.history.set(Booking.history.append([entry])), Booking.updated_at.set(entry["at"])]
        actions += _set_or_remove(Booking, fields or {})
        condition = (Booking.state == booking.state) & (Booking.version == booking.version)
        item = Booking(booking.booking_id)
        try:
            if also_in_transaction:
                from pynamodb.transactions import TransactWrite

                from chalicelib.aws import tx_connection

                with TransactWrite(connection=tx_connection()) as tx:
                    tx.update(item, actions=actions, condition=condition)
                    for write in also_in_transaction:
                        _join(tx, write)
                item.refresh(consistent_read=True)
            else:
                item.update(actions=actions, condition=condition, add_version_condition=False)
            return _deep_record(BookingRecord, item)
        except (UpdateError, TransactWriteError, PutError) as exc:
            if is_condition_failure(exc):
                raise ConditionFailed(f"booking {booking.booking_id} is not {booking.state} at version "
                                      f"{booking.version} any more") from None
            raise

    # ---- create, lists, the stream image (issue 18: services.bookings, helper_profile, effects) ----

    def create(self, booking: BookingRecord) -> None:
        """Write a new booking; ``AlreadyExists`` if its id is taken."""
        from chalicelib.models.bookings import Booking
        _create(_item(Booking, booking), Booking.booking_id)

    def create_once(self, booking: BookingRecord, *, key: str, request_hash: str,
                    ttl_seconds: int) -> CreateKeyRecord | None:
        """Write a new booking together with what ``key`` (an Idempotency-Key) remembers of it, in
        one transaction. None: both were written now. Else the key was used before: what it
        remembers (the first request's hash and booking), and nothing was written."""
        from datetime import timedelta

        from pynamodb.exceptions import TransactWriteError
        from pynamodb.transactions import TransactWrite

        from chalicelib.aws import tx_connection
        from chalicelib.models.bookings import Booking
        from chalicelib.models.idempotency import IdempotencyRecord

        record = IdempotencyRecord(key=key, request_hash=request_hash,
                                   result=json.dumps({"booking_id": booking.booking_id}),
                                   ttl=timedelta(seconds=ttl_seconds))
        try:
            with TransactWrite(connection=tx_connection()) as tx:
                tx.save(record, condition=IdempotencyRecord.key.does_not_exist())
                tx.save(_item(Booking, booking), condition=Booking.booking_id.does_not_exist())
            return None
        except TransactWriteError:
            first = self.create_key(key)
            if first is None:  # not the key's doing (a conflict, throttling): the caller sees it
                raise
            return first

    def create_key(self, key: str) -> CreateKeyRecord | None:
        """What an Idempotency-Key of a create remembers, or None."""
        from chalicelib.models.idempotency import IdempotencyRecord
        item = _get(IdempotencyRecord, key, consistent=True)
        if item is None or not item.result:
            return None
        return CreateKeyRecord(key=key, request_hash=item.request_hash,
                               booking_id=json.loads(item.result)["booking_id"])

    def page(self, by: str, owner_id: str, *, limit: int, after: dict | None = None,
             ) -> tuple[list[BookingRecord], dict | None]:
        """One page of the bookings of a customer or a helper (``by``: "customer" | "helper"),
        newest first, and where the next page starts (None after the last; like DynamoDB, a full
        page may be followed by an empty one). ``after``: a position an earlier page returned."""
        from chalicelib.models.base import hydrate
        from chalicelib.models.bookings import Booking
        index = {"customer": Booking.by_customer, "helper": Booking.by_helper}[by]
        result = index.query(owner_id, scan_index_forward=False, limit=limit, last_evaluated_key=after)
        items = hydrate(Booking, [k.booking_id for k in result])
        return [_deep_record(BookingRecord, b) for b in items], result.last_evaluated_key or None

    def image(self, booking_id: str) -> dict | None:
        """The booking as its stream record shows it (plain JSON values, absent attributes left
        out), read consistently; None if it is not there."""
        from chalicelib.models.bookings import Booking
        item = _get(Booking, booking_id, consistent=True)
        return item.to_simple_dict() if item is not None else None


def _item(model, record):
    """A model item of a record's fields (None left out, tuples as lists)."""
    return model(**{k: list(v) if isinstance(v, tuple) else v for k, v in _fields(record).items() if v is not None})


def _join(tx, write) -> None:
    """Add one write joined to a transition to the transaction ``tx``."""
    from chalicelib.models.helpers import Helper
    from chalicelib.models.offers import Offer
    if isinstance(write, OfferAnswer):
        tx.update(Offer(write.booking_id, write.helper_id), actions=[Offer.state.set(write.state)],
                  condition=Offer.state == "open")
    elif isinstance(write, NewOffer):
        tx.save(_item(Offer, write.offer), condition=Offer.helper_id.does_not_exist())
        # the helper's offer count (acceptance rate in ranking) moves with the offer itself:
        # exactly once, with no guard record of its own
        tx.update(Helper(write.offer.helper_id), actions=[Helper.offers_received.add(1)],
                  condition=Helper.helper_id.exists())
    else:
        raise TypeError(f"not a write a transition can join: {write!r}")


_bookings = Bookings()


def bookings() -> Bookings:
    """The bookings repository in force (DynamoDB unless a test put a twin in place)."""
    return current("bookings") or _bookings
