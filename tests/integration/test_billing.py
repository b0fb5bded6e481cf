"""Billing models on the local stack (issue 17): a card-billed partner's customer pays through the
e-mailed payment link and only then is the booking dispatched; a partner billed by invoice gets a
numbered monthly invoice (VAT by country) whose totals are the ledger's, and the commission
report agrees with the ledger. DynamoDB Local, moto (SES), localstripe and the pump; told as given / when / then."""
from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timezone

import pytest

from tests.integration.partner_fixtures import new_partner, partner_booking
from tests.stack_fixtures import wait_for

pytestmark = pytest.mark.integration

SPOT = {"lat": 47.3769, "lon": 8.5417, "address": "Bahnhofstrasse 1", "postcode": "8001", "city": "Zürich"}
PRICING = {"hourly_rate_minor": 6000, "call_out_fee_minor": 2000, "remote_discount_percent": 20,
           "platform_fee_percent": 15, "partner_share_percent": 10, "default_price_cap_minor": 25000}


# ---- given / when ----------------------------------------------------------------------------------

def make_helper() -> tuple[str, str]:
    from chalicelib.models.base import now_iso
    from chalicelib.models.helpers import Helper

    hid = "h_bl" + uuid.uuid4().hex[:10]
    email = f"{hid}@example.org"
    Helper(helper_id=hid, tenant_id="crowdfix", email=email, email_key=f"crowdfix#{email}", name="Bea Bill",
           first_name="Bea", skills={"printer": 3}, lat=SPOT["lat"], lon=SPOT["lon"], service_radius_km=5,
           hourly_rate=9900, languages=["de", "en"], status="active", tenant_status="crowdfix#active",
           payout_ready=True, created_at=now_iso()).save()
    return hid, email


def payment_link_mail(stack, email: str) -> dict:
    from localdev.services import read_sent_emails

    def found():
        return [m for m in read_sent_emails(stack["services"].moto_url)
                if email in json.dumps(m) and "/pay/" in json.dumps(m)]
    return wait_for(found, timeout=60, what="the payment link e-mail")[0]


def link_of(mail: dict, bid: str) -> tuple[str, str]:
    text = json.dumps(mail, ensure_ascii=False)
    # ?tenant= makes the page the partner's (its mark, colours and hotline), as in its widget
    m = re.search(rf"(https?://[^\s\"'<>\\]+)/pay/{bid}\?tenant=[a-z][a-z0-9-]+#token=([A-Za-z0-9._-]+)", text)
    assert m, text
    return m.group(0), m.group(2)


def work(api, signin, helper_email, bid, minutes):
    helper = signin(helper_email, "helper")
    wait_for(lambda: any(o["booking_id"] == bid for o in api.call("GET", "/v1/helper/offers", headers=helper)[1]["items"]),
             timeout=60, what="the offer")
    for step, body in (("accept", None), ("start", None), ("complete", {"minutes_worked": minutes})):
        status, out, _ = api.call("POST", f"/v1/bookings/{bid}/{step}", body, helper)
        assert status == 200, (step, out)


def summary(bid):
    from chalicelib.domain.ledger import booking_summary
    from chalicelib.services.payments import booking_movements
    return booking_summary(booking_movements(bid))


def given_a_card_partners_booking(api, signin, stack) -> dict:
    """A card-billed partner's booking of a fresh helper for a French-speaking customer, awaiting her card:
    ``{"partner", "booking_id", "helper_email", "mail", "url", "token"}`` (the payment link e-mail read)."""
    p = new_partner(api, signin, environment="live", billing_model="card", pricing=PRICING,
                    landing={"headline": "Hilfe", "call_to_action": "Buchen", "hotline": "+41 44 000 11 22"})
    hid, hemail = make_helper()
    email = f"pay-{uuid.uuid4().hex[:8]}@example.org"
    status, booking, _ = api.call("POST", "/v1/partner/bookings",
                                  partner_booking(email=email, location=SPOT, preferred_helper_id=hid, language="fr"),
                                  p["h"])
    assert status == 201 and booking["state"] == "awaiting_payment", booking
    bid = booking["booking_id"]
    mail = payment_link_mail(stack, email)
    url, token = link_of(mail, bid)
    return {"partner": p, "booking_id": bid, "helper_email": hemail, "mail": mail, "url": url, "token": token}


def when_she_pays_by_the_link(api, given: dict, payment_method: str = "pm_card_visa"):
    return api.call("POST", f"/v1/pay/{given['booking_id']}", {"payment_method": payment_method},
                    {"X-Payment-Token": given["token"]})[:2]


# ---- billed by card ---------------------------------------------------------------------------------

def test_a_card_partners_customer_is_mailed_a_payment_link_in_her_language_and_nobody_is_offered_it(
        api, signin, pump, stack):
    from chalicelib.models.offers import Offer

    # given a card partner's booking for a French-speaking customer
    given = given_a_card_partners_booking(api, signin, stack)
    # then her e-mail is in French with the partner's name, and nobody is offered the booking before the hold
    assert given["mail"]["subject"].startswith("Indiquez votre carte")
    assert f"Partner {given['partner']['tenant_id']}" in json.dumps(given["mail"], ensure_ascii=False)
    assert pump.wait_idle(timeout=30)
    assert list(Offer.query(given["booking_id"])) == []


def test_the_links_token_opens_this_one_booking_under_the_partners_name_and_nothing_else(api, signin, pump, stack):
    # given a card partner's booking and its payment link's token
    given = given_a_card_partners_booking(api, signin, stack)
    p, bid, token = given["partner"], given["booking_id"], given["token"]
    # when the pay page reads the booking with the token
    status, page, _ = api.call("GET", f"/v1/pay/{bid}", headers={"X-Payment-Token": token})
    # then it shows this booking, awaiting payment, under the partner's name and hotline, with cap and deadline
    assert status == 200 and page["state"] == "awaiting_payment" and not page["paid"], page
    assert page["tenant"]["name"] == f"Partner {p['tenant_id']}" and page["tenant"]["hotline"] == "+41 44 000 11 22"
    assert page["price_cap"] == {"amount": 25000, "currency": "CHF"} and page["pay_until"]
    # and without the token, or with a changed one, it is 401
    assert api.call("GET", f"/v1/pay/{bid}")[0] == 401
    assert api.call("GET", f"/v1/pay/{bid}", headers={"X-Payment-Token": token[:-2] + "xx"})[0] == 401
    # and the token opens no other booking of the partner, and is no sign-in token
    other = api.call("POST", "/v1/partner/bookings", partner_booking(location=SPOT), p["h"])[1]["booking_id"]
    status, problem, _ = api.call("GET", f"/v1/pay/{other}", headers={"X-Payment-Token": token})
    assert status == 403 and problem["field"] == "X-Payment-Token"
    assert api.call("GET", f"/v1/bookings/{bid}", headers={"Authorization": f"Bearer {token}"})[0] == 401


def test_a_declined_card_leaves_it_waiting_and_the_good_one_holds_it_and_dispatches_it(api, signin, pump, stack):
    from chalicelib.models.bookings import Booking

    # given a card partner's booking awaiting her card
    given = given_a_card_partners_booking(api, signin, stack)
    bid = given["booking_id"]
    # when her first card is declined, then it is 402
    status, problem = when_she_pays_by_the_link(api, given, "pm_card_visa_chargeDeclined")
    assert status == 402, problem
    # when the good card follows, then it is held and the booking dispatched
    status, page = when_she_pays_by_the_link(api, given)
    assert status == 200 and page["paid"] and page["state"] in ("requested", "offered"), page
    wait_for(lambda: Booking.get(bid, consistent_read=True).state == "offered", timeout=60, what="dispatched")
    # and paying again holds nothing twice
    assert when_she_pays_by_the_link(api, given)[0] == 200


def test_a_card_partners_job_captures_the_quote_and_its_commission_is_the_ledgers(api, signin, pump, stack):
    # given a card partner's booking, paid by the link
    given = given_a_card_partners_booking(api, signin, stack)
    p, bid = given["partner"], given["booking_id"]
    assert when_she_pays_by_the_link(api, given)[0] == 200
    # when the helper works 60 minutes
    work(api, signin, given["helper_email"], bid, 60)
    wait_for(lambda: summary(bid)["helper_earning"] > 0, timeout=60, what="settlement (capture and division)")
    # then the capture is the quote for 60 minutes: 60.00 + call-out 20.00, with a 10 % partner share
    s = summary(bid)
    assert s["captured"] == 6000 + 2000
    assert s["partner_share"] == 800
    # and the commission report and the statement (read with the partner's key) are the ledger's
    period = datetime.now(timezone.utc).strftime("%Y-%m")
    report = api.call("GET", f"/v1/tenants/{p['tenant_id']}/commission?period={period}", headers=p["h"])[1]
    assert report["totals"] == {"bookings": 1, "gross": s["captured"], "commission": s["partner_share"]}
    statement = api.call("GET", f"/v1/tenants/{p['tenant_id']}/statement", headers=p["h"])[1]
    assert statement["totals"]["CHF"]["partner_share"] == s["partner_share"]


# ---- billed by invoice ------------------------------------------------------------------------------

@pytest.mark.parametrize("currency,country,rate", [("CHF", "CH", 810), ("EUR", "DE", 1900), ("EUR", "CH", 810)])
def test_an_invoice_partner_gets_a_numbered_invoice_whose_totals_are_the_ledgers(api, signin, pump, stack,
                                                                                 currency, country, rate):
    from chalicelib.domain import ledger as L
    from chalicelib.domain.invoicing import receivable, vat_account
    from chalicelib.store.ledger import ledger

    """A month of invoice billing, told in order: two jobs, the commission, the invoice, its ledger,
    issuing it again, and the partner reading it."""
    # given an invoice partner in this currency (and country), and two jobs of 50 and 95 minutes done
    p = new_partner(api, signin, environment="live", billing_model="invoice", currency=currency, pricing=PRICING,
                    **({"country": country} if currency == "EUR" and country == "CH" else {}))  # else: by currency
    tid, ops = p["tenant_id"], p["ops"]
    hid, hemail = make_helper()
    made = []
    for minutes in (50, 95):
        body = partner_booking(location=SPOT, preferred_helper_id=hid,
                               price_cap={"amount": 25000, "currency": currency})
        status, b, _ = api.call("POST", "/v1/partner/bookings", body, p["h"])
        assert status == 201 and b["state"] in ("requested", "offered"), b  # no card asked
        quote = api.call("GET", f"/v1/partner/quote?category=printer&mode=onsite&lat={SPOT['lat']}&lon={SPOT['lon']}"
                                f"&minutes={minutes}", headers=p["h"])[1]
        work(api, signin, hemail, b["booking_id"], minutes)
        made.append((b["booking_id"], quote["total"]["amount"]))
    # then each booking is invoiced at its quote, no card captured, the quote divided three ways
    for bid, quoted in made:
        wait_for(lambda: summary(bid)["invoiced"] > 0, timeout=60, what="invoiced (booked after the division)")
        s = summary(bid)
        assert s["invoiced"] == quoted and s["captured"] == 0  # the quote is the price; no card
        assert s["platform_fee"] + s["partner_share"] + s["helper_earning"] == quoted

    # and the commission report is the ledger's
    period = datetime.now(timezone.utc).strftime("%Y-%m")
    report = api.call("GET", f"/v1/tenants/{tid}/commission?period={period}", headers=ops)[1]
    assert report["totals"]["commission"] == sum(summary(b)["partner_share"] for b, _ in made)

    # when the partner's key tries to issue the month's invoice, then it may not
    assert api.call("POST", f"/v1/tenants/{tid}/invoices", {"period": period}, p["h"])[0] in (401, 403)
    # when ops issues it, then it is number 1, with the country's VAT, both bookings and the ledger's totals
    status, invoice, _ = api.call("POST", f"/v1/tenants/{tid}/invoices", {"period": period}, ops)
    assert status == 201, invoice
    assert invoice["number"] == 1 and invoice["country"] == country and invoice["vat_rate_bp"] == rate
    assert sorted(x["booking_id"] for x in invoice["lines"]) == sorted(b for b, _ in made)
    gross = sum(q for _, q in made)
    commission = sum(summary(b)["partner_share"] for b, _ in made)
    assert (invoice["gross"], invoice["commission"], invoice["net"]) == (gross, commission, gross - commission)
    assert invoice["vat"] == ((gross - commission) * rate * 2 + 10_000) // 20_000
    assert invoice["total"] == invoice["net"] + invoice["vat"]

    # and the ledger behind it: what the partner owes is the invoice's total; VAT sits with the country
    owed = -sum(int(e.amount) for e in ledger().of_account(receivable(tid)))
    assert owed == invoice["total"]
    vat_rows = [e for e in ledger().of_account(vat_account(country)) if e.booking_id == invoice["number_display"]]
    assert sum(int(e.amount) for e in vat_rows) == invoice["vat"]
    partner_left = sum(int(e.amount) for e in ledger().of_account(L.partner(tid)))
    assert partner_left == 0  # the commission was set off on the invoice

    # when the month is issued again, then it answers the same invoice and books nothing twice
    status, again, _ = api.call("POST", f"/v1/tenants/{tid}/invoices", {"period": period}, ops)
    assert status == 201 and again == invoice
    assert -sum(int(e.amount) for e in ledger().of_account(receivable(tid))) == invoice["total"]

    # when the partner reads its own invoices with its key, then it gets JSON, CSV and PDF
    listing = api.call("GET", f"/v1/tenants/{tid}/invoices", headers=p["h"])[1]
    assert [i["number"] for i in listing["items"]] == [1]
    resp = api.client.http.get(f"/v1/tenants/{tid}/invoices/1/csv", headers=p["h"])
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/csv")
    csv_text = resp.body.decode()
    assert made[0][0] in csv_text and f",{invoice['total']}," in csv_text
    resp = api.client.http.get(f"/v1/tenants/{tid}/invoices/1/pdf", headers={**p["h"], "Accept": "application/pdf"})
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/pdf"
    assert resp.body.startswith(b"%PDF-") and len(resp.body) > 800
    # and an invoice not issued, or another partner's, is not found
    assert api.call("GET", f"/v1/tenants/{tid}/invoices/2", headers=p["h"])[0] == 404
    other = new_partner(api, signin)
    assert api.call("GET", f"/v1/tenants/{tid}/invoices", headers=other["h"])[0] == 404
    assert api.call("GET", f"/v1/tenants/{tid}/invoices/1/pdf", headers=other["h"])[0] == 404
