from pynamodb.attributes import (ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute)
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection

from chalicelib.models.base import BaseMeta, Model, table_name


# KEYS_ONLY_NOTE: the lists keyed by customer, helper, tenant and partner reference hold keys only
# and are read with ``hydrate`` (BatchGetItem). A booking is written ~8 times in its life and each
# write of an ALL-projected index costs a write unit more (two in a transaction), while a read
# unit costs a fifth of a write unit: keys-only indexes are written once, when the booking appears
# in them (bench/cost.py).
class BookingsByCustomer(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_customer"
        projection = KeysOnlyProjection()  # see KEYS_ONLY_NOTE

    customer_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class BookingsByHelper(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_helper"
        projection = KeysOnlyProjection()  # see KEYS_ONLY_NOTE

    helper_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class BookingsByTenant(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_tenant"
        projection = KeysOnlyProjection()

    tenant_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class BookingsByPartnerRef(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_partner_ref"
        projection = KeysOnlyProjection()  # see KEYS_ONLY_NOTE

    partner_ref = UnicodeAttribute(hash_key=True)  # "<tenant>#<external_ref>"
    created_at = UnicodeAttribute(range_key=True)


class Booking(Model):
    """A request for help and its whole life. ``state`` changes only through
    ``services.transitions.apply_transition``; ``history`` is append-only."""

    class Meta(BaseMeta):
        table_name = table_name("bookings")
        stream_view_type = "NEW_AND_OLD_IMAGES"

    booking_id = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    helper_id = UnicodeAttribute(null=True)
    preferred_helper_id = UnicodeAttribute(null=True)
    category = UnicodeAttribute()
    description = UnicodeAttribute()
    mode = UnicodeAttribute()  # onsite | remote
    location = MapAttribute(null=True)
    wanted = MapAttribute(default=dict)
    contact = MapAttribute(default=dict)
    language = UnicodeAttribute(default="de")
    price_cap = MapAttribute(default=dict)  # {"amount": int minor units, "currency": "CHF"}
    line_items = ListAttribute(of=MapAttribute, default=list)
    # the commercial terms in force when the booking was made (domain.partners.booking_terms) and the
    # helper's hourly rate fixed when they accepted: settlement reads these, never the current ones
    terms = MapAttribute(null=True)
    hourly_rate = NumberAttribute(null=True)
    extra_approval = MapAttribute(null=True)  # latest request for more than the cap (payments keeps the truth)
    minutes_worked = NumberAttribute(null=True)
    state = UnicodeAttribute()
    version = NumberAttribute(default=0)
    history = ListAttribute(of=MapAttribute, default=list)
    dispatch_round = NumberAttribute(default=0)
    asked_helpers = ListAttribute(of=UnicodeAttribute, default=list)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    # partner attribution (set when a partner books through the partner API)
    partner_id = UnicodeAttribute(null=True)
    external_ref = UnicodeAttribute(null=True)
    affiliate_code = UnicodeAttribute(null=True)
    campaign = UnicodeAttribute(null=True)
    attribution = MapAttribute(null=True)  # utm_source/medium/campaign and channel it came with (17.7)
    sandbox = UnicodeAttribute(null=True)  # "test" for bookings made with a test key
    partner_ref = UnicodeAttribute(null=True)

    by_customer = BookingsByCustomer()
    by_helper = BookingsByHelper()
    by_tenant = BookingsByTenant()
    by_partner_ref = BookingsByPartnerRef()
