from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.models.base import BaseMeta, Model, table_name


class ReviewsByHelper(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_helper"
        projection = AllProjection()

    helper_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class Review(Model):
    """The customer's review of one completed booking: one per booking (the key), editable for a
    few days. Every write bumps ``version``; the reviews stream turns each version into an aggregate
    delta guarded by ``<booking_id>#v<version>``."""

    class Meta(BaseMeta):
        table_name = table_name("reviews")
        stream_view_type = "NEW_AND_OLD_IMAGES"

    booking_id = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute()
    helper_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    reviewer_first_name = UnicodeAttribute(null=True)
    overall = NumberAttribute()
    patience = NumberAttribute()
    clarity = NumberAttribute()
    would_recommend = BooleanAttribute()
    would_book_again = BooleanAttribute()
    comment = UnicodeAttribute(null=True)
    comment_hidden = BooleanAttribute(default=False)
    hidden_reason = UnicodeAttribute(null=True)
    language = UnicodeAttribute(default="de")
    # the day the review counts for in period figures: the booking's completion day (YYYY-MM-DD)
    period_day = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    editable_until = UnicodeAttribute()
    version = NumberAttribute(default=1)

    by_helper = ReviewsByHelper()
