"""Records of reviews and the helper's private ratings of customers (loaded on first use through ``chalicelib.store.records``)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReviewRecord:
    """The customer's review of one completed booking (one per booking)."""
    booking_id: str
    tenant_id: str
    helper_id: str
    customer_id: str
    overall: int
    patience: int
    clarity: int
    would_recommend: bool
    would_book_again: bool
    period_day: str  # the completion day (YYYY-MM-DD) the review counts for
    created_at: str
    updated_at: str
    editable_until: str
    reviewer_first_name: str | None = None
    comment: str | None = None
    comment_hidden: bool = False
    hidden_reason: str | None = None
    language: str = "de"
    version: int = 1


@dataclass(frozen=True)
class CustomerRatingRecord:
    """The helper's private rating of the customer for one booking (ops only read it)."""
    booking_id: str
    tenant_id: str
    customer_id: str
    helper_id: str
    stars: int
    created_at: str
    comment: str | None = None
