from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.models.base import BaseMeta, Model, table_name


class Leg(MapAttribute):
    """One side of a movement: ``a`` the account, ``n`` the amount (integer minor units; positive
    = into the account). Short names: every byte of an item counts toward its write units."""
    a = UnicodeAttribute()
    n = NumberAttribute()


class _ByAccount1(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_account_1"
        projection = AllProjection()

    acct_1 = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class _ByAccount2(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_account_2"
        projection = AllProjection()

    acct_2 = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class _ByAccount3(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_account_3"
        projection = AllProjection()

    acct_3 = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class LedgerMovement(Model):
    """One ledger movement (``domain.ledger.Movement``) as ONE item: every leg inside it, so a
    movement is booked whole or not at all by a single put on condition that its key is new (the
    movement id is the idempotency key: ``<booking>#<step>``). Balanced by construction: the
    domain refuses a movement whose legs do not sum to zero, and the item is never updated.

    Read per booking with the table's own key, per account through three sparse indexes:
    ``acct_<i>`` holds the i-th leg account that is read by account (``store.ledger_rows``: a
    refund's four legs name at most three such accounts; a customer's and a booking's clearing
    account are read with their bookings and left out)."""

    class Meta(BaseMeta):
        table_name = table_name("ledger-movements")

    booking_id = UnicodeAttribute(hash_key=True)
    movement_id = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    currency = UnicodeAttribute()
    created_at = UnicodeAttribute()
    sort_key = UnicodeAttribute()  # "<created_at>#<movement_id>": an account's order
    legs = ListAttribute(of=Leg)
    meta = MapAttribute(default=dict)
    acct_1 = UnicodeAttribute(null=True)
    acct_2 = UnicodeAttribute(null=True)
    acct_3 = UnicodeAttribute(null=True)

    by_account_1 = _ByAccount1()
    by_account_2 = _ByAccount2()
    by_account_3 = _ByAccount3()
