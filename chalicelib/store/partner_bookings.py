"""A partner's bookings as its API lists them (``bookings``, the ``by_tenant`` and
``by_partner_ref`` indexes): a page at a time, newest first, and one month's for the commission
report. The bookings come as ``BookingRecord``s, as ``store.bookings.load`` gives them."""
from __future__ import annotations

from typing import Any

from chalicelib.store import current
from chalicelib.store._dynamo import _deep_record
from chalicelib.store.conditions import BadCursor
from chalicelib.store.records import BookingRecord

__all__ = ["BadCursor", "PartnerBookings", "partner_bookings"]


class PartnerBookings:
    """DynamoDB repository (``models.bookings``)."""

    def page(self, tenant_id: str, *, external_ref: str | None, limit: int,
             after: dict | None) -> tuple[list[Any], dict | None]:
        """Up to ``limit`` bookings of ``tenant_id`` (or, with ``external_ref``, those the partner
        gave that reference), newest first, after the key ``after``; and the key to continue
        from (None at the end). ``BadCursor`` if ``after`` is not a key of this listing."""
        from pynamodb.exceptions import QueryError

        from chalicelib.models.base import hydrate
        from chalicelib.models.bookings import Booking

        hash_name, hash_value = (("partner_ref", f"{tenant_id}#{external_ref}") if external_ref
                                 else ("tenant_id", tenant_id))
        start = (after or {}).get(hash_name)
        if after is not None and (not isinstance(start, dict) or start.get("S") != hash_value):
            raise BadCursor("the cursor is not valid for this listing")
        index = Booking.by_partner_ref if external_ref else Booking.by_tenant
        try:
            result = index.query(hash_value, scan_index_forward=False, limit=limit, last_evaluated_key=after)
            ids = [k.booking_id for k in result]
        except (QueryError, ValueError, TypeError, AttributeError, KeyError):
            if after is None:
                raise
            raise BadCursor("the cursor is not valid") from None
        return [_deep_record(BookingRecord, b) for b in hydrate(Booking, ids)], result.last_evaluated_key

    def in_month(self, tenant_id: str, period: str) -> list[Any]:
        """The bookings of ``tenant_id`` created in ``period`` (YYYY-MM)."""
        from chalicelib.models.base import hydrate
        from chalicelib.models.bookings import Booking

        ids = [k.booking_id for k in Booking.by_tenant.query(tenant_id, Booking.created_at.startswith(period))]
        return [_deep_record(BookingRecord, b) for b in hydrate(Booking, ids)]


_partner_bookings = PartnerBookings()


def partner_bookings() -> PartnerBookings:
    """The partner bookings repository in force (DynamoDB unless a test put a twin in place)."""
    return current("partner_bookings") or _partner_bookings
