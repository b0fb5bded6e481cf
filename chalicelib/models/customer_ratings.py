from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.models.base import BaseMeta, Model, table_name


class CustomerRating(Model):
    """The helper's private rating of the customer for one booking. Only ops read it."""

    class Meta(BaseMeta):
        table_name = table_name("customer-ratings")

    booking_id = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    helper_id = UnicodeAttribute()
    stars = NumberAttribute()
    comment = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
