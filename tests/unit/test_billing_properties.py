"""Issue 17, item 2 and the billing invariants, as properties over many cases (hypothesis):

- the quote is the price: for any tariff (hourly rate, remote discount, call-out fee on or off),
  any minutes and both modes, the partner quote (``services.partners.quote_price`` with the
  tenant's policy) equals what settlement computes for a booking made under those terms (the
  terms copied onto it, read back through ``payments.booking_terms``, whatever the helper's own
  rate), through the one pricing function;
- commission == ledger: the partner's share booked for a visit is the division's, and what the
  commission report reads back from the ledger;
- invoice totals == ledger: what a partner owes after its invoice is the invoice's total, its
  commission is set off, VAT is with the country, and every movement sums to zero.
"""
from __future__ import annotations

from unittest import mock

from hypothesis import given, settings, strategies as st

from chalicelib.domain import invoicing as inv
from chalicelib.domain import ledger as L
from chalicelib.domain import partners as dp
from chalicelib.domain.pricing import split_charge, total_of, visit_line_items

TENANT = "p-hypothesis"

tariffs = st.builds(
    dict,
    hourly_rate_minor=st.integers(0, 30_000),
    call_out_fee_minor=st.one_of(st.just(0), st.integers(1, 10_000)),  # travel fee off or on
    remote_discount_percent=st.integers(0, 100),
    platform_fee_percent=st.integers(0, 50),
    partner_share_percent=st.integers(0, 50),
    default_price_cap_minor=st.integers(0, 100_000),
)


def _tenant(pricing: dict, billing_model: str = "card", currency: str = "CHF"):
    settings_ = dp.tenant_settings_from(dp.CreateTenant(tenant_id=TENANT, name="Hypo AG", currency=currency,
                                                         billing_model=billing_model,
                                                         pricing=dp.PricingPolicy(**pricing)))
    from chalicelib.store.records import TenantRecord
    return TenantRecord(tenant_id=TENANT, name="Hypo AG", currency=currency, settings=settings_), settings_


def _settled(booking: dict, minutes: int, mode: str, helper_rate: int, currency: str):
    """What settlement prices a booking at: its copied terms in force, the one pricing function."""
    from chalicelib.services.payments import booking_terms

    pol = booking_terms(booking)
    items = visit_line_items(pol, mode=mode, minutes=minutes, currency=currency, helper_rate=helper_rate,
                             limit=int(booking["price_cap"]["amount"]))
    return items, pol


@settings(max_examples=300, deadline=None)
@given(pricing=tariffs, minutes=st.integers(0, 600), mode=st.sampled_from(["onsite", "remote"]),
       helper_rate=st.integers(0, 20_000))
def test_the_quote_is_what_settlement_computes_for_those_minutes(pricing, minutes, mode, helper_rate):
    from chalicelib.services import tenants
    from chalicelib.services.partners import quote_price

    tenant, settings_ = _tenant(pricing)
    tenants.clear_cache()
    with mock.patch.object(tenants, "get_tenant", return_value=tenant):
        quote = quote_price(TENANT, mode, minutes, "CHF")
        # a booking made now copies the terms; the partner's default cap is its hold
        booking = {"tenant_id": TENANT, "terms": dp.booking_terms(settings_),
                   "price_cap": {"amount": int(settings_["default_price_cap_minor"]), "currency": "CHF"}}
        items, pol = _settled(booking, minutes, mode, helper_rate, "CHF")
    assert [i.as_dict() for i in items] == quote["line_items"]
    assert total_of(items) == quote["total"]["amount"]
    travel = sum(i.amount for i in items if i.code == "travel")
    assert travel == (pricing["call_out_fee_minor"] if mode == "onsite" else 0)  # on-site only, off when 0


@settings(max_examples=200, deadline=None)
@given(pricing=tariffs, minutes=st.integers(0, 600), mode=st.sampled_from(["onsite", "remote"]),
       tip=st.integers(0, 5_000))
def test_commission_is_the_partner_share_the_ledger_holds(pricing, minutes, mode, tip):
    tenant, settings_ = _tenant(pricing)
    from chalicelib.services import tenants
    tenants.clear_cache()
    with mock.patch.object(tenants, "get_tenant", return_value=tenant):
        booking = {"tenant_id": TENANT, "terms": dp.booking_terms(settings_), "price_cap": {"amount": 10**7}}
        items, pol = _settled(booking, minutes, mode, 0, "CHF")
    charged = total_of(items) + tip
    split = split_charge(charged, tip, pol)
    parties = L.Parties("b_hyp", TENANT, "c_hyp", "h_hyp", "CHF")
    ledger = L.Ledger()
    for m in [L.capture(parties, charged), *L.divide(parties, split.platform_fee, split.partner_share,
                                                      split.helper_payout)]:
        ledger.post(m)
    summary = L.booking_summary(ledger.movements.values())
    assert summary["partner_share"] == split.partner_share == ledger.balance(L.partner(TENANT), "CHF")
    service = charged - tip  # no commission on a tip; never more than the fee leaves
    assert summary["partner_share"] == min((service * pricing["partner_share_percent"] * 2 + 100) // 200,
                                           service - split.platform_fee)
    assert ledger.balance(L.clearing("b_hyp"), "CHF") == 0 and ledger.total().get("CHF", 0) == 0


@settings(max_examples=200, deadline=None)
@given(pricing=tariffs, visits=st.lists(st.tuples(st.integers(0, 600), st.sampled_from(["onsite", "remote"])),
                                         min_size=0, max_size=8),
       currency=st.sampled_from(["CHF", "EUR"]))
def test_invoice_totals_are_the_ledgers(pricing, visits, currency):
    from chalicelib.services import tenants

    tenant, settings_ = _tenant(pricing, "invoice", currency)
    tenants.clear_cache()
    ledger, lines = L.Ledger(), []
    with mock.patch.object(tenants, "get_tenant", return_value=tenant):
        for n, (minutes, mode) in enumerate(visits):
            booking = {"tenant_id": TENANT, "terms": dp.booking_terms(settings_), "price_cap": {"amount": 10**7}}
            items, pol = _settled(booking, minutes, mode, 0, currency)
            total = total_of(items)
            split = split_charge(total, 0, pol)
            parties = L.Parties(f"b_{n}", TENANT, f"c_{n}", f"h_{n}", currency)
            for m in [*L.divide(parties, split.platform_fee, split.partner_share, split.helper_payout),
                      inv.invoiced(parties, total)]:
                ledger.post(m)
            share = L.booking_summary([m for m in ledger.movements.values() if m.booking_id == f"b_{n}"])["partner_share"]
            lines.append(inv.InvoiceLine(f"b_{n}", None, "2026-11-30T10:00:00.000Z", "x", total, share))
    country = inv.country_of(settings_, currency)
    t = inv.totals(lines, inv.VAT_RATES_BP[country])
    for m in inv.invoice_movements("INV-1", TENANT, currency, country, t):
        ledger.post(m)
    assert -ledger.balance(inv.receivable(TENANT), currency) == t.total == t.net + t.vat
    assert ledger.balance(L.partner(TENANT), currency) == 0  # the commission was set off
    assert ledger.balance(inv.vat_account(country), currency) == t.vat
    assert t.vat == (t.net * {"CHF": 810, "EUR": 1900}[currency] * 2 + 10_000) // 20_000
    assert ledger.total().get(currency, 0) == 0
    assert all(sum(e.amount for e in m.entries) == 0 for m in ledger.movements.values())
