"""Payments, the last two pieces, on the local stack (localstripe, DynamoDB Local, the pump):
the receipt e-mailed once after settlement, and a helper asking the customer to approve more than
the price cap (the card hold raised on approval, settlement up to the approved limit)."""
from __future__ import annotations

import json

import pytest

from chalicelib.store.payments import payments

from tests.integration.test_payments import (book_and_authorise, intent, make_helper, onboard, payment,  # noqa: F401
                                             run_job, stripe_local)
from tests.stack_fixtures import wait_for

pytestmark = pytest.mark.integration
RECEIPT_SUBJECT = '"subject": "Your receipt ('


def mails(stack, address, *needles):
    from localdev.services import read_sent_emails
    out = []
    for m in read_sent_emails(stack["services"].moto_url):
        text = json.dumps(m, ensure_ascii=False)
        if address in text and all(n in text for n in needles):
            out.append(text)
    return out


def ledger_is_balanced(api, signin, bid):
    ops = signin("ops@crowdfix.local", "ops")
    status, ledger, _ = api.call("GET", f"/v1/bookings/{bid}/ledger", headers=ops)
    assert status == 200
    return sum(b["balance"] for b in ledger["balances"]) == 0, ledger


def test_receipt_is_emailed_once_with_the_final_line_items(api, signin, pump, stripe_local, stack):
    from chalicelib.services.payments import settle_booking

    hid, email = make_helper(rate=6000)
    helper, _ = onboard(api, signin, stripe_local, email)
    customer = signin()
    from tests.stack_fixtures import booking_body
    from tests.integration.test_payments import SPOT
    status, booking, _ = api.call("POST", "/v1/bookings", booking_body(
        location=SPOT, preferred_helper_id=hid, language="en", price_cap={"amount": 20000, "currency": "CHF"}),
        customer)
    assert status == 201, booking
    bid = booking["booking_id"]
    assert api.call("POST", f"/v1/bookings/{bid}/payment", {"payment_method": "pm_card_visa"}, customer)[0] == 201
    run_job(api, bid, customer, helper)
    assert api.call("POST", f"/v1/bookings/{bid}/parts", {"description": "HDMI cable", "amount": 1290}, helper)[0] == 201
    assert api.call("POST", f"/v1/bookings/{bid}/complete", {"minutes_worked": 50}, helper)[0] == 200

    # 4 x 15 min at 60.00/h + travel + part = 97.90 of the 200.00 held
    receipt = wait_for(lambda: mails(stack, customer["_email"], RECEIPT_SUBJECT), timeout=60)
    text = receipt[0]
    for line in ("Help (4 x CHF 15.00): CHF 60.00", "Travel (flat fee): CHF 25.00", "Part: HDMI cable: CHF 12.90",
                 "Total charged: CHF 97.90", "Released on your card (not charged): CHF 102.10"):
        assert line in text, (line, text)
    # the completion mail says the receipt follows (it no longer calls itself the receipt)
    done = wait_for(lambda: mails(stack, customer["_email"], "Done ("))
    assert "receipt with the amount charged follows" in done[0] and RECEIPT_SUBJECT not in done[0]
    p = payment(bid)
    assert p.receipt["total"] == 9790 and p.receipt["released"] == 10210
    assert "receipt_sent" in p.steps

    # replayed settlement, also as if it crashed after enqueueing but before recording: one e-mail
    for _ in range(2):
        assert settle_booking(bid)["result"] == "settled"
    p = payment(bid)
    steps = p.steps
    steps.pop("receipt_sent")
    payments().write(p, {"steps": steps})
    assert settle_booking(bid)["result"] == "settled"
    assert "receipt_sent" in payment(bid).steps
    pump.wait_idle(timeout=60)
    assert len(mails(stack, customer["_email"], RECEIPT_SUBJECT)) == 1
    from chalicelib.models.notification_log import NotificationLog
    rows = [r for r in NotificationLog.query(bid, consistent_read=True) if r.event_type == "payment_receipt"]
    assert [(r.channel, r.status, int(r.attempts)) for r in rows] == [("email", "sent", 1)]


def ask(api, bid, headers, body):
    return api.call("POST", f"/v1/bookings/{bid}/extra-approval", body, headers)


def test_helper_asks_for_more_customer_approves_and_settlement_goes_above_the_cap(api, signin, pump, stripe_local,
                                                                                  stack):
    hid, email = make_helper(rate=6000)
    helper, _ = onboard(api, signin, stripe_local, email)
    customer, bid, status, _ = book_and_authorise(api, signin, hid, cap=10000)
    assert status == 201
    old_pi = payment(bid).payment_intent_id
    # not yet assigned: nobody may ask
    assert ask(api, bid, helper, {"amount": 5000, "reason": "a new toner cartridge"})[0] in (404, 409)
    run_job(api, bid, customer, helper)

    # wrong callers
    other_helper = signin(make_helper()[1], "helper")
    assert ask(api, bid, other_helper, {"amount": 5000, "reason": "a new toner"})[0] == 404
    assert ask(api, bid, customer, {"amount": 5000, "reason": "a new toner"})[0] == 403
    assert ask(api, "b_doesnotexist12", helper, {"amount": 5000, "reason": "a new toner"})[0] == 404
    # bad input: 4xx naming the field, never a 500
    for body, field in (({"amount": 0, "reason": "toner"}, "amount"), ({"amount": -5, "reason": "toner"}, "amount"),
                        ({"amount": "5000", "reason": "toner"}, "amount"), ({"amount": 50.5, "reason": "toner"}, "amount"),
                        ({"amount": 5000}, "reason"), ({"amount": 5000, "reason": "toner", "currency": "EUR"}, "currency"),
                        ({"amount": 5000, "reason": "toner", "currency": "chf"}, "currency"),
                        ({"amount": 20001, "reason": "toner"}, "amount"),
                        ({"amount": 5000, "reason": "toner", "tip": 1}, "tip")):
        status, problem, _ = ask(api, bid, helper, body)
        assert status == 422 and problem["field"] == field, (body, status, problem)
    assert api.call("POST", f"/v1/bookings/{bid}/extra-approval", "[1]", helper)[0] == 400

    status, view, _ = ask(api, bid, helper, {"amount": 5000, "currency": "CHF", "reason": "a new toner cartridge"})
    assert status == 201, view
    assert view["extra_approval"]["status"] == "pending" and view["extra_approval"]["new_limit"] == 15000
    assert view["limit"] == 10000
    # a retried POST is the same request; a different one while it waits is a conflict
    assert ask(api, bid, helper, {"amount": 5000, "reason": "a new toner cartridge"})[0] == 201
    assert ask(api, bid, helper, {"amount": 7000, "reason": "something else"})[0] == 409
    assert len(payment(bid).extra_approvals) == 1
    # the customer is told, and sees it on the booking view
    wait_for(lambda: mails(stack, customer["_email"], "CHF 50.00", "a new toner cartridge"), timeout=60)
    seen = api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]["extra_approval"]
    assert seen["status"] == "pending" and seen["amount"] == 5000 and seen["reason"] == "a new toner cartridge"

    # only the customer who owns the booking answers
    stranger = signin()
    assert api.call("POST", f"/v1/bookings/{bid}/extra-approval/approve", {}, stranger)[0] == 404
    assert api.call("POST", f"/v1/bookings/{bid}/extra-approval/approve", {}, helper)[0] == 403
    assert api.call("POST", f"/v1/bookings/{bid}/extra-approval/approve", {"x": 1}, customer)[0] == 422

    status, view, _ = api.call("POST", f"/v1/bookings/{bid}/extra-approval/approve", None, customer)
    assert status == 200, view
    assert view["extra_approval"]["status"] == "approved" and view["limit"] == 15000
    new_pi = payment(bid).payment_intent_id
    assert new_pi != old_pi and int(payment(bid).auth_seq) == 2
    assert intent(stripe_local, new_pi)["status"] == "requires_capture" and intent(stripe_local, new_pi)["amount"] == 15000
    assert intent(stripe_local, old_pi)["status"] == "canceled"
    # approving twice changes nothing; changing the answer is a conflict
    status, again, _ = api.call("POST", f"/v1/bookings/{bid}/extra-approval/approve", {}, customer)
    assert status == 200 and again["limit"] == 15000 and payment(bid).payment_intent_id == new_pi
    assert api.call("POST", f"/v1/bookings/{bid}/extra-approval/decline", {}, customer)[0] == 409
    wait_for(lambda: mails(stack, email, "Zugestimmt: CHF 50.00 mehr"), timeout=60)

    # 90 min: 6 x 15.00 + travel 25.00 = 115.00 — above the 100.00 cap, within the approved 150.00
    assert api.call("POST", f"/v1/bookings/{bid}/complete", {"minutes_worked": 90}, helper)[0] == 200
    wait_for(lambda: "payout" in (payment(bid).steps or {}), timeout=60)
    p = payment(bid)
    assert p.facts["captured"] == 11500 and p.status == "captured"
    assert [i["code"] for i in p.line_items] == ["time", "travel"]
    assert intent(stripe_local, new_pi)["status"] == "succeeded"
    import requests
    charge = requests.get(f"{stripe_local['base']}/v1/charges/{p.charge_id}", headers=stripe_local["auth"],
                          timeout=5).json()
    assert charge["payment_intent"] == new_pi and charge["amount"] - charge["amount_refunded"] == 11500
    ok, ledger = ledger_is_balanced(api, signin, bid)
    assert ok, ledger
    # too late to ask now
    assert ask(api, bid, helper, {"amount": 100, "reason": "one more cable"})[0] == 409


def test_declined_card_keeps_the_old_hold_and_a_declined_request_keeps_the_cap(api, signin, pump, stripe_local):
    from chalicelib.adapters import stripe_gateway as gw
    from chalicelib.models.payments import Payment

    hid, email = make_helper(rate=6000)
    helper, _ = onboard(api, signin, stripe_local, email)
    customer, bid, status, _ = book_and_authorise(api, signin, hid, cap=10000)
    assert status == 201
    run_job(api, bid, customer, helper)
    assert ask(api, bid, helper, {"amount": 5000, "reason": "a new router"})[0] == 201

    # the saved card has been blocked since the booking: raising the hold is refused
    p = payment(bid)
    blocked = gw.attach_payment_method("pm_card_chargeCustomerFail", p.stripe_customer_id)["id"]
    Payment(bid).update(actions=[Payment.payment_method.set(blocked)])
    old_pi = p.payment_intent_id
    status, problem, _ = api.call("POST", f"/v1/bookings/{bid}/extra-approval/approve", {}, customer)
    assert status == 402 and problem["field"] == "payment_method", problem
    p = payment(bid)
    assert p.payment_intent_id == old_pi and p.status == "authorised" and p.facts["authorised"] == 10000
    assert intent(stripe_local, old_pi)["status"] == "requires_capture"
    assert p.extra_approvals[-1]["status"] == "pending"

    # the customer says no: the limit stays, approving afterwards is a conflict
    status, view, _ = api.call("POST", f"/v1/bookings/{bid}/extra-approval/decline", {}, customer)
    assert status == 200 and view["extra_approval"]["status"] == "declined" and view["limit"] == 10000
    assert api.call("POST", f"/v1/bookings/{bid}/extra-approval/decline", {}, customer)[0] == 200
    assert api.call("POST", f"/v1/bookings/{bid}/extra-approval/approve", {}, customer)[0] == 409
    assert api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]["extra_approval"]["status"] == "declined"

    # 90 min would be 115.00: capped at the 100.00 agreed
    assert api.call("POST", f"/v1/bookings/{bid}/complete", {"minutes_worked": 90}, helper)[0] == 200
    wait_for(lambda: "payout" in (payment(bid).steps or {}), timeout=60)
    p = payment(bid)
    assert p.facts["captured"] == 10000
    assert [i["code"] for i in p.line_items] == ["time", "travel", "cap_reduction"]
    ok, ledger = ledger_is_balanced(api, signin, bid)
    assert ok, ledger
