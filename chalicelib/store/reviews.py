"""Reviews and the helper's private rating of the customer (tables ``reviews``, ``customer-ratings``)."""
from __future__ import annotations

from typing import Iterator



from chalicelib.store._dynamo import _create, _fields, _get, _record, _update
from chalicelib.store import current
from chalicelib.store.conditions import ConditionFailed
from chalicelib.store.records import CustomerRatingRecord, ReviewRecord


class Reviews:
    def _model(self):
        from chalicelib.models.reviews import Review
        return Review

    def add(self, review: ReviewRecord) -> None:
        Review = self._model()
        _create(Review(**_fields(review)), Review.booking_id)

    def get(self, booking_id: str) -> ReviewRecord | None:
        Review = self._model()
        item = _get(Review, booking_id, consistent=True)
        return _record(ReviewRecord, item) if item is not None else None

    def update(self, booking_id: str, *, expected_version: int, changes: dict,
               editable_at: str | None = None) -> ReviewRecord:
        """Set ``changes`` (a value of None removes the attribute) if the review is still at
        ``expected_version`` (and, with ``editable_at``, still editable then)."""
        Review = self._model()
        item = Review(booking_id)
        actions = [getattr(Review, name).remove() if value is None else getattr(Review, name).set(value)
                   for name, value in changes.items()]
        condition = Review.version == expected_version
        if editable_at is not None:
            condition &= Review.editable_until >= editable_at
        _update(item,
                actions=actions,
                condition=condition,
                refused=f"review {booking_id} is not at version {expected_version}")
        return _record(ReviewRecord, item)

    def by_helper(self, helper_id: str, limit: int = 50) -> Iterator[ReviewRecord]:
        """The helper's reviews, newest first."""
        Review = self._model()
        for item in Review.by_helper.query(helper_id, scan_index_forward=False, limit=limit):
            yield _record(ReviewRecord, item)


class CustomerRatings:
    def add(self, rating: CustomerRatingRecord) -> None:
        from chalicelib.models.customer_ratings import CustomerRating
        _create(CustomerRating(**_fields(rating)), CustomerRating.booking_id)

    def get(self, booking_id: str) -> CustomerRatingRecord | None:
        from chalicelib.models.customer_ratings import CustomerRating
        item = _get(CustomerRating, booking_id, consistent=True)
        return _record(CustomerRatingRecord, item) if item is not None else None


_reviews = Reviews()


def reviews() -> Reviews:
    """The reviews repository in force (DynamoDB unless a test put a twin in place)."""
    return current("reviews") or _reviews

_customer_ratings = CustomerRatings()


def customer_ratings() -> CustomerRatings:
    """The customer ratings repository in force (DynamoDB unless a test put a twin in place)."""
    return current("customer_ratings") or _customer_ratings
