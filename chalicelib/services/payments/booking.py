"""The booking as the payment use cases read it: the record (404 if it is not there or not the
caller's), the terms it is settled by, and the copies payments keeps on it."""
from __future__ import annotations

import logging

from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import NotFound
from chalicelib.services.tenants import tenant_policy
from chalicelib.store.bookings import bookings
from chalicelib.store.payout_accounts import payout_accounts
from chalicelib.store.records import BookingRecord, PayoutAccountRecord

log = logging.getLogger(__name__)


def booking(booking_id: str) -> BookingRecord:
    found = bookings().get(booking_id)
    if found is None:
        raise NotFound(f"booking {booking_id} was not found", field="booking_id")
    return found


def customers_booking(actor: Actor, booking_id: str) -> BookingRecord:
    """The booking if ``actor`` is its customer, else 404 (never reveal that someone else's exists)."""
    found = booking(booking_id)
    if found.customer_id != actor.id or found.tenant_id != actor.tenant_id:
        raise NotFound(f"booking {booking_id} was not found", field="booking_id")
    return found


def booking_terms(b: BookingRecord | dict) -> dict:
    """The terms this booking is settled by: those copied onto it when it was made, over the
    tenant's current policy (``domain.policy.terms_in_force``)."""
    from chalicelib.domain.policy import terms_in_force

    terms = b.get("terms") if isinstance(b, dict) else b.terms
    tenant_id = b["tenant_id"] if isinstance(b, dict) else b.tenant_id
    return terms_in_force(terms.as_dict() if hasattr(terms, "as_dict") else terms, tenant_policy(tenant_id))


def helper_account(helper_id: str, consistent: bool = False) -> PayoutAccountRecord:
    found = payout_accounts().get(helper_id, consistent=consistent)
    if found is None:
        raise NotFound(f"helper {helper_id} was not found", field="helper_id")
    return found


def copy_to_booking(booking_id: str, fields: dict, *, in_state: str | None = None) -> None:
    """What the booking view shows without another read (line items, the latest extra approval)."""
    if not bookings().copy(booking_id, fields, in_state=in_state):
        log.warning("could not copy %s onto booking %s", ", ".join(fields), booking_id)
