from pynamodb.attributes import MapAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.models.base import BaseMeta, Model, table_name


class CustomerByEmail(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_email"
        projection = AllProjection()

    email_key = UnicodeAttribute(hash_key=True)  # "<tenant>#<email>"


class Customer(Model):
    class Meta(BaseMeta):
        table_name = table_name("customers")

    customer_id = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute()
    email = UnicodeAttribute()
    email_key = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    language = UnicodeAttribute(default="de")
    address = MapAttribute(null=True)
    created_at = UnicodeAttribute()
    # payments: the Stripe Customer and the card saved for next time
    stripe_customer_id = UnicodeAttribute(null=True)
    default_payment_method = UnicodeAttribute(null=True)
    card_last4 = UnicodeAttribute(null=True)  # shown as "saved card (•••• 4242)"

    by_email = CustomerByEmail()
