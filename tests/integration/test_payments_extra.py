"""Payments, the last two pieces, on the local stack (localstripe, DynamoDB Local, the pump):
the receipt e-mailed once after settlement, and a helper asking the customer to approve more than
the price cap (the card hold raised on approval, settlement up to the approved limit). Told as
given / when / then, one behaviour per test."""
from __future__ import annotations

import json

import pytest

from chalicelib.store.payments import payments

from tests.integration.test_payments import (book_and_authorise, intent, make_helper, onboard, payment,  # noqa: F401
                                             run_job, stripe_local)
from tests.stack_fixtures import wait_for

pytestmark = pytest.mark.integration
RECEIPT_SUBJECT = '"subject": "Your receipt ('


# ---- given / when ----------------------------------------------------------------------------------

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


def given_a_job_under_way(api, signin, stripe_local, cap: int = 10000, **booking) -> dict:
    """A payout-ready helper at CHF 60/h started a customer's job whose card is held up to ``cap``:
    ``{"helper_id", "helper_email", "helper", "customer", "booking_id"}``."""
    hid, email = make_helper(rate=6000)
    helper, _ = onboard(api, signin, stripe_local, email)
    if booking:
        from tests.integration.test_payments import SPOT
        from tests.stack_fixtures import booking_body
        customer = signin()
        status, made, _ = api.call("POST", "/v1/bookings", booking_body(
            location=SPOT, preferred_helper_id=hid, price_cap={"amount": cap, "currency": "CHF"}, **booking), customer)
        assert status == 201, made
        bid = made["booking_id"]
        assert api.call("POST", f"/v1/bookings/{bid}/payment", {"payment_method": "pm_card_visa"}, customer)[0] == 201
    else:
        customer, bid, status, _ = book_and_authorise(api, signin, hid, cap=cap)
        assert status == 201
    run_job(api, bid, customer, helper)
    return {"helper_id": hid, "helper_email": email, "helper": helper, "customer": customer, "booking_id": bid}


def given_a_job_settled_with_a_part(api, signin, stripe_local, stack) -> dict:
    """An English customer's job (CHF 200.00 held), a CHF 12.90 part added, completed after 50 minutes,
    its receipt e-mailed."""
    job = given_a_job_under_way(api, signin, stripe_local, cap=20000, language="en")
    bid, helper = job["booking_id"], job["helper"]
    assert api.call("POST", f"/v1/bookings/{bid}/parts", {"description": "HDMI cable", "amount": 1290}, helper)[0] == 201
    assert api.call("POST", f"/v1/bookings/{bid}/complete", {"minutes_worked": 50}, helper)[0] == 200
    job["receipt"] = wait_for(lambda: mails(stack, job["customer"]["_email"], RECEIPT_SUBJECT), timeout=60,
                              what="the receipt e-mail")[0]
    return job


def ask(api, bid, headers, body):
    return api.call("POST", f"/v1/bookings/{bid}/extra-approval", body, headers)


def answer(api, bid, headers, what, body=None):
    return api.call("POST", f"/v1/bookings/{bid}/extra-approval/{what}", body if body is not None else {}, headers)


TONER = {"amount": 5000, "currency": "CHF", "reason": "a new toner cartridge"}


def given_an_extra_request_pending(api, signin, stripe_local) -> dict:
    """A job under way (cap CHF 100.00) whose helper asks for CHF 50.00 more for a toner cartridge."""
    job = given_a_job_under_way(api, signin, stripe_local, cap=10000)
    job["old_pi"] = payment(job["booking_id"]).payment_intent_id
    status, view, _ = ask(api, job["booking_id"], job["helper"], TONER)
    assert status == 201, view
    job["asked"] = view
    return job


def given_an_extra_request_approved(api, signin, stripe_local) -> dict:
    job = given_an_extra_request_pending(api, signin, stripe_local)
    status, view, _ = answer(api, job["booking_id"], job["customer"], "approve", None)
    assert status == 200, view
    job["approved"] = view
    return job


# ---- the receipt -----------------------------------------------------------------------------------

def test_the_receipt_is_emailed_with_the_final_line_items_and_what_was_released(api, signin, pump, stripe_local, stack):
    # given a settled job: 4 x 15 min at 60.00/h + travel + part = 97.90 of the 200.00 held
    job = given_a_job_settled_with_a_part(api, signin, stripe_local, stack)
    # then the receipt lists each line, the total charged and what was released
    for line in ("Help (4 x CHF 15.00): CHF 60.00", "Travel (flat fee): CHF 25.00", "Part: HDMI cable: CHF 12.90",
                 "Total charged: CHF 97.90", "Released on your card (not charged): CHF 102.10"):
        assert line in job["receipt"], (line, job["receipt"])
    # and the payment record holds the same figures
    p = payment(job["booking_id"])
    assert p.receipt["total"] == 9790 and p.receipt["released"] == 10210
    assert "receipt_sent" in p.steps


def test_the_completion_mail_says_the_receipt_follows(api, signin, pump, stripe_local, stack):
    # given a settled job
    job = given_a_job_settled_with_a_part(api, signin, stripe_local, stack)
    # then the completion mail says the receipt follows; it no longer calls itself the receipt
    done = wait_for(lambda: mails(stack, job["customer"]["_email"], "Done ("), what="the completion mail")
    assert "receipt with the amount charged follows" in done[0] and RECEIPT_SUBJECT not in done[0]


def test_a_replayed_settlement_even_after_a_crash_before_recording_sends_one_receipt(api, signin, pump, stripe_local,
                                                                                     stack):
    from chalicelib.models.notification_log import NotificationLog
    from chalicelib.services.payments import settle_booking

    # given a settled job whose receipt was sent
    job = given_a_job_settled_with_a_part(api, signin, stripe_local, stack)
    bid = job["booking_id"]
    # when settlement runs twice more, then once as if it had crashed after enqueueing the receipt
    # but before recording it
    for _ in range(2):
        assert settle_booking(bid)["result"] == "settled"
    p = payment(bid)
    steps = p.steps
    steps.pop("receipt_sent")
    payments().write(p, {"steps": steps})
    assert settle_booking(bid)["result"] == "settled"
    # then the receipt is recorded again, and she got one e-mail, sent once
    assert "receipt_sent" in payment(bid).steps
    pump.wait_idle(timeout=60)
    assert len(mails(stack, job["customer"]["_email"], RECEIPT_SUBJECT)) == 1
    rows = [r for r in NotificationLog.query(bid, consistent_read=True) if r.event_type == "payment_receipt"]
    assert [(r.channel, r.status, int(r.attempts)) for r in rows] == [("email", "sent", 1)]


# ---- asking for more than the cap ------------------------------------------------------------------

def test_nobody_may_ask_for_more_before_the_helper_is_assigned(api, signin, pump, stripe_local):
    # given a held booking not yet accepted by its helper
    hid, email = make_helper(rate=6000)
    helper, _ = onboard(api, signin, stripe_local, email)
    customer, bid, status, _ = book_and_authorise(api, signin, hid, cap=10000)
    assert status == 201
    # when the helper asks for more, then it is refused
    assert ask(api, bid, helper, {"amount": 5000, "reason": "a new toner cartridge"})[0] in (404, 409)


def test_only_the_assigned_helper_may_ask_for_more(api, signin, pump, stripe_local):
    # given a job under way
    job = given_a_job_under_way(api, signin, stripe_local)
    bid = job["booking_id"]
    # when another helper, the customer, or anyone for a booking that does not exist asks
    other_helper = signin(make_helper()[1], "helper")
    # then it is not found, or refused
    assert ask(api, bid, other_helper, {"amount": 5000, "reason": "a new toner"})[0] == 404
    assert ask(api, bid, job["customer"], {"amount": 5000, "reason": "a new toner"})[0] == 403
    assert ask(api, "b_doesnotexist12", job["helper"], {"amount": 5000, "reason": "a new toner"})[0] == 404


def test_a_malformed_request_for_more_is_4xx_naming_the_field(api, signin, pump, stripe_local):
    # given a job under way
    job = given_a_job_under_way(api, signin, stripe_local)
    bid, helper = job["booking_id"], job["helper"]
    # when the helper's request is malformed, then it is 422 naming the field (400 for no object), never a 500
    for body, field in (({"amount": 0, "reason": "toner"}, "amount"), ({"amount": -5, "reason": "toner"}, "amount"),
                        ({"amount": "5000", "reason": "toner"}, "amount"), ({"amount": 50.5, "reason": "toner"}, "amount"),
                        ({"amount": 5000}, "reason"), ({"amount": 5000, "reason": "toner", "currency": "EUR"}, "currency"),
                        ({"amount": 5000, "reason": "toner", "currency": "chf"}, "currency"),
                        ({"amount": 20001, "reason": "toner"}, "amount"),
                        ({"amount": 5000, "reason": "toner", "tip": 1}, "tip")):
        status, problem, _ = ask(api, bid, helper, body)
        assert status == 422 and problem["field"] == field, (body, status, problem)
    assert api.call("POST", f"/v1/bookings/{bid}/extra-approval", "[1]", helper)[0] == 400


def test_a_request_for_more_waits_for_the_customer_who_is_told_and_sees_it(api, signin, pump, stripe_local, stack):
    # given a job under way (cap 100.00)
    # when the helper asks for 50.00 more
    job = given_an_extra_request_pending(api, signin, stripe_local)
    bid, view = job["booking_id"], job["asked"]
    # then it is pending with a new limit of 150.00, the limit still 100.00
    assert view["extra_approval"]["status"] == "pending" and view["extra_approval"]["new_limit"] == 15000
    assert view["limit"] == 10000
    # and the customer is told by e-mail and sees it on the booking
    wait_for(lambda: mails(stack, job["customer"]["_email"], "CHF 50.00", "a new toner cartridge"), timeout=60,
             what="the customer's e-mail")
    seen = api.call("GET", f"/v1/bookings/{bid}", headers=job["customer"])[1]["extra_approval"]
    assert seen["status"] == "pending" and seen["amount"] == 5000 and seen["reason"] == "a new toner cartridge"


def test_a_retried_request_is_the_same_one_and_another_while_it_waits_is_a_conflict(api, signin, pump, stripe_local):
    # given a pending request for 50.00 more
    job = given_an_extra_request_pending(api, signin, stripe_local)
    bid, helper = job["booking_id"], job["helper"]
    # when the helper's app retries it, then it is the same request; another one is 409
    assert ask(api, bid, helper, {"amount": 5000, "reason": "a new toner cartridge"})[0] == 201
    assert ask(api, bid, helper, {"amount": 7000, "reason": "something else"})[0] == 409
    assert len(payment(bid).extra_approvals) == 1


def test_only_the_customer_who_owns_the_booking_answers(api, signin, pump, stripe_local):
    # given a pending request for more
    job = given_an_extra_request_pending(api, signin, stripe_local)
    bid = job["booking_id"]
    # when a stranger or the helper approves, or the customer with a body, then it is refused
    assert answer(api, bid, signin(), "approve")[0] == 404
    assert answer(api, bid, job["helper"], "approve")[0] == 403
    assert answer(api, bid, job["customer"], "approve", {"x": 1})[0] == 422


def test_approval_raises_the_card_hold_to_the_new_limit(api, signin, pump, stripe_local, stack):
    # given a pending request for 50.00 more on a 100.00 hold
    # when the customer approves
    job = given_an_extra_request_approved(api, signin, stripe_local)
    bid, view = job["booking_id"], job["approved"]
    # then the limit is 150.00, held by a new PaymentIntent; the old one is cancelled
    assert view["extra_approval"]["status"] == "approved" and view["limit"] == 15000
    new_pi = payment(bid).payment_intent_id
    assert new_pi != job["old_pi"] and int(payment(bid).auth_seq) == 2
    assert intent(stripe_local, new_pi)["status"] == "requires_capture" and intent(stripe_local, new_pi)["amount"] == 15000
    assert intent(stripe_local, job["old_pi"])["status"] == "canceled"
    # and the helper is told, in German
    wait_for(lambda: mails(stack, job["helper_email"], "Zugestimmt: CHF 50.00 mehr"), timeout=60,
             what="the helper's e-mail")


def test_approving_twice_changes_nothing_and_declining_afterwards_is_a_conflict(api, signin, pump, stripe_local):
    # given an approved request
    job = given_an_extra_request_approved(api, signin, stripe_local)
    bid, customer = job["booking_id"], job["customer"]
    new_pi = payment(bid).payment_intent_id
    # when she approves again, then nothing changes
    status, again, _ = answer(api, bid, customer, "approve")
    assert status == 200 and again["limit"] == 15000 and payment(bid).payment_intent_id == new_pi
    # when she declines now, then it is 409
    assert answer(api, bid, customer, "decline")[0] == 409


def test_an_approved_job_settles_above_the_cap_within_the_new_limit(api, signin, pump, stripe_local):
    import requests

    # given an approved request (limit 150.00)
    job = given_an_extra_request_approved(api, signin, stripe_local)
    bid, helper = job["booking_id"], job["helper"]
    new_pi = payment(bid).payment_intent_id
    # when the helper completes after 90 min: 6 x 15.00 + travel 25.00 = 115.00, above the 100.00 cap
    assert api.call("POST", f"/v1/bookings/{bid}/complete", {"minutes_worked": 90}, helper)[0] == 200
    wait_for(lambda: "payout" in (payment(bid).steps or {}), timeout=60, what="the payout")
    # then 115.00 is captured on the new intent, no cap reduction, and the ledger balances
    p = payment(bid)
    assert p.facts["captured"] == 11500 and p.status == "captured"
    assert [i["code"] for i in p.line_items] == ["time", "travel"]
    assert intent(stripe_local, new_pi)["status"] == "succeeded"
    charge = requests.get(f"{stripe_local['base']}/v1/charges/{p.charge_id}", headers=stripe_local["auth"],
                          timeout=5).json()
    assert charge["payment_intent"] == new_pi and charge["amount"] - charge["amount_refunded"] == 11500
    ok, ledger = ledger_is_balanced(api, signin, bid)
    assert ok, ledger
    # and it is too late to ask for more now
    assert ask(api, bid, helper, {"amount": 100, "reason": "one more cable"})[0] == 409


def test_a_blocked_card_keeps_the_old_hold_and_the_request_pending(api, signin, pump, stripe_local):
    from chalicelib.adapters import stripe_gateway as gw
    from chalicelib.models.payments import Payment

    # given a pending request for more, and the saved card blocked since the booking
    job = given_an_extra_request_pending(api, signin, stripe_local)
    bid = job["booking_id"]
    p = payment(bid)
    blocked = gw.attach_payment_method("pm_card_chargeCustomerFail", p.stripe_customer_id)["id"]
    Payment(bid).update(actions=[Payment.payment_method.set(blocked)])
    # when the customer approves, then raising the hold is refused: 402 naming the payment method
    status, problem, _ = answer(api, bid, job["customer"], "approve")
    assert status == 402 and problem["field"] == "payment_method", problem
    # and the old hold stands, the request still pending
    p = payment(bid)
    assert p.payment_intent_id == job["old_pi"] and p.status == "authorised" and p.facts["authorised"] == 10000
    assert intent(stripe_local, job["old_pi"])["status"] == "requires_capture"
    assert p.extra_approvals[-1]["status"] == "pending"


def test_a_declined_request_keeps_the_limit_and_the_job_settles_at_the_cap(api, signin, pump, stripe_local):
    # given a pending request for 50.00 more on a 100.00 cap
    job = given_an_extra_request_pending(api, signin, stripe_local)
    bid, customer, helper = job["booking_id"], job["customer"], job["helper"]
    # when the customer declines (twice: the same answer)
    status, view, _ = answer(api, bid, customer, "decline")
    # then the limit stays, approving afterwards is a conflict, and the booking shows it declined
    assert status == 200 and view["extra_approval"]["status"] == "declined" and view["limit"] == 10000
    assert answer(api, bid, customer, "decline")[0] == 200
    assert answer(api, bid, customer, "approve")[0] == 409
    assert api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]["extra_approval"]["status"] == "declined"
    # when the job takes 90 min (115.00), then 100.00 is captured with a cap reduction, the ledger balanced
    assert api.call("POST", f"/v1/bookings/{bid}/complete", {"minutes_worked": 90}, helper)[0] == 200
    wait_for(lambda: "payout" in (payment(bid).steps or {}), timeout=60, what="the payout")
    p = payment(bid)
    assert p.facts["captured"] == 10000
    assert [i["code"] for i in p.line_items] == ["time", "travel", "cap_reduction"]
    ok, ledger = ledger_is_balanced(api, signin, bid)
    assert ok, ledger
