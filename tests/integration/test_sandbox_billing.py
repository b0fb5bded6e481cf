"""The sandbox pays and bills like live, apart from live money (issue 17): a test key's booking of
a card-billed partner is paid through its payment link with a Stripe test card (test mode, on
localstripe), goes to simulated helpers only, and settles against its test-mode hold on the tenant's
test book; an invoice partner's test booking lands on its test invoice; and operations record an
invoice paid once, with its ledger entry, shown on the tenant's statement. Local stack + pump."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from tests.integration.partner_fixtures import new_partner, partner_booking
from tests.integration.test_billing import PRICING, SPOT, make_helper, summary, work
from tests.stack_fixtures import wait_for

pytestmark = pytest.mark.integration


def _state(bid):
    from chalicelib.models.bookings import Booking
    return Booking.get(bid, consistent_read=True).state


def _move(api, p, bid, step, body=None):
    status, out, _ = api.call("POST", f"/v1/partner/sandbox/bookings/{bid}/{step}", body, p["h"])
    assert status == 200, (step, out)
    return out


def test_a_test_card_booking_is_paid_by_its_link_in_test_mode_and_settles_on_the_test_book(api, signin, pump,
                                                                                          stack, monkeypatch):
    from chalicelib.adapters import stripe_gateway as gw
    from chalicelib.domain import ledger as L
    from chalicelib.models.offers import Offer
    from chalicelib.services.payments import get_payment

    # every Stripe call is recorded with its mode and arguments; the session's pump settles other tests'
    # bookings at the same time, so only the calls naming this booking, its customer or its intent count
    calls = []
    for name in ("create_customer", "attach_payment_method", "authorise", "capture", "release", "refund"):
        real = getattr(gw, name)
        monkeypatch.setattr(gw, name, lambda *a, _real=real, _name=name, **kw: (calls.append((_name, kw.get(
            "mode", "live"), repr((a, kw)))), _real(*a, **kw))[1])

    # given a card-billed partner with a test key
    p = new_partner(api, signin, environment="test", billing_model="card", pricing=PRICING)
    status, booking, _ = api.call("POST", "/v1/partner/bookings", partner_booking(location=SPOT), p["h"])
    assert status == 201 and booking["state"] == "awaiting_payment" and booking["sandbox"] is True, booking
    bid = booking["booking_id"]

    # when the integrator takes the (recorded, not sent) payment link and pays with a test card
    status, link, _ = api.call("POST", f"/v1/partner/sandbox/bookings/{bid}/payment-link", None, p["h"])
    assert status == 200 and f"/pay/{bid}?tenant={p['tenant_id']}#token=" in link["pay_url"], link
    token = {"X-Payment-Token": link["token"]}
    status, problem, _ = api.call("POST", f"/v1/pay/{bid}", {"payment_method": "pm_card_visa_chargeDeclined"}, token)
    assert status == 402, problem
    status, page, _ = api.call("POST", f"/v1/pay/{bid}", {"payment_method": "pm_card_visa"}, token)
    assert status == 200 and page["paid"], page

    # then the hold is a test-mode one and the booking goes to simulated helpers only
    pay = get_payment(bid)
    assert pay.mode == "test" and pay.status == "authorised"
    wait_for(lambda: _state(bid) == "offered", timeout=60, what="dispatched to the simulated helpers")
    assert all(o.helper_id.startswith("h_sim_") for o in Offer.query(bid, consistent_read=True))
    _move(api, p, bid, "accept")
    _move(api, p, bid, "start")
    _move(api, p, bid, "complete", {"minutes_worked": 60})

    # and settlement captures the test-mode hold, on the tenant's test book, nothing flagged unpaid
    wait_for(lambda: "capture" in (get_payment(bid).steps or {}), timeout=60, what="the test-mode capture")
    wait_for(lambda: summary(bid)["helper_earning"] > 0, timeout=60, what="the division")
    pay = get_payment(bid)
    assert "unpaid" not in pay.steps and pay.flag_tenant is None and "payout" not in pay.steps
    ours = {i for i in (bid, pay.payment_intent_id, pay.stripe_customer_id) if i}
    modes = [(n, m) for n, m, args in calls if any(i in args for i in ours)]
    assert {n for n, _ in modes} >= {"authorise", "capture"}, calls
    assert {m for _, m in modes} == {"test"}, modes  # never a live-mode Stripe call
    s = summary(bid)
    assert s["captured"] == 6000 + 2000 and s["platform_fee"] + s["partner_share"] + s["helper_earning"] == 8000
    from chalicelib.services.payments import booking_movements
    assert {m.tenant_id for m in booking_movements(bid)} == {L.test_book(p["tenant_id"])}
    # the live statement and commission report of the tenant stay empty
    statement = api.call("GET", f"/v1/tenants/{p['tenant_id']}/statement", headers=p["h"])[1]
    assert statement["totals"] == {} and statement["partner_share"] == []
    period = datetime.now(timezone.utc).strftime("%Y-%m")
    report = api.call("GET", f"/v1/tenants/{p['tenant_id']}/commission?period={period}", headers=p["ops"])[1]
    assert report["totals"]["bookings"] == 0 and report["unpaid_bookings"] == 0


def test_a_test_key_cannot_get_a_payment_link_for_a_live_booking_nor_a_live_key_one(api, signin):
    live = new_partner(api, signin, environment="live", billing_model="card", pricing=PRICING)
    status, booking, _ = api.call("POST", "/v1/partner/bookings", partner_booking(location=SPOT), live["h"])
    assert status == 201 and booking["state"] == "awaiting_payment"
    status, problem, _ = api.call("POST", f"/v1/partner/sandbox/bookings/{booking['booking_id']}/payment-link",
                                  None, live["h"])
    assert status == 403, problem


def test_an_invoice_partners_test_booking_is_on_its_test_invoice_and_ops_record_invoices_paid(api, signin, pump):
    from chalicelib.domain.invoicing import receivable
    from chalicelib.store.ledger import ledger

    # given an invoice partner with a test key, a live key and one completed visit in each mode
    p = new_partner(api, signin, environment="test", billing_model="invoice", pricing=PRICING)
    tid, ops = p["tenant_id"], p["ops"]
    status, live_key, _ = api.call("POST", f"/v1/tenants/{tid}/api-keys", {"name": "live", "environment": "live"}, ops)
    assert status == 201
    live = {"X-Api-Key": live_key["secret"]}
    status, test_booking, _ = api.call("POST", "/v1/partner/bookings", partner_booking(location=SPOT), p["h"])
    assert status == 201, test_booking
    tbid = test_booking["booking_id"]
    _move(api, p, tbid, "accept")
    _move(api, p, tbid, "start")
    _move(api, p, tbid, "complete", {"minutes_worked": 60})
    hid, hemail = make_helper()
    status, live_booking, _ = api.call("POST", "/v1/partner/bookings",
                                       partner_booking(location=SPOT, preferred_helper_id=hid), live)
    assert status == 201, live_booking
    lbid = live_booking["booking_id"]
    work(api, signin, hemail, lbid, 60)
    for bid in (tbid, lbid):
        wait_for(lambda: summary(bid)["invoiced"] > 0, timeout=60, what="invoiced")
    assert summary(tbid)["invoiced"] == summary(lbid)["invoiced"] == 8000

    # when the month's invoices are issued: the test one by the test key, the live one by ops
    period = datetime.now(timezone.utc).strftime("%Y-%m")
    status, test_invoice, _ = api.call("POST", "/v1/partner/sandbox/invoices", {"period": period}, p["h"])
    assert status == 201, test_invoice
    assert api.call("POST", "/v1/partner/sandbox/invoices", {"period": period}, live)[0] == 403
    status, invoice, _ = api.call("POST", f"/v1/tenants/{tid}/invoices", {"period": period}, ops)
    assert status == 201, invoice

    # then each holds its own mode's visit, in its own series
    assert test_invoice["test"] is True and test_invoice["number_display"] == f"{tid.upper()}-TEST-000001"
    assert [x["booking_id"] for x in test_invoice["lines"]] == [tbid]
    assert invoice["test"] is False and [x["booking_id"] for x in invoice["lines"]] == [lbid]
    assert [i["number_display"] for i in api.call("GET", f"/v1/tenants/{tid}/invoices", headers=p["h"])[1]["items"]] \
        == [test_invoice["number_display"]]
    assert [i["number_display"] for i in api.call("GET", f"/v1/tenants/{tid}/invoices", headers=live)[1]["items"]] \
        == [invoice["number_display"]]

    # when ops record the live invoice paid, twice
    path = f"/v1/tenants/{tid}/invoices/1/paid"
    assert api.call("POST", path, {"reference": "BANK-1"}, live)[0] in (401, 403)
    assert api.call("POST", path, {"reference": ""}, ops)[0] == 422
    status, paid, _ = api.call("POST", path, {"reference": "BANK-1"}, ops)
    assert status == 200 and paid["status"] == "paid" and paid["paid_reference"] == "BANK-1", paid
    status, again, _ = api.call("POST", path, {"reference": "BANK-2"}, ops)
    assert status == 200 and again == paid  # the first record stands

    # then what the partner owed is cleared once, and its statement shows the invoice paid
    owed = sum(int(e.amount) for e in ledger().of_account(receivable(tid)))
    assert owed == 0
    assert [e.kind for e in ledger().of_account(receivable(tid))].count("invoice_paid") == 1
    statement = api.call("GET", f"/v1/tenants/{tid}/statement", headers=live)[1]
    assert [(i["number"], i["status"]) for i in statement["invoices"]] == [(1, "paid")]
    assert statement["totals"]["CHF"]["invoices_paid"] == invoice["total"]
    assert statement["totals"]["CHF"]["receivable"] == 0
    # the test invoice is still open and never touched the live receivable
    assert api.call("GET", f"/v1/tenants/{tid}/invoices/1", headers=p["h"])[1]["status"] == "open"
    assert api.call("POST", f"/v1/tenants/{tid}/invoices/9/paid", {"reference": "X"}, ops)[0] == 404


def test_the_card_field_of_a_test_booking_gets_the_test_publishable_key(api, stack, monkeypatch):
    # given the two publishable keys of the stage
    monkeypatch.setenv("CROWDFIX_STRIPE_PUBLISHABLE_KEY", "pk_live_" + "a" * 24)
    monkeypatch.setenv("CROWDFIX_STRIPE_TEST_PUBLISHABLE_KEY", "pk_test_" + "b" * 24)
    # when the web app asks for the card settings of each mode
    live = api.call("GET", "/v1/payments/config")
    test = api.call("GET", "/v1/payments/config?mode=test")
    # then each gets its own key (Stripe takes a card only from the key of the hold's mode)
    assert live[0] == 200 and live[1]["publishable_key"] == "pk_live_" + "a" * 24
    assert test[0] == 200 and test[1]["publishable_key"] == "pk_test_" + "b" * 24


def test_a_live_key_given_as_the_test_publishable_key_is_refused_and_a_bad_mode_is_a_400(api, stack, monkeypatch):
    monkeypatch.setenv("CROWDFIX_STRIPE_TEST_PUBLISHABLE_KEY", "pk_live_" + "b" * 24)
    status, problem, _ = api.call("GET", "/v1/payments/config?mode=test")
    assert status == 422 and "CROWDFIX_STRIPE_TEST_PUBLISHABLE_KEY" in problem["detail"], problem
    status, problem, _ = api.call("GET", "/v1/payments/config?mode=sandbox")
    assert 400 <= status < 500 and "mode" in json.dumps(problem), problem
