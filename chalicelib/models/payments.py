from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from chalicelib.models.base import BaseMeta, Model, table_name


class PaymentsByHoldDay(GlobalSecondaryIndex):
    """Sparse: only payments holding an uncaptured authorisation, by the UTC day it was made, so the
    renewal schedule reads a few days' partitions instead of scanning."""

    class Meta:
        index_name = "by_hold_day"
        projection = KeysOnlyProjection()

    hold_day = UnicodeAttribute(hash_key=True)
    booking_id = UnicodeAttribute(range_key=True)


class PaymentsByIntent(GlobalSecondaryIndex):
    """Stripe events name the PaymentIntent; this finds the booking."""

    class Meta:
        index_name = "by_intent"
        projection = KeysOnlyProjection()

    payment_intent_id = UnicodeAttribute(hash_key=True)


class PaymentsByTenantFlag(GlobalSecondaryIndex):
    """Sparse: bookings flagged for operations (disputes), per tenant."""

    class Meta:
        index_name = "by_tenant_flag"
        projection = AllProjection()

    flag_tenant = UnicodeAttribute(hash_key=True)  # "<tenant>#dispute"
    booking_id = UnicodeAttribute(range_key=True)


class Payment(Model):
    """The money side of one booking: the card authorisation, settlement steps done, refunds,
    disputes. ``facts`` only grow (``domain.payment_states``); ``status`` is derived from them.
    ``steps`` records each money-moving step once done (its Stripe ids), so a replayed
    settlement skips it. Updated with a condition on ``version``."""

    class Meta(BaseMeta):
        table_name = table_name("payments")

    booking_id = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    currency = UnicodeAttribute()
    status = UnicodeAttribute(default="none")
    facts = MapAttribute(default=dict)
    stripe_customer_id = UnicodeAttribute(null=True)
    payment_method = UnicodeAttribute(null=True)
    payment_intent_id = UnicodeAttribute(null=True)
    charge_id = UnicodeAttribute(null=True)
    auth_seq = NumberAttribute(default=0)
    authorised_at = UnicodeAttribute(null=True)
    hold_day = UnicodeAttribute(null=True)
    steps = MapAttribute(default=dict)
    extras = MapAttribute(default=dict)  # {"parts": [{"description", "amount"}], "tip": int}
    line_items = ListAttribute(of=MapAttribute, default=list)
    refunds = ListAttribute(of=MapAttribute, default=list)
    refund_seq = NumberAttribute(default=0)
    # refunded or being refunded right now: reserved before Stripe is called, never above captured
    refund_reserved = NumberAttribute(null=True)
    dispute = MapAttribute(null=True)
    flag_tenant = UnicodeAttribute(null=True)
    receipt = MapAttribute(null=True)
    extra_approvals = ListAttribute(of=MapAttribute, default=list)  # domain.extra_approval requests
    version = NumberAttribute(default=1)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    mode = UnicodeAttribute(null=True)  # "test": a sandbox booking's (Stripe test mode, the tenant's test book)

    by_hold_day = PaymentsByHoldDay()
    by_intent = PaymentsByIntent()
    by_tenant_flag = PaymentsByTenantFlag()
