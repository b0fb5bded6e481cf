from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.models.base import BaseMeta, Model, table_name


class Tenant(Model):
    """A tenant: the default one for direct customers, or a partner (telecom, retailer ...)."""

    class Meta(BaseMeta):
        table_name = table_name("tenants")

    tenant_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    locale = UnicodeAttribute(default="de")
    currency = UnicodeAttribute(default="CHF")
    branding = MapAttribute(default=dict)
    # matching, pricing and cancellation policy; platform defaults fill gaps
    settings = MapAttribute(default=dict)
    created_at = UnicodeAttribute()
    # active API keys, counted by conditional ADDs (services.partners): never above api_keys_max
    api_keys_active = NumberAttribute(null=True)
