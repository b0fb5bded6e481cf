from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute

from chalicelib.models.base import BaseMeta, Model, table_name


class IdempotencyRecord(Model):
    """Remembers a request or event already handled: ``Idempotency-Key`` results and processed
    stream/queue records. Written with ``attribute_not_exists`` so the first writer wins."""

    class Meta(BaseMeta):
        table_name = table_name("idempotency")

    key = UnicodeAttribute(hash_key=True)
    request_hash = UnicodeAttribute(null=True)
    result = UnicodeAttribute(null=True)  # JSON
    # a stored Idempotency-Key answer, encrypted with a key derived from the caller's Idempotency-Key
    # (``services.idempotency``): unreadable here without the retry that brings the key
    sealed = UnicodeAttribute(null=True)
    status = NumberAttribute(null=True)
    # atomic claims (``chalicelib.store.claims``): "running" while a worker holds it until
    # ``lease_until`` (epoch seconds), then "done"; records written without a state are done
    state = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)
    owner = UnicodeAttribute(null=True)
    ttl = TTLAttribute()
