from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.models.base import BaseMeta, Model, table_name


class FailuresByStatus(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)  # open | replayed | resolved
    last_failed_at = UnicodeAttribute(range_key=True)


class FailedUnit(Model):
    """The failure store: a unit of work that used up its retries (an effect of a booking
    transition, or any work-queue message). What failed, why, how often, and the message that
    replays it. Ops list them (``by_status``) and replay them; an alarm watches new ones."""

    class Meta(BaseMeta):
        table_name = table_name("failures")

    failure_id = UnicodeAttribute(hash_key=True)  # "f_" + a hash of ``unit`` (URL-safe, one per unit)
    unit = UnicodeAttribute()                      # "effect#<booking>#v<version>#<effect>" | "work#<kind>#<message id>"
    kind = UnicodeAttribute()                      # the work kind: "effects", "notifications", ...
    name = UnicodeAttribute()                      # the effect name, or the work kind again
    booking_id = UnicodeAttribute(null=True)
    tenant_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="open")
    error = UnicodeAttribute()                     # "<ExceptionType>: <first 300 characters>"
    attempts = NumberAttribute(default=0)
    first_failed_at = UnicodeAttribute()
    last_failed_at = UnicodeAttribute()
    payload = UnicodeAttribute()                   # the work message (JSON) a replay sends again
    replays = NumberAttribute(default=0)
    replayed_at = UnicodeAttribute(null=True)
    replayed_by = UnicodeAttribute(null=True)
    version = NumberAttribute(default=1)

    by_status = FailuresByStatus()
