from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.models.base import BaseMeta, Model, table_name


class QualityByTenantStatus(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_tenant_status"
        projection = AllProjection()

    tenant_status = UnicodeAttribute(hash_key=True)  # "<tenant>#<status>"
    created_at = UnicodeAttribute(range_key=True)


class QualityCase(Model):
    """Work on the ops quality list: a helper flagged by a quality rule (``kind`` "flag",
    ``case_id`` "flag#<helper>#<rule>") or a completed booking drawn for a follow-up call
    (``kind`` "spot_check", ``case_id`` "spot#<booking>"). Created once (conditional put)."""

    class Meta(BaseMeta):
        table_name = table_name("quality-cases")

    case_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # flag | spot_check
    tenant_id = UnicodeAttribute()
    helper_id = UnicodeAttribute()
    booking_id = UnicodeAttribute(null=True)
    customer_id = UnicodeAttribute(null=True)
    rule = UnicodeAttribute(null=True)
    detail = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="open")  # open | done
    tenant_status = UnicodeAttribute()
    outcome = UnicodeAttribute(null=True)
    notes = UnicodeAttribute(null=True)
    resolved_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    resolved_at = UnicodeAttribute(null=True)
    version = NumberAttribute(default=1)

    by_tenant_status = QualityByTenantStatus()
