from pynamodb.attributes import (BooleanAttribute, ListAttribute, MapAttribute, NumberAttribute,
                                 UnicodeAttribute)
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection

from chalicelib.models.base import BaseMeta, Model, table_name

# Helper status lifecycle: applied -> verified -> active <-> suspended
HELPER_STATUSES = ("applied", "verified", "active", "suspended")


class HelperByEmail(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_email"
        projection = KeysOnlyProjection()

    email_key = UnicodeAttribute(hash_key=True)  # "<tenant>#<email>"


TENANT_STATUS_PROJECTION = ["tenant_id", "first_name", "city", "skills", "lat", "lon", "service_radius_km", "off_duty",
                            "remote", "languages", "on_call", "rating_count", "rating_sum", "hourly_rate", "currency",
                            "payout_ready", "status"]


class HelperByTenantStatus(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_tenant_status"
        # what the partner quote / helper listing reads; busy flag, offer counters and geo keys are
        # not projected, so dispatch's frequent writes to those leave this index alone
        projection = IncludeProjection(TENANT_STATUS_PROJECTION)

    tenant_status = UnicodeAttribute(hash_key=True)  # "<tenant>#<status>"
    helper_id = UnicodeAttribute(range_key=True)


# What matching and discovery read from the index: enough to rank and show a card without a GetItem.
MATCH_PROJECTION = ["tenant_id", "lat", "lon", "skills", "qualifications", "languages", "on_call", "availability",
                    "rating_count", "rating_sum", "hourly_rate", "currency", "service_radius_km", "first_name",
                    "offers_received", "offers_accepted", "last_assigned_at", "remote", "payout_ready"]


class HelperByGeo(GlobalSecondaryIndex):
    """Sparse: only helpers who can take work now carry ``geo_pk`` (see ``domain.geocells``)."""
    class Meta:
        index_name = "by_geo"
        projection = IncludeProjection(MATCH_PROJECTION)

    geo_pk = UnicodeAttribute(hash_key=True)  # "<tenant>#<res-5 H3 cell>"
    geo_sk = UnicodeAttribute(range_key=True)  # "<res-9 H3 cell, 15 hex>#<helper_id>"


class HelperByRemotePool(GlobalSecondaryIndex):
    """Sparse: helpers who work remotely and can take work now, best Bayesian rating first."""
    class Meta:
        index_name = "by_remote_pool"
        projection = IncludeProjection(MATCH_PROJECTION)

    remote_pool = UnicodeAttribute(hash_key=True)  # "<tenant>"
    remote_sk = UnicodeAttribute(range_key=True)  # "<1000 - rating*100, 4 digits>#<helper_id>"


class Helper(Model):
    class Meta(BaseMeta):
        table_name = table_name("helpers")
        stream_view_type = "NEW_AND_OLD_IMAGES"  # matching keeps the geo index in step

    helper_id = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute()
    email = UnicodeAttribute()
    email_key = UnicodeAttribute()
    name = UnicodeAttribute()
    first_name = UnicodeAttribute()
    phone = UnicodeAttribute(null=True)
    photo_url = UnicodeAttribute(null=True)  # unused since photos live in S3 (photo_key)
    photo_key = UnicodeAttribute(null=True)  # S3 key of the helper's photo (adapters/photos.py)
    photo_public = BooleanAttribute(null=True)  # the helper agreed to show it on the public card
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
    # matching (issue 3): the job the helper is on, counters for ranking, index keys (null = not indexed)
    busy_with = UnicodeAttribute(null=True)
    last_accept = UnicodeAttribute(null=True)  # "<at>#<booking>" of the last accept counted (store.helpers)
    offers_received = NumberAttribute(default=0)
    offers_accepted = NumberAttribute(default=0)
    last_assigned_at = UnicodeAttribute(null=True)
    geo_pk = UnicodeAttribute(null=True)
    geo_sk = UnicodeAttribute(null=True)
    remote_pool = UnicodeAttribute(null=True)
    remote_sk = UnicodeAttribute(null=True)
    # Stripe Connect (payments): set by onboarding and the account.updated webhook
    stripe_account_id = UnicodeAttribute(null=True)
    payout_ready = BooleanAttribute(default=False)
    payout_status_at = NumberAttribute(null=True)  # Stripe event time of the last applied update

    by_email = HelperByEmail()
    by_tenant_status = HelperByTenantStatus()
    by_geo = HelperByGeo()
    by_remote_pool = HelperByRemotePool()
