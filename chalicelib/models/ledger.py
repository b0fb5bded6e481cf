from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.models.base import BaseMeta, Model, table_name


class EntriesByAccount(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)  # "<created_at>#<entry_id>"


class EntriesByBooking(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_booking"
        projection = AllProjection()

    booking_id = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)


class LedgerEntry(Model):
    """One side of a ledger movement (``domain.ledger``). A movement's entries are written in one
    transaction, each on condition it does not exist yet: a movement is booked once or not at all."""

    class Meta(BaseMeta):
        table_name = table_name("ledger")

    entry_id = UnicodeAttribute(hash_key=True)  # "<movement_id>#<n>"
    movement_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    booking_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    account = UnicodeAttribute()
    amount = NumberAttribute()  # integer minor units; positive = into the account
    currency = UnicodeAttribute()
    created_at = UnicodeAttribute()
    sort_key = UnicodeAttribute()
    meta = MapAttribute(default=dict)

    by_account = EntriesByAccount()
    by_booking = EntriesByBooking()
