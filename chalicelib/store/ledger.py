"""The double-entry ledger (table ``ledger-movements``): each movement is ONE item holding all its
legs, put on condition that its movement id (the idempotency key, ``<booking>#<step>``) is new, so
a movement is booked once, whole, or not at all; read per booking and per account."""
from __future__ import annotations

from chalicelib.domain import ledger as L
from chalicelib.domain.ids import now_iso
from chalicelib.store import current
from chalicelib.store.ledger_rows import (ACCOUNT_SLOTS, NotIndexed, check_indexed, item_of,  # noqa: F401
                                          movements_of, rows_of)
from chalicelib.store.records import LedgerEntryRecord


def _plain_item(item) -> dict:
    return {"booking_id": item.booking_id, "movement_id": item.movement_id, "kind": item.kind,
            "tenant_id": item.tenant_id, "currency": item.currency, "created_at": item.created_at,
            "legs": [{"a": leg.a, "n": int(leg.n)} for leg in item.legs],
            "meta": item.meta.as_dict() if hasattr(item.meta, "as_dict") else dict(item.meta or {})}


class Ledger:
    def post(self, m: L.Movement) -> bool:
        """Book movement ``m`` (one conditional put). False if it was booked before."""
        from pynamodb.exceptions import PutError

        from chalicelib.models.ledger import LedgerMovement
        from chalicelib.store.conditions import is_condition_failure

        try:
            LedgerMovement(**item_of(m, now_iso())).save(condition=LedgerMovement.movement_id.does_not_exist())
            return True
        except PutError as exc:
            if is_condition_failure(exc):
                return False
            raise

    def of_booking(self, booking_id: str) -> list[LedgerEntryRecord]:
        """Every entry of the booking's movements (strongly consistent: the table's own key)."""
        from chalicelib.models.ledger import LedgerMovement
        return [r for item in LedgerMovement.query(booking_id, consistent_read=True) for r in rows_of(_plain_item(item))]

    def of_account(self, account: str, since: str | None = None, until: str | None = None
                   ) -> list[LedgerEntryRecord]:
        """An account's entries, oldest first; from ``since`` and up to ``until`` (``sort_key``
        bounds: a time, or ``<time>#~`` to include that time's entries) if given.
        :class:`NotIndexed` for a customer or clearing account (read those per booking)."""
        from chalicelib.models.ledger import LedgerMovement

        check_indexed(account)
        key = LedgerMovement.sort_key
        cond = (key.between(since or "0", until) if until is not None
                else key >= since if since else None)
        found: dict[str, dict] = {}
        for index in (LedgerMovement.by_account_1, LedgerMovement.by_account_2, LedgerMovement.by_account_3):
            for item in index.query(account, range_key_condition=cond):
                found.setdefault(item.movement_id, _plain_item(item))
        rows = [r for item in found.values() for r in rows_of(item, account)]
        return sorted(rows, key=lambda r: r.sort_key)


_ledger = Ledger()


def ledger() -> Ledger:
    """The ledger repository in force (DynamoDB unless a test put a twin in place)."""
    return current("ledger") or _ledger
