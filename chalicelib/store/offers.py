"""Offers (``offers``): as the quality loop reads them, and as dispatch, notifications and the
booking view read them and withdraw the ones nobody needs any more."""
from __future__ import annotations

from chalicelib.store import current
from chalicelib.store._dynamo import _get, _record, _update
from chalicelib.store.records import OfferRecord, OfferRef


class Offers:
    def open_for_helper(self, helper_id: str) -> list[OfferRef]:
        from chalicelib.models.offers import Offer
        return [OfferRef(booking_id=o.booking_id, helper_id=helper_id, state=o.state)
                for o in Offer.by_helper.query(helper_id) if o.state == "open"]

    def get(self, booking_id: str, helper_id: str, consistent: bool = True) -> OfferRecord | None:
        from chalicelib.models.offers import Offer
        item = _get(Offer, booking_id, helper_id, consistent=consistent)
        return _record(OfferRecord, item) if item is not None else None

    def for_booking(self, booking_id: str) -> list[OfferRecord]:
        """Every offer of a booking, every round (read consistently)."""
        from chalicelib.models.offers import Offer
        return [_record(OfferRecord, o) for o in Offer.query(booking_id, consistent_read=True)]

    def withdraw(self, booking_id: str, helper_id: str) -> None:
        """Withdraw the offer if it is still open; ConditionFailed if it was answered (or expired,
        or never made) meanwhile."""
        from chalicelib.models.offers import Offer
        _update(Offer(booking_id, helper_id), actions=[Offer.state.set("withdrawn")],
                condition=Offer.state == "open", refused=f"offer {booking_id}/{helper_id} is not open")

    # ---- a helper's answers and list (issue 18: services.bookings) ----------------------------

    def answer(self, booking_id: str, helper_id: str, state: str) -> None:
        """The open offer becomes ``state`` (a time-out's "expired" outside a transition);
        ConditionFailed if it is not open (answered, withdrawn or never made)."""
        from chalicelib.models.offers import Offer
        _update(Offer(booking_id, helper_id), actions=[Offer.state.set(state)],
                condition=Offer.state == "open", refused=f"offer {booking_id}/{helper_id} is not open")

    def newest_for_helper(self, helper_id: str, limit: int) -> list[OfferRecord]:
        """The helper's last ``limit`` offers, newest first, in any state."""
        from chalicelib.models.offers import Offer
        return [_record(OfferRecord, o) for o in Offer.by_helper.query(helper_id, scan_index_forward=False,
                                                                        limit=limit)]


_offers = Offers()


def offers() -> Offers:
    """The offers repository in force (DynamoDB unless a test put a twin in place)."""
    return current("offers") or _offers
