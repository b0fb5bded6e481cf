"""A ledger movement is one item (issue 19.8): its legs inside, the accounts read by account in
sparse index slots, and read back into the same balanced movement."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from chalicelib.domain import invoicing as inv
from chalicelib.domain import ledger as L
from chalicelib.store.ledger_rows import ACCOUNT_SLOTS, entries_of, indexed_accounts, item_of, movements_of

P = L.Parties("b_rows", "t_rows", "c_rows", "h_rows", "CHF")


def test_a_capture_writes_no_account_index_and_a_refund_three():
    capture = L.capture(P, 9000)
    refund = L.refund(P, 1, L.allocate_refund(900, 7000, 1200, 800), helper_paid_out=False)[-1]
    assert len(refund.entries) == 4
    assert [k for k in item_of(capture, "2026-12-02T10:00:00Z") if k.startswith("acct_")] == []
    item = item_of(refund, "2026-12-02T10:00:00Z")
    assert [item[f"acct_{i}"] for i in (1, 2, 3)] == [L.helper("h_rows"), L.platform("t_rows"), L.partner("t_rows")]


def test_the_model_has_an_index_per_slot():
    from chalicelib.models.ledger import LedgerMovement

    names = {i["index_name"] for i in LedgerMovement._get_schema()["global_secondary_indexes"]}
    assert names == {f"by_account_{i}" for i in range(1, ACCOUNT_SLOTS + 1)}


@settings(max_examples=200, deadline=None)
@given(captured=st.integers(1, 100_000), fee_pct=st.integers(0, 40), share_pct=st.integers(0, 40),
       refund_pct=st.integers(1, 100), paid_out=st.booleans())
def test_every_movement_of_a_booking_fits_its_slots_and_reads_back_as_booked(captured, fee_pct, share_pct,
                                                                             refund_pct, paid_out):
    fee, share = captured * fee_pct // 100, captured * share_pct // 100
    earning = captured - fee - share
    moves = [L.capture(P, captured), *L.divide(P, fee, share, earning)]
    if paid_out and earning:
        moves.append(L.payout_movement(P, earning, "tr_1"))
    moves += L.refund(P, 1, L.allocate_refund(max(1, captured * refund_pct // 100), earning, fee, share), paid_out)
    line = inv.InvoiceLine("b_rows", None, "2026-12-02T10:00:00Z", "printer", captured, share)
    moves += [inv.invoiced(P, captured), *inv.invoice_movements("INV-1", "t_rows", "CHF", "CH", inv.totals([line], 810)),
              inv.invoice_paid("INV-1", "t_rows", "CHF", captured, "BANK-1")]
    moves = [m for m in moves if m]
    rows = [r for m in moves for r in entries_of(m, "2026-12-02T10:00:00Z")]
    assert all(len(indexed_accounts(m)) <= ACCOUNT_SLOTS for m in moves)
    assert sum(r.amount for r in rows) == 0
    assert movements_of(rows) == moves
