"""A ledger movement as the one item the ledger table keeps, and items back into entry rows and
movements (shared by the DynamoDB repository and its in-memory twin; no table is reached from here)."""
from __future__ import annotations

from chalicelib.domain import ledger as L
from chalicelib.store.records import LedgerEntryRecord

# Leg accounts nobody reads by account: a customer's money and a booking's clearing account are
# read with their bookings (``of_booking``). Leaving them out of the account indexes saves a
# write unit per leg (a capture writes no index at all).
NOT_INDEXED = ("customer", "clearing")
ACCOUNT_SLOTS = 3  # models.ledger: by_account_1 .. by_account_3


class NotIndexed(ValueError):
    """``of_account`` of an account kind the ledger does not index by account (``NOT_INDEXED``)."""


def indexed(account: str) -> bool:
    return account.split(":", 1)[0] not in NOT_INDEXED


def check_indexed(account: str) -> None:
    if not indexed(account):
        raise NotIndexed(f"{account.split(':', 1)[0]} accounts are read per booking, not by account")


def indexed_accounts(m: L.Movement) -> list[str]:
    """The accounts of ``m`` its item carries in the account indexes (``acct_1`` ..), each once,
    in leg order. More than ``ACCOUNT_SLOTS`` is refused: such a movement could not be found by
    every account it moves."""
    out = list(dict.fromkeys(e.account for e in m.entries if indexed(e.account)))
    if len(out) > ACCOUNT_SLOTS:
        raise ValueError(f"movement {m.movement_id} moves {len(out)} indexed accounts; the ledger indexes "
                         f"{ACCOUNT_SLOTS}")
    return out


def item_of(m: L.Movement, now: str) -> dict:
    """The fields of ``m``'s item (``models.ledger.LedgerMovement``)."""
    item = {"booking_id": m.booking_id, "movement_id": m.movement_id, "kind": m.kind, "tenant_id": m.tenant_id,
            "currency": m.currency, "created_at": now, "sort_key": f"{now}#{m.movement_id}",
            "legs": [{"a": e.account, "n": int(e.amount)} for e in m.entries], "meta": dict(m.meta)}
    for i, account in enumerate(indexed_accounts(m), start=1):
        item[f"acct_{i}"] = account
    return item


def rows_of(item: dict, account: str | None = None) -> list[LedgerEntryRecord]:
    """The entry rows of one movement item (entry ids ``<movement>#<n>``, ``n`` the leg), only
    those of ``account`` if given."""
    rows = []
    for i, leg in enumerate(item["legs"]):
        if account is not None and leg["a"] != account:
            continue
        entry_id = f"{item['movement_id']}#{i}"
        rows.append(LedgerEntryRecord(entry_id=entry_id, movement_id=item["movement_id"], kind=item["kind"],
                                      booking_id=item["booking_id"], tenant_id=item["tenant_id"], account=leg["a"],
                                      amount=int(leg["n"]), currency=item["currency"], created_at=item["created_at"],
                                      sort_key=f"{item['created_at']}#{entry_id}", meta=dict(item.get("meta") or {})))
    return rows


def entries_of(m: L.Movement, now: str) -> list[LedgerEntryRecord]:
    """The entry rows of movement ``m`` as they are read back."""
    return rows_of(item_of(m, now))


def movements_of(rows) -> list[L.Movement]:
    """Entries grouped back into their movements (each checked again: it must balance)."""
    grouped: dict[str, list[LedgerEntryRecord]] = {}
    for e in rows:
        grouped.setdefault(e.movement_id, []).append(e)
    out = []
    for mid, group in grouped.items():
        group.sort(key=lambda r: int(r.entry_id.rsplit("#", 1)[1]))
        r0 = group[0]
        out.append(L.Movement(mid, r0.kind, r0.booking_id, r0.tenant_id, r0.currency,
                              tuple(L.Entry(r.account, int(r.amount)) for r in group), dict(r0.meta or {})))
    return out
