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
    status = NumberAttribute(null=True)
    ttl = TTLAttribute()
