from pynamodb.attributes import UnicodeAttribute

from chalicelib.models.base import BaseMeta, Model, table_name


class PushSubscription(Model):
    """One browser (device) that accepts Web Push for a signed-in helper or customer."""

    class Meta(BaseMeta):
        table_name = table_name("push-subscriptions")

    owner = UnicodeAttribute(hash_key=True)  # "<role>#<id>"
    subscription_id = UnicodeAttribute(range_key=True)  # "ps_" + hash of the endpoint
    tenant_id = UnicodeAttribute()
    endpoint = UnicodeAttribute()
    p256dh = UnicodeAttribute()
    auth = UnicodeAttribute()
    device = UnicodeAttribute(null=True)  # a label the person chose ("Phone")
    created_at = UnicodeAttribute()
