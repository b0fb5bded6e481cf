"""The ledger: posting movements once, and what it tells helpers, tenants and operations."""
from __future__ import annotations

from chalicelib.domain import ledger as L
from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import Forbidden, NotFound
from chalicelib.services.payments.booking import booking
from chalicelib.store.ledger import ledger, movements_of
from chalicelib.store.payout_accounts import payout_accounts
from chalicelib.store.records import LedgerEntryRecord


def post_movement(m: L.Movement | None) -> bool:
    """Write a movement's entries in one transaction, each only if new. False if it was booked."""
    if m is None:
        return False
    return ledger().post(m)


def booking_movements(booking_id: str) -> list[L.Movement]:
    return movements_of(ledger().of_booking(booking_id))


def _row(e: LedgerEntryRecord) -> dict:
    return {"booking_id": e.booking_id, "kind": e.kind, "amount": int(e.amount), "currency": e.currency,
            "at": e.created_at}


def _totals(rows_by_name: dict[str, list[LedgerEntryRecord]]) -> dict[str, dict[str, int]]:
    """Per currency, the sum of each named list of rows."""
    totals: dict[str, dict[str, int]] = {}
    for name, rows in rows_by_name.items():
        for e in rows:
            totals.setdefault(e.currency, dict.fromkeys(rows_by_name, 0))[name] += int(e.amount)
    return totals


def helper_statement(actor: Actor, helper_id: str) -> dict:
    """Earnings (what the helper earned per booking), payouts (transfers) and the balance not yet
    paid out, per currency."""
    if actor.role == "helper" and actor.id != helper_id:
        raise Forbidden("you can read only your own statement")
    if actor.role == "ops":
        helper = payout_accounts().get(helper_id)
        if helper is None or not actor.may_see_tenant(helper.tenant_id):
            raise NotFound(f"helper {helper_id} was not found", field="helper_id")
    elif actor.role != "helper":
        raise Forbidden("this is for helpers and operations")
    # earned: earnings, cancellation fees and refunds' helper parts (not money moving to/from Stripe)
    earnings = [e for e in ledger().of_account(L.helper(helper_id)) if e.kind not in ("payout", "reversal")]
    payouts = ledger().of_account(L.payout(helper_id))
    totals = _totals({"earned": earnings, "paid_out": payouts})
    for t in totals.values():
        t["unpaid"] = t["earned"] - t["paid_out"]
    return {"helper_id": helper_id, "totals": totals,
            "earnings": [_row(e) for e in earnings], "payouts": [_row(e) for e in payouts]}


def tenant_statement(actor: Actor, tenant_id: str) -> dict:
    """What a tenant earned (partner share) and the platform's fee from its bookings, per currency."""
    if actor.role not in ("ops", "partner", "partner_admin") or not actor.may_see_tenant(tenant_id):
        raise NotFound(f"tenant {tenant_id} was not found", field="tenant_id")
    from chalicelib.domain.invoicing import receivable
    from chalicelib.store.invoices import invoices

    partner_rows = ledger().of_account(L.partner(tenant_id))
    fee_rows = ledger().of_account(L.platform(tenant_id))
    # a tenant billed by invoice: what it owes (the receivable; negative until paid) and its payments
    owed_rows = ledger().of_account(receivable(tenant_id))
    paid_rows = [e for e in owed_rows if e.kind == "invoice_paid"]
    totals = _totals({"partner_share": partner_rows, "platform_fee": fee_rows})
    if owed_rows:  # billed by invoice: what it owes now (0 once paid) and what it paid on invoices
        for currency, t in _totals({"receivable": owed_rows, "invoices_paid": paid_rows}).items():
            totals.setdefault(currency, {"partner_share": 0, "platform_fee": 0}).update(t)
    return {"tenant_id": tenant_id, "totals": totals,
            "partner_share": [_row(e) for e in partner_rows],
            "platform_fee": [_row(e) for e in fee_rows] if actor.role == "ops" else None,
            "invoices": [{"number": i.number, "number_display": i.invoice_id, "period": i.period,
                          "currency": i.currency, "total": i.total, "status": "paid" if i.paid_at else "open",
                          "paid_at": i.paid_at} for i in invoices().list(tenant_id)],
            "invoice_payments": [_row(e) for e in paid_rows]}


def booking_ledger(actor: Actor, booking_id: str) -> dict:
    b = booking(booking_id)
    if actor.role != "ops" or not actor.may_see_tenant(b.tenant_id):
        raise NotFound(f"booking {booking_id} was not found", field="booking_id")
    movements = booking_movements(booking_id)
    balances = L.Ledger(movements).balances()
    return {"booking_id": booking_id, "summary": L.booking_summary(movements),
            "balances": [{"account": a, "currency": c, "balance": v} for (a, c), v in sorted(balances.items())],
            "movements": [{"movement_id": m.movement_id, "kind": m.kind, "currency": m.currency,
                           "entries": [{"account": e.account, "amount": e.amount} for e in m.entries]}
                          for m in sorted(movements, key=lambda m: m.movement_id)]}
