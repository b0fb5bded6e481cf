"""The customer answers a helper's request for more than the price limit on the booking page
(a real browser against the local stack; the booking is set up through the API)."""
import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, make_helper
from tests.stack_fixtures import booking_body, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_customer_approves_more_on_the_booking_page(new_context, web, api, signin):
    h = make_helper(payout_ready=True)
    helper = signin(h["email"], "helper")
    customer = signin()
    place = {"lat": 47.36, "lon": 8.59, "address": "Witikonerstrasse 1", "postcode": "8053", "city": "Zürich"}
    status, booking, _ = api.call("POST", "/v1/bookings", booking_body(
        location=place, preferred_helper_id=h["helper_id"], language="en",
        price_cap={"amount": 10000, "currency": "CHF"}), customer)
    assert status == 201, booking
    bid = booking["booking_id"]
    assert api.call("POST", f"/v1/bookings/{bid}/payment", {"payment_method": "pm_card_visa"}, customer)[0] == 201
    wait_for(lambda: api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]["state"] == "offered", timeout=60)
    assert api.call("POST", f"/v1/bookings/{bid}/accept", headers=helper)[0] == 200
    assert api.call("POST", f"/v1/bookings/{bid}/start", headers=helper)[0] == 200
    status, view, _ = api.call("POST", f"/v1/bookings/{bid}/extra-approval",
                               {"amount": 5000, "reason": "The printer needs a new toner cartridge"}, helper)
    assert status == 201, view

    ctx = new_context()
    session = {"token": customer["Authorization"].split(" ", 1)[1], "id": customer["_id"],
               "email": customer["_email"], "role": "customer"}
    ctx.add_init_script(f"localStorage.setItem('cf.session.customer', {json.dumps(json.dumps(session))});"
                        "localStorage.setItem('cf.lang', 'en');")
    page = ctx.new_page()
    page.goto(f"/booking/{bid}")
    card = page.get_by_role("group", name="Your helper asks for more")
    expect(card).to_contain_text("allow up to CHF 50.00 more")
    expect(card).to_contain_text("The printer needs a new toner cartridge")
    assert_accessible(page, "x01-extra-approval-question")
    card.get_by_role("button", name="Yes, allow CHF 50.00 more").click()
    expect(page.get_by_text("You allowed CHF 50.00 more. New limit: CHF 150.00.")).to_be_visible()
    assert_accessible(page, "x02-extra-approval-approved")
    from chalicelib.services.payments import get_payment
    assert get_payment(bid).facts["authorised"] == 15000
