"""Offers as the quality loop reads them (``offers``)."""
from __future__ import annotations

from chalicelib.store import current
from chalicelib.store.records import OfferRef


class Offers:
    def open_for_helper(self, helper_id: str) -> list[OfferRef]:
        from chalicelib.models.offers import Offer
        return [OfferRef(booking_id=o.booking_id, helper_id=helper_id, state=o.state)
                for o in Offer.by_helper.query(helper_id) if o.state == "open"]


_offers = Offers()


def offers() -> Offers:
    """The offers repository in force (DynamoDB unless a test put a twin in place)."""
    return current("offers") or _offers
