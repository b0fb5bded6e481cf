"""Pricing, ledger and payment-state rules: examples and hypothesis properties."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain import ledger as L
from chalicelib.domain.errors import Conflict, ValidationFailed
from chalicelib.domain.payment_states import (AUTHORISED, CAPTURED, PARTIALLY_REFUNDED, REFUNDED, RELEASED,
                                              PaymentFacts, facts_from_event, is_out_of_order)
from chalicelib.domain.policy import effective
from chalicelib.domain.pricing import Part, billable_minutes, price_line_items, split_charge, tip_of, total_of

POLICY = effective({})


# -- pricing examples ---------------------------------------------------------------------------

def test_time_is_billed_in_started_blocks_after_the_minimum():
    assert billable_minutes(5, 30, 15) == 30
    assert billable_minutes(31, 30, 15) == 45
    assert billable_minutes(45, 30, 15) == 45
    assert billable_minutes(46, 30, 15) == 60


def test_onsite_job_has_time_travel_parts_and_tip():
    items = price_line_items(minutes_worked=50, hourly_rate=6000, mode="onsite", currency="CHF", policy=POLICY,
                             parts=[Part("HDMI cable", 1290)], tip=500)
    by = {i.code: i for i in items}
    assert by["time"].quantity == 4 and by["time"].unit_amount == 1500 and by["time"].amount == 6000
    assert by["travel"].amount == 2500
    assert by["part"].amount == 1290 and by["tip"].amount == 500
    assert total_of(items) == 6000 + 2500 + 1290 + 500


def test_remote_job_has_no_travel_fee():
    items = price_line_items(minutes_worked=20, hourly_rate=5000, mode="remote", currency="CHF", policy=POLICY)
    assert [i.code for i in items] == ["time"]
    assert total_of(items) == 2500  # 30 min minimum at 50.00/h


def test_total_never_exceeds_the_authorised_limit_and_the_tip_is_cut_first():
    items = price_line_items(minutes_worked=120, hourly_rate=6000, mode="onsite", currency="CHF", policy=POLICY,
                             tip=1000, limit=15000)
    assert total_of(items) == 15000
    assert items[-1].code == "cap_reduction" and items[-1].amount == -(12000 + 2500 + 1000 - 15000)
    assert tip_of(items) == 500  # the 5.00 over the limit came off the 10.00 tip
    lower = price_line_items(minutes_worked=120, hourly_rate=6000, mode="onsite", currency="CHF", policy=POLICY,
                             tip=1000, limit=14000)
    assert total_of(lower) == 14000 and tip_of(lower) == 0


def test_fee_and_partner_share_come_from_the_service_amount_and_the_tip_goes_to_the_helper():
    s = split_charge(10_500, 500, {"platform_fee_bps": 1500, "partner_share_bps": 1000})
    assert (s.platform_fee, s.partner_share, s.helper_payout) == (1500, 1000, 8000)


def test_fee_and_share_above_100_percent_are_refused():
    with pytest.raises(ValidationFailed):
        split_charge(1000, 0, {"platform_fee_bps": 9000, "partner_share_bps": 2000})


# the shared 2-core machine can be slow: never fail on generation speed, only on the property
RELAXED = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(max_examples=200, **RELAXED)
@given(minutes=st.integers(0, 24 * 60), rate=st.integers(0, 50_000), mode=st.sampled_from(["onsite", "remote"]),
       parts=st.lists(st.integers(0, 20_000), max_size=3), tip=st.integers(0, 10_000),
       limit=st.none() | st.integers(0, 100_000))
def test_price_is_never_above_the_limit_and_never_negative(minutes, rate, mode, parts, tip, limit):
    items = price_line_items(minutes_worked=minutes, hourly_rate=rate, mode=mode, currency="CHF", policy=POLICY,
                             parts=[Part("p", p) for p in parts], tip=tip, limit=limit)
    total = total_of(items)
    assert total >= 0
    if limit is not None:
        assert total <= limit
    assert 0 <= tip_of(items) <= min(tip, total)


# -- ledger examples ----------------------------------------------------------------------------

PARTIES = L.Parties("b_x1", "t1", "c_1", "h_1", "CHF")


def test_a_movement_that_does_not_sum_to_zero_is_refused():
    with pytest.raises(L.Unbalanced):
        L.Movement("b#x", "capture", "b", "t", "CHF", (L.Entry("customer:c", -100), L.Entry("clearing:b", 99)))


def test_posting_the_same_step_twice_is_a_no_op_and_booking_it_differently_is_a_conflict():
    ledger = L.Ledger()
    assert ledger.post(L.capture(PARTIES, 1000)) is True
    assert ledger.post(L.capture(PARTIES, 1000)) is False
    with pytest.raises(Conflict):
        ledger.post(L.capture(PARTIES, 999))
    assert ledger.balance("clearing:b_x1", "CHF") == 1000


def test_refund_allocation_is_proportional_and_exact():
    a = L.allocate_refund(1000, 8000, 1500, 500)
    assert (a.helper, a.fee, a.share) == (800, 150, 50)
    with pytest.raises(ValidationFailed):
        L.allocate_refund(10_001, 8000, 1500, 500)


# -- the ledger property ------------------------------------------------------------------------

scenario = st.fixed_dictionaries({
    "minutes": st.integers(1, 600), "rate": st.integers(0, 20_000), "mode": st.sampled_from(["onsite", "remote"]),
    "parts": st.lists(st.integers(0, 10_000), max_size=2), "tip": st.integers(0, 3000),
    "cap": st.integers(1, 60_000), "fee_bps": st.integers(0, 6000), "share_bps": st.integers(0, 4000),
    "late_cancel": st.none() | st.integers(0, 10_000), "paid_out": st.booleans(),
    "refunds": st.lists(st.floats(0.0, 1.0, allow_nan=False), max_size=4),
})


def _check_invariants(ledger: L.Ledger, booking_id: str):
    assert all(v == 0 for v in ledger.total().values()), "the ledger does not balance"
    for m in ledger.movements.values():
        assert sum(e.amount for e in m.entries) == 0
    s = L.booking_summary(ledger.movements.values())
    net_captured = s["captured"] - s["refunded"]
    net_paid = s["paid_out"] - s["reversed"]
    assert 0 <= net_paid <= net_captured, "a payout exceeds what was captured"
    assert s["refunded"] <= s["captured"]
    b = ledger.balances()
    for (account, _), v in b.items():
        if account.split(":")[0] in ("clearing", "platform", "partner", "helper", "payout"):
            assert v >= 0, f"{account} went negative: {v}"
    assert s["platform_fee"] + s["partner_share"] + s["helper_earning"] == net_captured


def _run(sc) -> L.Ledger:
    pol = effective({"platform_fee_bps": sc["fee_bps"], "partner_share_bps": sc["share_bps"]})
    p = PARTIES
    ledger = L.Ledger()
    if sc["late_cancel"] is not None:
        fee = min(sc["late_cancel"], sc["cap"])
        ledger.post(L.capture(p, fee))
        ledger.post(L.cancellation_fee(p, fee))
        split = L.RefundAllocation(fee, fee, 0, 0)
        helper_total = fee
    else:
        items = price_line_items(minutes_worked=sc["minutes"], hourly_rate=sc["rate"], mode=sc["mode"],
                                 currency="CHF", policy=pol, parts=[Part("p", x) for x in sc["parts"]],
                                 tip=sc["tip"], limit=sc["cap"])
        charged = total_of(items)
        sp = split_charge(charged, tip_of(items), pol)
        ledger.post(L.capture(p, charged))
        for m in L.divide(p, sp.platform_fee, sp.partner_share, sp.helper_payout):
            ledger.post(m)
        helper_total = sp.helper_payout
    _check_invariants(ledger, p.booking_id)
    if sc["paid_out"]:
        ledger.post(L.payout_movement(p, helper_total, "tr_1"))
        _check_invariants(ledger, p.booking_id)
    for seq, frac in enumerate(sc["refunds"]):
        s = L.booking_summary(ledger.movements.values())
        pool = s["helper_earning"] + s["platform_fee"] + s["partner_share"]
        amount = int(pool * frac)
        if amount <= 0:
            continue
        alloc = L.allocate_refund(amount, s["helper_earning"], s["platform_fee"], s["partner_share"])
        for m in L.refund(p, seq, alloc, helper_paid_out=sc["paid_out"]):
            ledger.post(m)
        _check_invariants(ledger, p.booking_id)
    return ledger


@settings(max_examples=300, **RELAXED)
@given(scenario)
def test_ledger_always_balances_and_no_payout_exceeds_the_capture(sc):
    ledger = _run(sc)
    # replaying every movement (a retried settlement) changes nothing
    again = L.Ledger(ledger.movements.values())
    for m in list(ledger.movements.values()):
        assert again.post(m) is False
    assert again.balances() == ledger.balances()


@settings(max_examples=100, **RELAXED)
@given(scenario)
def test_a_full_refund_returns_everything_to_the_customer(sc):
    sc = {**sc, "refunds": [1.0]}
    ledger = _run(sc)
    s = L.booking_summary(ledger.movements.values())
    assert s["refunded"] == s["captured"]
    assert ledger.balance(L.customer("c_1"), "CHF") == 0
    assert ledger.balance(L.helper("h_1"), "CHF") == 0 and ledger.balance(L.payout("h_1"), "CHF") == 0


# -- payment state from webhook facts -----------------------------------------------------------

PI = {"id": "pi_1", "amount": 10_000, "status": "requires_capture"}
EVENTS = [
    ("payment_intent.amount_capturable_updated", PI),
    ("payment_intent.succeeded", {**PI, "status": "succeeded", "amount_received": 8000}),
    ("charge.refunded", {"amount": 10_000, "amount_captured": 8000, "captured": True, "amount_refunded": 3000}),
    ("charge.refunded", {"amount": 10_000, "amount_captured": 8000, "captured": True, "amount_refunded": 1000}),
]


def test_reordered_and_duplicated_payment_events_reach_the_same_state():
    finals = set()
    for order in itertools.permutations(EVENTS + EVENTS[:2]):
        f = PaymentFacts()
        for etype, obj in order:
            f = f.merge(facts_from_event(etype, obj))
        finals.add(f)
    assert len(finals) == 1
    final = finals.pop()
    assert final.state == PARTIALLY_REFUNDED and final.captured == 8000 and final.refunded == 3000


def test_a_stale_authorisation_event_after_the_capture_is_out_of_order():
    captured = PaymentFacts(authorised=10_000, captured=8000)
    assert captured.state == CAPTURED
    assert is_out_of_order(captured, facts_from_event("payment_intent.amount_capturable_updated", PI))
    assert not is_out_of_order(captured, facts_from_event("charge.refunded", EVENTS[2][1]))


def test_release_and_full_refund_states():
    assert PaymentFacts(authorised=100).state == AUTHORISED
    assert PaymentFacts(authorised=100, released=True).state == RELEASED
    assert PaymentFacts(authorised=100, captured=100, refunded=100).state == REFUNDED
