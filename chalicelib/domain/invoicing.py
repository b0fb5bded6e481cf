"""Billing a partner by invoice (issue 17). Pure: no AWS, no I/O.

A partner with billing model ``invoice`` pays for its customers' visits itself; no card is asked.

- When a visit is completed, settlement prices it with the one pricing function
  (``pricing.visit_line_items``) and books what the partner owes: ``invoiced`` (receivable of the
  tenant -> the booking's clearing account), then the same division as a card payment (platform
  fee, partner share = its commission, helper earning).
- Each month one invoice per tenant, numbered 1, 2, 3 ... per tenant without gaps: a line per
  completed booking (its invoiced amount), the commission set off (``invoice_commission``: the
  partner's share comes off what it owes), VAT on the rest by the tenant's country
  (``vat``: CH 8.1 %, DE 19 %), and the total due. The invoice is made from those ledger entries,
  so its totals are the ledger's.

All amounts integer minor units; VAT rounded half up to a whole minor unit.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Iterable, Mapping

from chalicelib.domain import ledger as L
from chalicelib.domain.errors import ValidationFailed

# VAT in basis points by country (standard rates in force for 2026).
VAT_RATES_BP = {"CH": 810, "DE": 1900}
COUNTRY_OF_CURRENCY = {"CHF": "CH", "EUR": "DE"}


def receivable(tid: str) -> str: return f"receivable:{tid}"
def vat_account(country: str, tenant_id: str = "") -> str:
    """VAT owed to ``country``'s tax office; a test invoice's (``tenant_id`` a test book) apart."""
    return f"vat:{country}{L.TEST_BOOK}" if L.is_test_book(tenant_id) else f"vat:{country}"


def country_of(settings: Mapping | None, currency: str) -> str:
    """The tenant's country for VAT: its ``country`` setting, else the one of its currency."""
    country = (settings or {}).get("country") or COUNTRY_OF_CURRENCY.get(currency)
    if country not in VAT_RATES_BP:
        raise ValidationFailed(f"no VAT rate for the tenant's country {country!r}; set country to one of "
                               f"{', '.join(sorted(VAT_RATES_BP))}", field="country")
    return country


def _half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def vat_of(net: int, rate_bp: int) -> int:
    return _half_up(int(net) * int(rate_bp), 10_000)


def invoiced(p: L.Parties, amount: int, **meta) -> L.Movement | None:
    """A completed visit of a partner billed by invoice: it owes ``amount`` for it."""
    if amount < 0:
        raise ValidationFailed("an invoiced amount cannot be negative", field="amount")
    return L.Movement(f"{p.booking_id}#invoiced", "invoiced", p.booking_id, p.tenant_id, p.currency,
                      (L.Entry(receivable(p.tenant_id), -int(amount)), L.Entry(L.clearing(p.booking_id), int(amount))),
                      {k: str(v) for k, v in meta.items() if v is not None}) if amount else None


@dataclass(frozen=True)
class InvoiceLine:
    booking_id: str
    external_ref: str | None
    completed_at: str
    description: str
    amount: int  # invoiced for this visit
    commission: int  # the partner's share of it


@dataclass(frozen=True)
class InvoiceTotals:
    gross: int
    commission: int
    net: int
    vat_rate_bp: int
    vat: int
    total: int


def totals(lines: Iterable[InvoiceLine], rate_bp: int) -> InvoiceTotals:
    rows = list(lines)
    gross = sum(r.amount for r in rows)
    commission = sum(r.commission for r in rows)
    net = gross - commission
    vat = vat_of(net, rate_bp)
    return InvoiceTotals(gross, commission, net, int(rate_bp), vat, net + vat)


def invoice_movements(invoice_id: str, tenant_id: str, currency: str, country: str, t: InvoiceTotals) -> list[L.Movement]:
    """What issuing the invoice books: the commission set off against what the partner owes, and
    the VAT it owes on top. Movement ids are the invoice's, so issuing twice books once."""
    out = []
    if t.commission:
        out.append(L.Movement(f"{invoice_id}#commission", "invoice_commission", invoice_id, tenant_id, currency,
                              (L.Entry(L.partner(tenant_id), -t.commission), L.Entry(receivable(tenant_id), t.commission))))
    if t.vat:
        out.append(L.Movement(f"{invoice_id}#vat", "vat", invoice_id, tenant_id, currency,
                              (L.Entry(receivable(tenant_id), -t.vat), L.Entry(vat_account(country, tenant_id), t.vat))))
    return out


def invoice_paid(invoice_id: str, tenant_id: str, currency: str, total: int, reference: str) -> L.Movement | None:
    """The partner paid the invoice's ``total``: what it owed (its receivable) is cleared against
    what it paid in. The id is the invoice's, so recording the payment twice books once."""
    if not total:
        return None
    return L.Movement(f"{invoice_id}#paid", "invoice_paid", invoice_id, tenant_id, currency,
                      (L.Entry(receivable(tenant_id), int(total)), L.Entry(L.paid_in(tenant_id), -int(total))),
                      {"reference": reference})


def display_number(tenant_id: str, number: int) -> str:
    if L.is_test_book(tenant_id):  # a test invoice (the sandbox's): its own series, marked TEST
        return f"{tenant_id[:-len(L.TEST_BOOK)].upper()}-TEST-{int(number):06d}"
    return f"{tenant_id.upper()}-{int(number):06d}"


def money(amount: int, currency: str) -> str:
    sign = "-" if amount < 0 else ""
    return f"{currency} {sign}{abs(amount) // 100}.{abs(amount) % 100:02d}"


def to_csv(invoice: Mapping) -> str:
    """The invoice as CSV: one row per visit, then commission, VAT and total rows (amounts in
    minor units and as decimals)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    cur = invoice["currency"]
    w.writerow(["invoice", "period", "kind", "booking_id", "external_ref", "completed_at", "description",
                "amount_minor", "amount", "currency"])
    head = [invoice["number_display"], invoice["period"]]
    for line in invoice["lines"]:
        w.writerow(head + ["visit", line["booking_id"], line.get("external_ref") or "", line["completed_at"],
                           line["description"], line["amount"], _dec(line["amount"]), cur])
    for kind, value in (("gross", invoice["gross"]), ("commission", -int(invoice["commission"])),
                        ("net", invoice["net"]), (f"vat {invoice['vat_rate_bp'] / 100:g}%", invoice["vat"]),
                        ("total", invoice["total"])):
        w.writerow(head + [kind, "", "", "", "", value, _dec(value), cur])
    return buf.getvalue()


def _dec(amount: int) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(int(amount)) // 100}.{abs(int(amount)) % 100:02d}"
