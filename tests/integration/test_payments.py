"""Payments end to end on the local stack: localstripe (+ the local Connect stand-in), DynamoDB Local,
the pump running the settle / cancel_payment effects, and Stripe webhooks signed by localstripe or
by hand. Told as given / when / then."""
from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import os
import random
import secrets
import threading
import time
import uuid

import pytest

from chalicelib.store.payments import payments
import requests

from tests.stack_fixtures import booking_body, wait_for

pytestmark = pytest.mark.integration

# a quiet corner (Valais) where no demo helper works, so only this module's helpers are offered jobs
SPOT = {"lat": 46.2331, "lon": 7.3606, "address": "Rue du Rhône 1", "postcode": "1950", "city": "Sion"}


# ---- given / when ----------------------------------------------------------------------------------

class Receiver:
    """A loopback HTTP endpoint registered with localstripe: keeps every signed event it gets."""

    def __init__(self):
        self.events: list[tuple[dict, bytes, str]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.events.append((json.loads(body), body, self.headers.get("Stripe-Signature", "")))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, match, timeout=15.0):
        return wait_for(lambda: next(((b, s) for ev, b, s in list(self.events) if match(ev)), None), timeout)


@pytest.fixture(scope="module")
def stripe_local(stack):
    from chalicelib import credentials
    from chalicelib.adapters.stripe_gateway import reset_client
    from localdev.stripe_local import register_webhook

    os.environ["CROWDFIX_STRIPE_SECRET_KEY"] = "sk_test_" + secrets.token_hex(12)
    os.environ["CROWDFIX_STRIPE_WEBHOOK_SECRET"] = "whsec_" + secrets.token_hex(16)
    credentials.forget("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")
    reset_client()
    receiver = Receiver()
    base = stack["services"].stripe_url
    register_webhook(base, receiver.url, os.environ["CROWDFIX_STRIPE_WEBHOOK_SECRET"], name=f"pytest-{uuid.uuid4().hex[:6]}")
    yield {"base": base, "secret": os.environ["CROWDFIX_STRIPE_WEBHOOK_SECRET"], "receiver": receiver,
           "auth": {"Authorization": f"Bearer {os.environ['CROWDFIX_STRIPE_SECRET_KEY']}"}}
    receiver.server.shutdown()
    # close the socket too: localstripe posts each event to every registered endpoint in turn, and a
    # listening socket nobody answers would hold the next module's events for aiohttp's 5-min timeout
    receiver.server.server_close()


def make_helper(spot=SPOT, rate=6000) -> tuple[str, str]:
    from chalicelib.models.base import now_iso
    from chalicelib.models.helpers import Helper

    hid = "h_pay" + uuid.uuid4().hex[:10]
    email = f"{hid}@example.org"
    Helper(helper_id=hid, tenant_id="crowdfix", email=email, email_key=f"crowdfix#{email}", name="Pat Payer",
           first_name="Pat", skills={"printer": 3}, lat=spot["lat"], lon=spot["lon"], service_radius_km=3,
           hourly_rate=rate, languages=["de"], status="active", tenant_status="crowdfix#active",
           created_at=now_iso()).save()
    return hid, email


def deliver(api, body: bytes, signature: str):
    return api.call("POST", "/v1/stripe/webhook", body,
                    {"Stripe-Signature": signature, "Content-Type": "application/json; charset=utf-8"})


def sign(secret: str, body: bytes, t: int | None = None) -> str:
    t = int(time.time()) if t is None else t
    return f"t={t},v1=" + hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def onboard(api, signin, stripe_local, email):
    """The helper opens the onboarding link; localstripe's signed account.updated reaches the webhook."""
    helper = signin(email, "helper")
    status, link, _ = api.call("POST", "/v1/helper/payouts/onboarding", {}, helper)
    assert status == 201, link
    assert link["payout_ready"] is False and link["url"].startswith(stripe_local["base"])
    resp = requests.get(link["url"], allow_redirects=False, timeout=5)
    assert resp.status_code == 302
    body, sig = stripe_local["receiver"].wait(
        lambda ev: ev["type"] == "account.updated" and ev["data"]["object"]["id"] == link["account_id"])
    status, answer, _ = deliver(api, body, sig)
    assert status == 200 and answer["result"] == "payout-ready", answer
    assert deliver(api, body, sig)[1]["result"] == "duplicate"
    assert api.call("GET", "/v1/helper/payouts", headers=helper)[1] == {"account_id": link["account_id"],
                                                                         "payout_ready": True}
    return helper, link["account_id"]


def book_and_authorise(api, signin, helper_id, cap=20000, card="pm_card_visa", customer=None):
    customer = customer or signin()
    status, booking, _ = api.call("POST", "/v1/bookings", booking_body(
        location=SPOT, preferred_helper_id=helper_id, price_cap={"amount": cap, "currency": "CHF"}, payment=None), customer)
    assert status == 201, booking
    bid = booking["booking_id"]
    status, pay, _ = api.call("POST", f"/v1/bookings/{bid}/payment", {"payment_method": card}, customer)
    return customer, bid, status, pay


def transfers(stripe_local, group):
    rows = requests.get(f"{stripe_local['base']}/_config/local/transfers", timeout=5).json()["transfers"]
    return [t for t in rows if t["transfer_group"] == group]


def intent(stripe_local, pi_id):
    return requests.get(f"{stripe_local['base']}/v1/payment_intents/{pi_id}", headers=stripe_local["auth"],
                        timeout=5).json()


def payment(bid):
    from chalicelib.services.payments import get_payment
    return get_payment(bid)


def run_job(api, bid, customer, helper, minutes=50):
    wait_for(lambda: api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]["state"] == "offered")
    assert api.call("POST", f"/v1/bookings/{bid}/accept", headers=helper)[0] == 200
    assert api.call("POST", f"/v1/bookings/{bid}/start", headers=helper)[0] == 200


TOTAL = 6000 + 2500 + 1290 + 500          # 4 x 15 min at 60.00/h + travel + part + tip
FEE = (2 * (TOTAL - 500) * 1500 + 10_000) // 20_000  # 15 % of the service, none on the tip
TO_HELPER = TOTAL - FEE


def given_a_settled_job(api, signin, pump, stripe_local) -> dict:
    """A payout-ready helper's job (CHF 200.00 held): a CHF 12.90 part, a CHF 5.00 tip, completed after
    50 minutes and settled (its receipt sent, settlement's last step)."""
    hid, email = make_helper(rate=6000)
    helper, account = onboard(api, signin, stripe_local, email)
    customer, bid, status, pay = book_and_authorise(api, signin, hid, cap=20000)
    assert status == 201, pay
    pi_id = payment(bid).payment_intent_id
    run_job(api, bid, customer, helper)
    assert api.call("POST", f"/v1/bookings/{bid}/parts", {"description": "USB cable", "amount": 1290}, helper)[0] == 201
    assert api.call("POST", f"/v1/bookings/{bid}/tip", {"amount": 500}, customer)[0] == 200
    status, done, _ = api.call("POST", f"/v1/bookings/{bid}/complete", {"minutes_worked": 50}, helper)
    assert status == 200 and done["state"] == "completed", done
    wait_for(lambda: "receipt_sent" in (payment(bid).steps or {}), what="settlement's last step")
    return {"helper_id": hid, "helper_email": email, "helper": helper, "account": account, "customer": customer,
            "booking_id": bid, "pi_id": pi_id}


# ---- holding and settling --------------------------------------------------------------------------

def test_a_booking_authorised_holds_the_cap_and_charges_nothing(api, signin, pump, stripe_local):
    # given a helper
    hid, _ = make_helper(rate=6000)
    # when a customer books with a cap of 200.00 and her card
    customer, bid, status, pay = book_and_authorise(api, signin, hid, cap=20000)
    # then the cap is held, not charged
    assert status == 201 and pay["status"] == "authorised" and pay["authorised"] == 20000, pay
    assert intent(stripe_local, payment(bid).payment_intent_id)["status"] == "requires_capture"


def test_settlement_captures_the_job_once_and_transfers_the_helpers_share(api, signin, pump, stripe_local):
    # given a job with a part and a tip
    # when the helper completes it and the bookings stream settles it
    job = given_a_settled_job(api, signin, pump, stripe_local)
    bid, customer = job["booking_id"], job["customer"]
    # then time, travel, part and tip are captured, the receipt says so, the booking's items add up
    status, view, _ = api.call("GET", f"/v1/bookings/{bid}/payment", headers=customer)
    assert view["status"] == "captured" and view["captured"] == TOTAL and view["receipt"]["total"] == TOTAL
    assert [i["code"] for i in view["line_items"]] == ["time", "travel", "part", "tip"]
    assert sum(i["amount"] for i in api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]["line_items"]) == TOTAL
    assert intent(stripe_local, job["pi_id"])["status"] == "succeeded"
    # and the helper's share, less the fee, is transferred from that charge to their account
    [tr] = transfers(stripe_local, bid)
    assert (tr["amount"], tr["destination"], tr["source_transaction"]) == (TO_HELPER, job["account"],
                                                                           payment(bid).charge_id)


def test_replayed_settlement_even_after_crashes_charges_and_transfers_once(api, signin, pump, stripe_local, stack):
    from chalicelib.domain.ledger import booking_summary
    from chalicelib.services.payments import booking_movements, settle_booking
    from localdev.services import read_sent_emails

    # given a settled job
    job = given_a_settled_job(api, signin, pump, stripe_local)
    bid = job["booking_id"]
    # when settlement runs three times more, and three more as if each crashed after Stripe answered
    # but before it was recorded
    for _ in range(3):
        settle_booking(bid)
    for _ in range(3):
        p = payment(bid)
        steps = p.steps
        steps.pop("capture"), steps.pop("payout")
        payments().write(p, {"steps": steps})
        assert settle_booking(bid)["result"] == "settled"
    # then one transfer, and the helper told of the payout by e-mail once, through the notification queue
    assert len(transfers(stripe_local, bid)) == 1
    pump.wait_idle(timeout=60)
    titles = ("Payout on its way", "Auszahlung unterwegs", "Versement en route", "Pagamento in arrivo")
    payout_mails = [m for m in read_sent_emails(stack["services"].moto_url)
                    if job["helper_email"] in json.dumps(m) and any(t in json.dumps(m, ensure_ascii=False) for t in titles)]
    assert len(payout_mails) == 1, payout_mails
    # and the ledger and the charge say captured once, the rest released
    s = booking_summary(booking_movements(bid))
    assert (s["captured"], s["platform_fee"], s["helper_earning"], s["paid_out"]) == (TOTAL, FEE, TO_HELPER, TO_HELPER)
    charge = requests.get(f"{stripe_local['base']}/v1/charges/{payment(bid).charge_id}", headers=stripe_local["auth"],
                          timeout=5).json()
    assert charge["amount"] - charge["amount_refunded"] == TOTAL


def test_statements_show_each_party_its_own_figures(api, signin, pump, stripe_local):
    # given a settled job
    job = given_a_settled_job(api, signin, pump, stripe_local)
    # when the helper reads their statement, then it shows the job earned and paid out
    status, st, _ = api.call("GET", "/v1/helper/statement", headers=job["helper"])
    assert status == 200 and st["totals"]["CHF"] == {"earned": TO_HELPER, "paid_out": TO_HELPER, "unpaid": 0}
    # and another helper may not read it
    other = signin(make_helper()[1], "helper")
    assert api.call("GET", f"/v1/helpers/{job['helper_id']}/statement", headers=other)[0] == 403
    # when ops read the platform's statement, then the fee is in it; the customer may not read it
    ops = signin("ops@crowdfix.local", "ops")
    status, tst, _ = api.call("GET", "/v1/tenants/crowdfix/statement", headers=ops)
    assert status == 200 and tst["totals"]["CHF"]["platform_fee"] >= FEE
    assert api.call("GET", "/v1/tenants/crowdfix/statement", headers=job["customer"])[0] == 403


def test_a_partial_refund_reverses_the_helpers_transfer_in_proportion(api, signin, pump, stripe_local):
    from chalicelib.domain.ledger import allocate_refund

    # given a settled job
    job = given_a_settled_job(api, signin, pump, stripe_local)
    bid = job["booking_id"]
    ops = signin("ops@crowdfix.local", "ops")
    # when the customer asks to refund, then 403: ops refund
    assert api.call("POST", f"/v1/bookings/{bid}/refund", {"amount": 2000}, job["customer"])[0] == 403
    # when ops refund 20.00
    status, after, _ = api.call("POST", f"/v1/bookings/{bid}/refund", {"amount": 2000, "reason": "slow"}, ops)
    # then it is partially refunded and the helper's transfer reversed by their part of it
    assert status == 200 and after["status"] == "partially_refunded" and after["refunded"] == 2000, after
    assert transfers(stripe_local, bid)[0]["amount_reversed"] == allocate_refund(2000, TO_HELPER, FEE, 0).helper
    # and refunding more than is left is 422 naming the amount
    status, problem, _ = api.call("POST", f"/v1/bookings/{bid}/refund", {"amount": TOTAL}, ops)
    assert status == 422 and problem["field"] == "amount"


def test_a_full_refund_leaves_every_account_at_zero(api, signin, pump, stripe_local):
    # given a settled job, 20.00 of it refunded
    job = given_a_settled_job(api, signin, pump, stripe_local)
    bid, hid, customer = job["booking_id"], job["helper_id"], job["customer"]
    ops = signin("ops@crowdfix.local", "ops")
    assert api.call("POST", f"/v1/bookings/{bid}/refund", {"amount": 2000, "reason": "slow"}, ops)[0] == 200
    # when ops refund the rest
    status, after, _ = api.call("POST", f"/v1/bookings/{bid}/refund", {}, ops)
    # then all is refunded, the helper's whole transfer reversed
    assert status == 200 and after["status"] == "refunded" and after["refunded"] == TOTAL
    assert transfers(stripe_local, bid)[0]["amount_reversed"] == TO_HELPER
    # and the booking's ledger balances with customer, payout and helper at zero (ops only may read it)
    status, ledger, _ = api.call("GET", f"/v1/bookings/{bid}/ledger", headers=ops)
    assert status == 200 and sum(b["balance"] for b in ledger["balances"]) == 0
    bal = {b["account"]: b["balance"] for b in ledger["balances"]}
    assert bal[f"customer:{customer['_id']}"] == 0 and bal[f"payout:{hid}"] == 0 and bal[f"helper:{hid}"] == 0
    assert api.call("GET", f"/v1/bookings/{bid}/ledger", headers=customer)[0] == 403
    # and the helper's statement shows nothing earned
    st = api.call("GET", "/v1/helper/statement", headers=job["helper"])[1]
    assert st["totals"]["CHF"] == {"earned": 0, "paid_out": 0, "unpaid": 0}


# ---- cards -----------------------------------------------------------------------------------------

def test_a_declined_card_is_a_402_and_is_not_kept(api, signin, pump, stripe_local):
    # given a helper
    hid, _ = make_helper()
    # when the customer's card is declined
    customer, bid, status, problem = book_and_authorise(api, signin, hid, card="pm_card_visa_chargeDeclined")
    # then it is 402 naming the payment method, the payment failed
    assert status == 402 and problem["field"] == "payment_method", problem
    assert payment(bid).status == "failed"
    # and nothing was saved to pay with (the declined card was not kept); another card holds it
    assert api.call("POST", f"/v1/bookings/{bid}/payment", {"use_saved": True}, customer)[0] == 422
    assert api.call("POST", f"/v1/bookings/{bid}/payment", {"payment_method": "pm_card_visa"}, customer)[0] == 201


def test_a_returning_customer_pays_the_next_booking_with_her_saved_card(api, signin, pump, stripe_local):
    # given a customer who paid a booking by card
    hid, _ = make_helper()
    customer, bid, status, _ = book_and_authorise(api, signin, hid, card="pm_card_visa")
    assert status == 201
    # when she books again and pays with the saved card
    _, bid2, _, _ = book_and_authorise(api, signin, hid, customer=customer, card="pm_card_visa")
    status, pay, _ = api.call("POST", f"/v1/bookings/{bid2}/payment", {"use_saved": True}, customer)
    # then it is held on the same Stripe customer
    assert status == 201 and pay["status"] == "authorised"
    assert payment(bid2).stripe_customer_id == payment(bid).stripe_customer_id
    # and asking for the saved card and a new one at once is 422
    status, problem, _ = api.call("POST", f"/v1/bookings/{bid2}/payment", {"use_saved": True, "payment_method": "pm_x12"},
                                  customer)
    assert status == 422 and problem["field"] == "body"


# ---- cancelling ------------------------------------------------------------------------------------

def test_a_free_cancel_releases_the_hold(api, signin, pump, stripe_local):
    # given a held booking nobody accepted
    hid, email = make_helper()
    onboard(api, signin, stripe_local, email)
    customer, bid, status, _ = book_and_authorise(api, signin, hid, cap=15000)
    assert status == 201
    # when the customer cancels
    assert api.call("POST", f"/v1/bookings/{bid}/cancel", {"reason": "fixed it"}, customer)[0] == 200
    # then the hold is released, the intent cancelled, nothing transferred
    wait_for(lambda: payment(bid).status == "released", what="the hold released")
    assert intent(stripe_local, payment(bid).payment_intent_id)["status"] == "canceled"
    assert transfers(stripe_local, bid) == []


def test_a_late_cancel_charges_the_fee_and_pays_it_to_the_helper(api, signin, pump, stripe_local):
    from chalicelib.domain.policy import PLATFORM_DEFAULTS

    # given a held booking its helper accepted
    hid, email = make_helper()
    helper, account = onboard(api, signin, stripe_local, email)
    customer, bid, status, _ = book_and_authorise(api, signin, hid, cap=15000)
    assert status == 201
    wait_for(lambda: api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]["state"] == "offered", what="offered")
    assert api.call("POST", f"/v1/bookings/{bid}/accept", headers=helper)[0] == 200
    # when the customer cancels
    assert api.call("POST", f"/v1/bookings/{bid}/cancel", {"reason": "changed my mind"}, customer)[0] == 200
    # then the late-cancel fee is captured and transferred to the helper
    wait_for(lambda: "payout" in payment(bid).steps, what="the fee paid out")
    fee = PLATFORM_DEFAULTS["late_cancel_fee_minor"]
    assert payment(bid).status == "captured" and payment(bid).facts["captured"] == fee
    [tr] = transfers(stripe_local, bid)
    assert tr["amount"] == fee and tr["destination"] == account


# ---- Stripe webhooks -------------------------------------------------------------------------------

def _pi_event(pi_id, bid, etype, status, **extra):
    obj = {"id": pi_id, "object": "payment_intent", "amount": 10_000, "status": status,
           "metadata": {"booking_id": bid}, **extra}
    return etype, obj


def _charge_event(pi_id, refunded):
    return "charge.refunded", {"id": "ch_x", "object": "charge", "payment_intent": pi_id, "amount": 10_000,
                               "amount_captured": 8000, "captured": True, "amount_refunded": refunded}


def test_duplicated_and_reordered_webhooks_reach_the_same_state(api, signin, pump, stripe_local):
    # given two held bookings, and for each the same four events: held, captured, refunded 10.00, then 30.00
    hid, _ = make_helper()
    finals = []
    for shuffle in (False, True):
        _, bid, status, _ = book_and_authorise(api, signin, hid)
        assert status == 201
        pi_id = payment(bid).payment_intent_id
        events = [_pi_event(pi_id, bid, "payment_intent.amount_capturable_updated", "requires_capture"),
                  _pi_event(pi_id, bid, "payment_intent.succeeded", "succeeded", amount_received=8000),
                  _charge_event(pi_id, 1000), _charge_event(pi_id, 3000)]
        signed = []
        for n, (etype, obj) in enumerate(events):
            body = json.dumps({"id": f"evt_{uuid.uuid4().hex[:12]}_{n}", "object": "event", "type": etype,
                               "created": int(time.time()), "data": {"object": obj}}).encode()
            signed.append((body, sign(stripe_local["secret"], body)))
        # when they arrive in order for one, reversed and duplicated for the other
        if shuffle:
            signed = list(reversed(signed)) + random.Random(5).sample(signed, len(signed))  # reordered + duplicated
        results = [deliver(api, b, s)[1]["result"] for b, s in signed]
        if shuffle:
            assert "duplicate" in results and "out-of-order" in results, results
        p = payment(bid)
        finals.append((p.status, p.facts))
    # then both end in the same state: partially refunded, 30.00
    assert finals[0] == finals[1]
    assert finals[0][0] == "partially_refunded" and finals[0][1]["refunded"] == 3000


def test_webhook_signatures_are_checked(api, stripe_local):
    body = json.dumps({"id": "evt_sig1", "object": "event", "type": "customer.created", "created": int(time.time()),
                       "data": {"object": {}}}).encode()
    # when an event comes signed with our secret, then it is taken
    good = sign(stripe_local["secret"], body)
    assert deliver(api, body, good)[0] == 200
    # when it is tampered with, signed by another secret, too old or unsigned, then it is 400
    tampered = body.replace(b"customer.created", b"customer.deleted")
    assert deliver(api, tampered, good)[0] == 400
    forged = sign("whsec_not_ours", body)
    assert deliver(api, body, forged)[0] == 400
    stale = sign(stripe_local["secret"], body, t=int(time.time()) - 301)
    status, problem, _ = deliver(api, body, stale)
    assert status == 400 and problem["field"] == "Stripe-Signature"
    assert api.call("POST", "/v1/stripe/webhook", body, {"Content-Type": "application/json"})[0] == 400


def test_localstripe_signed_payment_event_and_dispute_flag(api, signin, pump, stripe_local, stack):
    # given a job completed and captured
    hid, email = make_helper()
    helper, _ = onboard(api, signin, stripe_local, email)
    customer, bid, _, _ = book_and_authorise(api, signin, hid)
    run_job(api, bid, customer, helper)
    api.call("POST", f"/v1/bookings/{bid}/complete", {"minutes_worked": 20}, helper)
    wait_for(lambda: payment(bid).charge_id)
    pi_id = payment(bid).payment_intent_id
    # then localstripe's own signed payment_intent.succeeded (sent on capture) passes verification
    body, sig = stripe_local["receiver"].wait(
        lambda ev: ev["type"] == "payment_intent.succeeded" and ev["data"]["object"]["id"] == pi_id)
    status, answer, _ = deliver(api, body, sig)
    assert status == 200 and answer["result"] in ("applied", "out-of-order")
    assert payment(bid).status == "captured"

    # when the customer disputes the charge
    resp = requests.post(f"{stripe_local['base']}/_config/local/disputes",
                         data={"charge": payment(bid).charge_id, "reason": "fraudulent"}, timeout=5)
    assert resp.status_code == 200
    body, sig = stripe_local["receiver"].wait(
        lambda ev: ev["type"] == "charge.dispute.created" and ev["data"]["object"]["payment_intent"] == pi_id)
    # then the signed dispute event flags the payment and ops are e-mailed
    assert deliver(api, body, sig)[1]["result"] == "flagged"
    assert payment(bid).dispute["reason"] == "fraudulent"
    from chalicelib.models.payments import Payment
    assert bid in [p.booking_id for p in Payment.by_tenant_flag.query("crowdfix#dispute")]
    from localdev.services import read_sent_emails
    mails = json.dumps(read_sent_emails(stack["services"].moto_url))
    assert "ops@crowdfix.local" in mails and bid in mails


def test_old_holds_are_renewed_or_released(api, signin, pump, stripe_local):
    from datetime import datetime, timedelta, timezone

    from chalicelib.models.payments import Payment
    from chalicelib.services.payments import renew_or_release_holds

    # given a booking its (payout-ready) helper accepted: open, so its hold is renewed, not released
    hid, email = make_helper()
    helper, _ = onboard(api, signin, stripe_local, email)
    customer, open_bid, status, _ = book_and_authorise(api, signin, hid)
    assert status == 201
    wait_for(lambda: api.call("GET", f"/v1/bookings/{open_bid}", headers=customer)[1]["state"] == "offered",
             what="offered")
    assert api.call("POST", f"/v1/bookings/{open_bid}/accept", headers=helper)[0] == 200
    # when the hourly plan runs six days and an hour later
    now = datetime.now(timezone.utc) + timedelta(days=6, hours=1)
    old_pi = payment(open_bid).payment_intent_id
    assert renew_or_release_holds(now=now)["queued"] >= 1  # the plan; the pump renews it off the work queue
    # then the pump renews it: a new intent holds it, the old one is cancelled
    p = wait_for(lambda: (lambda p: p if int(p.auth_seq) == 2 else None)(payment(open_bid)), what="hold renewed")
    assert p.payment_intent_id != old_pi and p.status == "authorised"
    assert intent(stripe_local, old_pi)["status"] == "canceled"
    assert intent(stripe_local, p.payment_intent_id)["status"] == "requires_capture"
    # and a recent hold is kept
    assert open_bid not in _planned(renew_or_release_holds, datetime.now(timezone.utc))
    assert Payment.get(open_bid, consistent_read=True).payment_intent_id == p.payment_intent_id


def _planned(plan, now) -> set[str]:
    """The bookings whose holds ``plan(now)`` enqueues (captured instead of sent)."""
    from unittest import mock

    sent: list[dict] = []
    with mock.patch("chalicelib.queues.send_many", lambda kind, messages: sent.extend(messages)):
        plan(now=now)
    return {m["booking_id"] for m in sent}


def test_only_payout_ready_helpers_are_offered_paid_jobs(api, signin, pump, stripe_local):
    # given a corner whose only helper has not set up payouts
    spot = {**SPOT, "lat": 46.5, "lon": 9.9, "city": "Samedan", "postcode": "7503"}
    make_helper(spot=spot)  # not onboarded
    # when a customer books there
    customer = signin()
    status, booking, _ = api.call("POST", "/v1/bookings", booking_body(location=spot), customer)
    assert status == 201
    final = wait_for(lambda: (lambda b: b if b["state"] in ("offered", "unmatched") else None)(
        api.call("GET", f"/v1/bookings/{booking['booking_id']}", headers=customer)[1]))
    # then nobody is offered it: unmatched
    assert final["state"] == "unmatched"
