from pynamodb.attributes import (BooleanAttribute, ListAttribute, MapAttribute, NumberAttribute,
                                 UnicodeAttribute)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from chalicelib.models.base import BaseMeta, Model, table_name

# Helper status lifecycle: applied -> verified -> active <-> suspended
HELPER_STATUSES = ("applied", "verified", "active", "suspended")


class HelperByEmail(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_email"
        projection = KeysOnlyProjection()

    email_key = UnicodeAttribute(hash_key=True)  # "<tenant>#<email>"


class HelperByTenantStatus(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_tenant_status"
        projection = AllProjection()

    tenant_status = UnicodeAttribute(hash_key=True)  # "<tenant>#<status>"
    helper_id = UnicodeAttribute(range_key=True)


class Helper(Model):
    class Meta(BaseMeta):
        table_name = table_name("helpers")

    helper_id = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute()
    email = UnicodeAttribute()
    email_key = UnicodeAttribute()
    name = UnicodeAttribute()
    first_name = UnicodeAttribute()
    phone = UnicodeAttribute(null=True)
    photo_url = UnicodeAttribute(null=True)
    bio = UnicodeAttribute(null=True)
    # {"printer": 3, "computer": 2}: 1 basics, 2 experienced, 3 specialist
    skills = MapAttribute(default=dict)
    qualifications = ListAttribute(of=UnicodeAttribute, default=list)
    lat = NumberAttribute()
    lon = NumberAttribute()
    city = UnicodeAttribute(null=True)
    service_radius_km = NumberAttribute(default=10)
    hourly_rate = NumberAttribute()  # minor units per hour
    currency = UnicodeAttribute(default="CHF")
    languages = ListAttribute(of=UnicodeAttribute, default=list)
    remote = BooleanAttribute(default=True)
    # {"mon": [["08:00","18:00"]], ...} in the helper's local time (Europe/Zurich)
    availability = MapAttribute(default=dict)
    on_call = BooleanAttribute(default=False)
    off_duty = BooleanAttribute(default=False)
    status = UnicodeAttribute(default="applied")
    tenant_status = UnicodeAttribute()
    rating_count = NumberAttribute(default=0)
    rating_sum = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    # Stripe Connect (payments): set by onboarding and the account.updated webhook
    stripe_account_id = UnicodeAttribute(null=True)
    payout_ready = BooleanAttribute(default=False)
    payout_status_at = NumberAttribute(null=True)  # Stripe event time of the last applied update

    by_email = HelperByEmail()
    by_tenant_status = HelperByTenantStatus()
