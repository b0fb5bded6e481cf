"""Read-only facts of a booking (``bookings``; written only through ``services.transitions``)."""
from __future__ import annotations

from chalicelib.store import current
from chalicelib.store.records import BookingFacts


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


_bookings = Bookings()


def bookings() -> Bookings:
    """The bookings repository in force (DynamoDB unless a test put a twin in place)."""
    return current("bookings") or _bookings
