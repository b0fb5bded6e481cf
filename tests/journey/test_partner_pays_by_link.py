"""A card-billed partner's whole path on the local stack (issue 17), driven as the partner would:
over HTTP against `chalice local` (the API the web server fronts), with the pump, DynamoDB Local,
moto and localstripe. Ops create a card-billed tenant and its live key; the partner books for its
customer over the API; the booking waits, offered to nobody; the customer opens the payment link
from her e-mail on a 360 px phone in Chromium (her language, the partner's name and colour), types
her card and confirms with the keyboard only; the booking is dispatched; the helper completes it;
what was charged is the quote, and the commission report equals the ledger."""
from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, email_code, make_helper, shot
from tests.stack_fixtures import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PHONE = {"width": 360, "height": 740}
PRICING = {"hourly_rate_minor": 6000, "call_out_fee_minor": 2000, "remote_discount_percent": 20,
           "platform_fee_percent": 15, "partner_share_percent": 10, "default_price_cap_minor": 25000}


def http(base, method, path, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def sign_in(base, services, email, role):
    assert http(base, "POST", "/v1/auth/code", {"email": email, "role": role, "language": "de"})[0] == 202
    status, tok = http(base, "POST", "/v1/auth/token", {"email": email, "role": role,
                                                          "code": email_code(services, email)})
    assert status == 200, tok
    return {"Authorization": f"Bearer {tok['token']}"}


def test_a_partners_customer_pays_by_link_on_a_phone_and_commission_equals_the_ledger(new_context, web):
    from chalicelib.domain.ledger import booking_summary
    from chalicelib.services.payments import booking_movements, get_payment

    api, services = web["api"], web["services"]
    ops = sign_in(api, services, "ops@crowdfix.local", "ops")
    tid = "p-" + uuid.uuid4().hex[:10]
    status, tenant = http(api, "POST", "/v1/tenants", {
        "tenant_id": tid, "name": "Telco Uno", "locale": "de", "currency": "CHF", "billing_model": "card",
        "helper_pool": "crowd", "pricing": PRICING, "branding": {"primary": "#8a0b4f"},
        "landing": {"headline": "Hilfe", "call_to_action": "Buchen", "hotline": "+41 44 555 66 77"}},
        {**ops, "Idempotency-Key": "t-" + tid})
    assert status == 201, tenant
    status, key = http(api, "POST", f"/v1/tenants/{tid}/api-keys", {"name": "shop", "environment": "live"},
                       {**ops, "Idempotency-Key": "k-" + tid})
    assert status == 201, key
    partner = {"X-Api-Key": key["secret"]}

    helper = make_helper(payout_ready=True, lat=47.3769, lon=8.5417)
    place = "category=printer&mode=onsite&lat=47.3769&lon=8.5417&minutes=75"
    status, quote = http(api, "GET", f"/v1/partner/quote?{place}", headers=partner)
    assert status == 200, quote
    email = f"kundin-{uuid.uuid4().hex[:8]}@example.org"
    status, booking = http(api, "POST", "/v1/partner/bookings", {
        "category": "printer", "description": "Der Drucker druckt nur leere Seiten.", "mode": "onsite",
        "location": {"lat": 47.3769, "lon": 8.5417, "address": "Bahnhofstrasse 1", "postcode": "8001", "city": "Zürich"},
        "contact": {"name": "Erika Muster", "phone": "+41 44 123 45 67"}, "language": "de",
        "preferred_helper_id": helper["helper_id"], "customer": {"email": email, "name": "Erika Muster"},
        "external_ref": "ORD-" + uuid.uuid4().hex[:6]}, {**partner, "Idempotency-Key": "b-" + tid})
    assert status == 201 and booking["state"] == "awaiting_payment", booking
    bid = booking["booking_id"]

    # the payment link, from her e-mail (moto's SES outbox)
    from localdev.services import read_sent_emails
    mail = wait_for(lambda: [m for m in read_sent_emails(services.moto_url)
                             if email in json.dumps(m) and f"/pay/{bid}?tenant={tid}#token=" in json.dumps(m)],
                    timeout=60, what="the payment link e-mail")[0]
    assert "Telco Uno" in json.dumps(mail, ensure_ascii=False) and mail["subject"].startswith("Bitte Karte angeben")
    link = re.search(rf"/pay/{bid}\?tenant={tid}#token=[A-Za-z0-9._-]+", json.dumps(mail)).group(0)
    assert http(api, "GET", f"/v1/partner/bookings/{bid}", headers=partner)[1]["state"] == "awaiting_payment"

    # on her phone: the partner's name and colour, her language, everything reachable by keyboard
    ctx = new_context(viewport=PHONE, locale="de-CH")
    page = ctx.new_page()
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Karte angeben für Telco Uno")
    expect(page.get_by_text("Reserviert werden höchstens CHF")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Telco Uno an: \\+41 44 555 66 77"))).to_be_visible()
    # the whole page is the partner's: its name in the header and its hotline in the footer, never
    # crowdfix's mark or number beside it
    expect(page.locator("header .logo")).to_have_text("Telco Uno")
    expect(page.locator("footer")).to_contain_text("+41 44 555 66 77")
    assert "crowdfix" not in page.locator("header").inner_text().lower()
    from chalicelib.domain.links import table
    assert table()["support"]["display"] not in page.locator("body").inner_text()
    assert "#token=" not in page.url  # the token left the address bar
    assert page.evaluate("getComputedStyle(document.querySelector('[data-testid=pay-link]'))"
                         ".getPropertyValue('--primary').trim()") == "#8a0b4f"
    expect(page.get_by_label("Card number")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing off to the side
    assert_accessible(page, "pay-link-01-open")
    page.get_by_label("Card number").focus()
    page.keyboard.type("4242424242424242")
    for label, value in (("Expiry month (MM)", "12"), ("Expiry year (YY)", "34"), ("Security code (CVC)", "123")):
        # the card field moves on by itself once a part is complete; else Tab does
        if page.evaluate("document.activeElement && document.activeElement.getAttribute('aria-label')") != label:
            page.keyboard.press("Tab")
        expect(page.get_by_label(label)).to_be_focused()
        page.keyboard.type(value)
    postcode = page.get_by_label("Postcode")
    if postcode.count():
        postcode.fill("8001")
    button = page.get_by_role("button", name="Karte reservieren und Hilfe schicken")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Vielen Dank – Ihre Karte ist reserviert. "
                                                    "Wir suchen jetzt jemanden für Sie.")
    assert_accessible(page, "pay-link-02-paid")
    missing = page.evaluate("() => [...(window.__cfMissing || [])]")
    assert [m for m in missing if m.startswith("de:")] == [], missing
    assert get_payment(bid).status == "authorised"

    # dispatched only now; the helper takes it and works 75 minutes
    hh = sign_in(api, services, helper["email"], "helper")
    wait_for(lambda: any(o["booking_id"] == bid for o in http(api, "GET", "/v1/helper/offers", headers=hh)[1]["items"]),
             timeout=60, what="the offer after the hold")
    for step, body in (("accept", None), ("start", None), ("complete", {"minutes_worked": 75})):
        status, out = http(api, "POST", f"/v1/bookings/{bid}/{step}", body, hh)
        assert status == 200, (step, out)
    wait_for(lambda: booking_summary(booking_movements(bid))["partner_share"] > 0, timeout=60, what="settlement")
    s = booking_summary(booking_movements(bid))
    assert s["captured"] == quote["total"]["amount"]  # the quote is the price
    period = datetime.now(timezone.utc).strftime("%Y-%m")
    status, report = http(api, "GET", f"/v1/tenants/{tid}/commission?period={period}", headers=partner)
    assert status == 200, report
    assert report["totals"] == {"bookings": 1, "gross": s["captured"], "commission": s["partner_share"]}
    assert http(api, "GET", f"/v1/partner/bookings/{bid}", headers=partner)[1]["state"] == "completed"
    shot(page, "pay-link-03-after")


def test_a_sandbox_bookings_payment_link_takes_a_test_card_with_the_test_publishable_key(new_context, web):
    """The integrator's own try of the link: a test-key booking's hold is made with the Stripe test
    secret key, and Stripe only turns a card into a PaymentMethod for the publishable key of the same
    mode, so the page must ask for the test one (with the live one a real test card is refused)."""
    from localdev.stripe_local import LOCAL_PUBLISHABLE_KEY, LOCAL_TEST_PUBLISHABLE_KEY
    from chalicelib.services.payments import get_payment

    api, services = web["api"], web["services"]
    assert LOCAL_TEST_PUBLISHABLE_KEY != LOCAL_PUBLISHABLE_KEY
    # given a card-billed partner's test key and a test booking waiting for its card
    ops = sign_in(api, services, "ops@crowdfix.local", "ops")
    tid = "p-" + uuid.uuid4().hex[:10]
    status, tenant = http(api, "POST", "/v1/tenants", {
        "tenant_id": tid, "name": "Telco Probe", "locale": "fr", "currency": "CHF", "billing_model": "card",
        "helper_pool": "crowd", "pricing": PRICING}, {**ops, "Idempotency-Key": "t-" + tid})
    assert status == 201, tenant
    status, key = http(api, "POST", f"/v1/tenants/{tid}/api-keys", {"name": "try", "environment": "test"},
                       {**ops, "Idempotency-Key": "k-" + tid})
    assert status == 201, key
    partner = {"X-Api-Key": key["secret"]}
    status, booking = http(api, "POST", "/v1/partner/bookings", {
        "category": "internet_wifi", "description": "Le wifi se coupe toutes les heures.", "mode": "onsite",
        "location": {"lat": 47.3769, "lon": 8.5417, "address": "Bahnhofstrasse 1", "postcode": "8001", "city": "Zürich"},
        "contact": {"name": "Test Client", "phone": "+41 44 123 45 67"}, "language": "fr",
        "customer": {"email": f"essai-{uuid.uuid4().hex[:8]}@example.org", "name": "Test Client"},
        "external_ref": "TRY-" + uuid.uuid4().hex[:6]},
        {**partner, "Idempotency-Key": "b-" + tid})
    assert status == 201 and booking["state"] == "awaiting_payment" and booking["sandbox"] is True, booking
    bid = booking["booking_id"]
    status, link = http(api, "POST", f"/v1/partner/sandbox/bookings/{bid}/payment-link", None, partner)
    assert status == 200, link
    path = re.search(rf"/pay/{bid}\?tenant={tid}#token=[A-Za-z0-9._-]+", link["pay_url"]).group(0)

    # when the link is opened and a Stripe test card typed
    ctx = new_context(viewport=PHONE, locale="fr-CH")
    page = ctx.new_page()
    keys = []
    page.on("request", lambda r: keys.append(re.search(r"(?:^|&)key=([^&]+)", r.post_data or "").group(1))
            if r.method == "POST" and r.url.endswith("/v1/payment_methods") and "key=" in (r.post_data or "") else None)
    page.goto(path)
    expect(page.get_by_label("Card number")).to_be_visible()
    page.get_by_label("Card number").fill("4242424242424242")
    page.get_by_label("Expiry month (MM)").fill("12")
    page.get_by_label("Expiry year (YY)").fill("34")
    page.get_by_label("Security code (CVC)").fill("123")
    postcode = page.get_by_label("Postcode")
    if postcode.count():
        postcode.fill("8001")
    page.locator("[data-testid=pay-link] button.primary").click()

    # then the card was taken with the test publishable key and held in Stripe test mode
    expect(page.get_by_role("status")).to_be_visible()
    assert keys == [LOCAL_TEST_PUBLISHABLE_KEY], keys
    pay = get_payment(bid)
    assert pay.mode == "test" and pay.status == "authorised", pay
