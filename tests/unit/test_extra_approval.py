"""Approving more than the cap (pure rules) and the receipt summary."""
import pytest
from hypothesis import given, strategies as st

from chalicelib.domain import extra_approval as xa
from chalicelib.domain.errors import Conflict, ValidationFailed
from chalicelib.domain.pricing import receipt_summary

ARGS = dict(state="started", currency=None, booking_currency="CHF", original_cap=20000, current_limit=20000,
            max_extra=20000)


def test_new_limit_is_current_plus_amount_within_the_policy_maximum():
    assert xa.check_request(amount=5000, **ARGS) == 25000
    assert xa.check_request(amount=20000, **ARGS) == 40000
    with pytest.raises(ValidationFailed) as e:
        xa.check_request(amount=20001, **ARGS)
    assert e.value.field == "amount" and e.value.extra["max_amount"] == 20000
    # an earlier approval used part of the room
    with pytest.raises(ValidationFailed) as e:
        xa.check_request(amount=15001, **{**ARGS, "current_limit": 25000})
    assert e.value.extra["max_amount"] == 15000


@pytest.mark.parametrize("amount", [0, -1, True, 12.5, "100"])
def test_amount_must_be_a_positive_integer(amount):
    with pytest.raises(ValidationFailed) as e:
        xa.check_request(amount=amount, **ARGS)
    assert e.value.field == "amount"


def test_currency_must_be_the_bookings():
    assert xa.check_request(amount=100, **{**ARGS, "currency": "CHF"}) == 20100
    with pytest.raises(ValidationFailed) as e:
        xa.check_request(amount=100, **{**ARGS, "currency": "EUR"})
    assert e.value.field == "currency"


@pytest.mark.parametrize("state", ["requested", "offered", "completed", "cancelled", "unmatched"])
def test_only_while_the_job_runs(state):
    with pytest.raises(Conflict):
        xa.check_request(amount=100, **{**ARGS, "state": state})


def _req(rows, amount=5000, reason="a new cable"):
    return xa.new_request(rows, amount=amount, reason=reason, currency="chf", from_limit=20000,
                          new_limit=20000 + amount, helper_id="h_1", at="2026-01-01T00:00:00Z")


def test_one_request_waits_at_a_time_and_a_retry_is_no_new_request():
    first = _req([])
    assert first["seq"] == 1 and first["status"] == xa.PENDING and first["currency"] == "CHF"
    assert _req([first]) is None  # the same POST again
    with pytest.raises(Conflict):
        _req([first], amount=6000)
    second = _req([{**first, "status": xa.DECLINED}], amount=3000)
    assert second["seq"] == 2


def test_answers():
    pending = _req([])
    assert xa.decide([pending], True) == ("approve", pending)
    assert xa.decide([pending], False) == ("decline", pending)
    approved = {**pending, "status": xa.APPROVED}
    assert xa.decide([approved], True)[0] == "noop"  # double approve
    with pytest.raises(Conflict):
        xa.decide([approved], False)
    with pytest.raises(Conflict):
        xa.decide([], True)
    view = xa.public_view([approved])
    assert view["status"] == "approved" and view["approved_limit"] == 25000 and view["new_limit"] == 25000
    assert xa.public_view([]) is None


@given(st.lists(st.integers(min_value=-5000, max_value=50_000), min_size=1, max_size=6),
       st.integers(min_value=0, max_value=100_000))
def test_receipt_adds_up_and_releases_the_rest_of_the_hold(amounts, headroom):
    items = [{"code": "part", "description": "x", "quantity": 1, "unit_amount": a, "amount": a, "currency": "CHF"}
             for a in amounts]
    total = sum(amounts)
    r = receipt_summary(items, total, total + headroom, "chf")
    assert r["total"] == sum(i["amount"] for i in r["line_items"]) and r["currency"] == "CHF"
    assert r["released"] == headroom and r["total"] + r["released"] == r["authorised"]
    with pytest.raises(ValidationFailed):
        receipt_summary(items, total + 1, total + headroom, "CHF")
