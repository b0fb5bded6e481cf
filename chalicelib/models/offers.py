from datetime import timedelta

from pynamodb.attributes import MapAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.models.base import BaseMeta, Model, table_name

OFFER_STATES = ("open", "accepted", "declined", "expired", "withdrawn")
# an offer lives minutes; the helper's offer list and support look back a few weeks (the ranking's
# acceptance rate is counted on the helper, not read from offers); then DynamoDB deletes it
RETENTION = timedelta(days=30)


class OffersByHelper(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_helper"
        projection = AllProjection()

    helper_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class Offer(Model):
    """A job offered to one helper in one dispatch round."""

    class Meta(BaseMeta):
        table_name = table_name("offers")
        stream_view_type = "NEW_AND_OLD_IMAGES"

    booking_id = UnicodeAttribute(hash_key=True)
    helper_id = UnicodeAttribute(range_key=True)
    tenant_id = UnicodeAttribute()
    state = UnicodeAttribute(default="open")
    round = NumberAttribute(default=1)
    created_at = UnicodeAttribute()
    expires_at = UnicodeAttribute()
    # booking summary the helper sees before accepting: no exact address, no contact
    summary = MapAttribute(default=dict)
    score = MapAttribute(default=dict)
    ttl = TTLAttribute(null=True, default=lambda: RETENTION)  # epoch seconds

    by_helper = OffersByHelper()
