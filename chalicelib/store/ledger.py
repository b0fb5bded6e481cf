"""The double-entry ledger (table ``ledger``): a movement's entries are written in one transaction,
each only if new, so a movement is booked once or not at all; read per booking and per account."""
from __future__ import annotations

from chalicelib.domain import ledger as L
from chalicelib.domain.ids import now_iso
from chalicelib.store import current
from chalicelib.store._dynamo import _deep_record
from chalicelib.store.ledger_rows import entries_of, movements_of  # noqa: F401  (movements_of: for services)
from chalicelib.store.records import LedgerEntryRecord


class Ledger:
    def post(self, m: L.Movement) -> bool:
        """Book a movement's entries together, each only if new. False if it was booked before."""
        from pynamodb.exceptions import TransactWriteError
        from pynamodb.transactions import TransactWrite

        from chalicelib.aws import tx_connection
        from chalicelib.models.ledger import LedgerEntry
        from chalicelib.store.conditions import is_condition_failure

        try:
            with TransactWrite(connection=tx_connection()) as tx:
                for row in entries_of(m, now_iso()):
                    tx.save(LedgerEntry(**{k: getattr(row, k) for k in row.__dataclass_fields__}),
                            condition=LedgerEntry.entry_id.does_not_exist())
            return True
        except TransactWriteError as exc:
            if is_condition_failure(exc):
                return False
            raise

    def of_booking(self, booking_id: str) -> list[LedgerEntryRecord]:
        from chalicelib.models.ledger import LedgerEntry
        return [_deep_record(LedgerEntryRecord, e) for e in LedgerEntry.by_booking.query(booking_id)]

    def of_account(self, account: str, since: str | None = None) -> list[LedgerEntryRecord]:
        """An account's entries, oldest first (from ``since``, a ``sort_key`` prefix, if given)."""
        from chalicelib.models.ledger import LedgerEntry
        cond = LedgerEntry.sort_key >= since if since else None
        return [_deep_record(LedgerEntryRecord, e)
                for e in LedgerEntry.by_account.query(account, range_key_condition=cond)]


_ledger = Ledger()


def ledger() -> Ledger:
    """The ledger repository in force (DynamoDB unless a test put a twin in place)."""
    return current("ledger") or _ledger
