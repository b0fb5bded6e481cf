"""The receipt screen (/booking/{id}/receipt, issue 14.2) for what is not a settled visit: while the
card is only held it says the receipt comes once charged; a late cancellation's fee is its receipt
(the fee, charged, the rest released), linked from the booking page; in Italian, on a 360 px phone.
The settled visit's receipt is followed in tests/journey/test_first_time_customer.py."""
import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, make_helper
from tests.journey.words import fill, words
from tests.stack_fixtures import booking_body, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_receipt_while_held_then_of_a_late_cancellation(new_context, web, api, signin):
    from chalicelib.services.payments import get_payment

    W = words()["it"]
    h = make_helper(payout_ready=True)
    helper = signin(h["email"], "helper")
    customer = signin()
    place = {"lat": 47.36, "lon": 8.59, "address": "Witikonerstrasse 1", "postcode": "8053", "city": "Zürich"}
    status, booking, _ = api.call("POST", "/v1/bookings", booking_body(
        location=place, preferred_helper_id=h["helper_id"], language="it"), customer)
    assert status == 201, booking
    bid = booking["booking_id"]
    wait_for(lambda: api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]["state"] == "offered", timeout=60)

    ctx = new_context(viewport={"width": 360, "height": 740}, locale="it-CH")
    session = {"token": customer["Authorization"].split(" ", 1)[1], "id": customer["_id"],
               "email": customer["_email"], "role": "customer"}
    ctx.add_init_script(f"localStorage.setItem('cf.session.customer', {json.dumps(json.dumps(session))});")
    page = ctx.new_page()
    page.goto(f"/booking/{bid}/receipt")
    expect(page.get_by_role("heading", level=1)).to_have_text(W["rc_title"])
    expect(page.get_by_test_id("receipt-pending")).to_have_text(W["rc_pending"])  # only held: nothing to show yet

    assert api.call("POST", f"/v1/bookings/{bid}/accept", headers=helper)[0] == 200
    assert api.call("POST", f"/v1/bookings/{bid}/cancel", {}, customer)[0] == 200
    pay = wait_for(lambda: (lambda p: p if p.status == "captured" else None)(get_payment(bid)), timeout=60,
                   what="the late-cancel fee charged")
    fee, held = int(pay.facts["captured"]), int(pay.facts["authorised"])
    assert fee > 0
    chf = lambda amount: page.evaluate(  # noqa: E731 — her locale's money format, as the app uses it
        "(a) => new Intl.NumberFormat('it-CH', {style: 'currency', currency: 'CHF'}).format(a / 100)", amount)

    page.goto(f"/booking/{bid}")
    expect(page.get_by_test_id("charged")).to_have_text(fill(W["charged"], amount=chf(fee)))
    page.get_by_test_id("receipt-link").click()
    expect(page).to_have_url(f"{web['url']}/booking/{bid}/receipt")
    row = page.locator("table.bill tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(W["li_cancel_fee"])
    assert int(row.locator("td.num").get_attribute("data-amount")) == fee
    total = page.get_by_test_id("receipt-total")
    assert int(total.get_attribute("data-amount")) == fee
    expect(total).to_have_text(chf(fee))
    expect(page.get_by_test_id("receipt-released")).to_have_text(fill(W["released_amt"], amount=chf(held - fee)))
    assert_accessible(page, "r01-receipt-late-cancel-it")
    assert page.evaluate("() => [...window.__cfMissing]") == []
