"""A ledger movement as the rows the ledger table keeps, and rows back into movements (shared by
the DynamoDB repository and its in-memory twin; no table is reached from here)."""
from __future__ import annotations

from chalicelib.domain import ledger as L
from chalicelib.store.records import LedgerEntryRecord


def entries_of(m: L.Movement, now: str) -> list[LedgerEntryRecord]:
    """The rows of movement ``m`` (entry ids ``<movement>#<n>``)."""
    rows = []
    for i, e in enumerate(m.entries):
        entry_id = f"{m.movement_id}#{i}"
        rows.append(LedgerEntryRecord(entry_id=entry_id, movement_id=m.movement_id, kind=m.kind,
                                      booking_id=m.booking_id, tenant_id=m.tenant_id, account=e.account,
                                      amount=e.amount, currency=m.currency, created_at=now,
                                      sort_key=f"{now}#{entry_id}", meta=dict(m.meta)))
    return rows


def movements_of(rows) -> list[L.Movement]:
    """Entries grouped back into their movements."""
    grouped: dict[str, list[LedgerEntryRecord]] = {}
    for e in rows:
        grouped.setdefault(e.movement_id, []).append(e)
    out = []
    for mid, group in grouped.items():
        group.sort(key=lambda r: r.entry_id)
        r0 = group[0]
        out.append(L.Movement(mid, r0.kind, r0.booking_id, r0.tenant_id, r0.currency,
                              tuple(L.Entry(r.account, int(r.amount)) for r in group), dict(r0.meta or {})))
    return out
