from datetime import timedelta

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute

from chalicelib.models.base import BaseMeta, Model, table_name

# long enough to answer "did the customer get the mail?" and to outlast every redelivery of the
# event it guards; then DynamoDB deletes the row (docs/operations.md, retention)
RETENTION = timedelta(days=90)


class NotificationLog(Model):
    """One row per (event, recipient, channel): the idempotency claim and the record of the send.

    ``status``: sending -> sent | failed (retried) | gone (push subscription expired) |
    skipped (quiet hours) | undeliverable (no usable channel). Claimed with a conditional write,
    so a redelivered event sends nothing twice; an outcome is written only by the attempt whose
    claim (``claimed_at``) is current and still ``sending``, so a final state stays final.
    """

    class Meta(BaseMeta):
        table_name = table_name("notifications")

    # the booking id, or "recipient#<role>#<id>" for events without a booking
    scope = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)  # "<event_id>|<role>#<id>|<channel key>"
    tenant_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    recipient_role = UnicodeAttribute()
    recipient_id = UnicodeAttribute()
    channel = UnicodeAttribute()  # email | sms | push | none
    address = UnicodeAttribute(null=True)  # masked: never a full address or phone number
    language = UnicodeAttribute(null=True)
    title = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    error = UnicodeAttribute(null=True)
    provider_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    claimed_at = UnicodeAttribute(null=True)
    sent_at = UnicodeAttribute(null=True)
    # epoch seconds, set on every claim (``services.notifications``: rows are written by update)
    ttl = TTLAttribute(null=True, default=lambda: RETENTION)
