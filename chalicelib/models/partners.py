"""Partner API tables: API keys (only a SHA-256 hash of the secret is stored), per-key token
buckets, webhook endpoints and their delivery log."""
from datetime import timedelta

from pynamodb.attributes import MapAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.models.base import BaseMeta, Model, table_name

DELIVERY_RETENTION = timedelta(days=30)  # Stripe keeps its events as long


class ApiKeysByTenant(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_tenant"
        projection = AllProjection()

    tenant_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class ApiKey(Model):
    """A partner's API key. The secret is never stored: look-ups go by its SHA-256 hash."""

    class Meta(BaseMeta):
        table_name = table_name("api-keys")

    key_hash = UnicodeAttribute(hash_key=True)
    key_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    name = UnicodeAttribute()
    prefix = UnicodeAttribute()  # "cfx_live_AbCd1234", shown in lists
    environment = UnicodeAttribute()  # live | test
    status = UnicodeAttribute(default="active")  # active | revoked
    rate_per_second = NumberAttribute(default=5)
    burst = NumberAttribute(default=20)
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    last_used_at = UnicodeAttribute(null=True)
    revoked_at = UnicodeAttribute(null=True)

    by_tenant = ApiKeysByTenant()


class RateBucket(Model):
    """Token bucket of one API key; updated with a condition on the value read (no lost updates)."""

    class Meta(BaseMeta):
        table_name = table_name("rate-buckets")

    bucket_id = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute()
    tokens = NumberAttribute()
    updated_at = NumberAttribute()  # epoch seconds, float
    ttl = TTLAttribute(null=True)


class WebhookEndpoint(Model):
    class Meta(BaseMeta):
        table_name = table_name("webhook-endpoints")

    tenant_id = UnicodeAttribute(hash_key=True)
    endpoint_id = UnicodeAttribute(range_key=True)
    url = UnicodeAttribute()
    secret = UnicodeAttribute()  # whsec_...; needed to sign, so kept (encrypted at rest by DynamoDB)
    events = MapAttribute(default=dict)  # {"booking.created": True, ...}
    description = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="enabled")
    created_at = UnicodeAttribute()
    environment = UnicodeAttribute(null=True)  # "test": sandbox bookings' events; absent = live


class WebhookDelivery(Model):
    """One message to one endpoint and every attempt to deliver it (the delivery log)."""

    class Meta(BaseMeta):
        table_name = table_name("webhook-deliveries")

    endpoint_id = UnicodeAttribute(hash_key=True)
    message_id = UnicodeAttribute(range_key=True)  # "msg_<time-ordered>"
    tenant_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    payload = UnicodeAttribute()  # the exact JSON body sent (signed as is)
    status = UnicodeAttribute(default="pending")  # pending | delivered | retrying | failed
    attempts = NumberAttribute(default=0)
    first_attempt_at = NumberAttribute(null=True)
    last_status_code = NumberAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    attempt_log = MapAttribute(default=dict)  # {"1": {"at":..., "status":..., "ms":...}}
    created_at = UnicodeAttribute()
    delivered_at = UnicodeAttribute(null=True)
    # the payload carries booking data: kept as long as a partner may ask for a redelivery
    ttl = TTLAttribute(null=True, default=lambda: DELIVERY_RETENTION)  # epoch seconds
