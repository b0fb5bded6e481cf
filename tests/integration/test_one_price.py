"""Issue 14: the partner quote is the one price. A partner (billed by card, its own tariff) quotes N
minutes; its customer's card is held; a helper whose own rate differs works exactly N minutes; what
settlement captures is the quote (travel fee included, never above the cap), and a tip is added on
top with no platform fee on it. On DynamoDB Local, localstripe and the pump; told as given / when / then."""
from __future__ import annotations

import uuid

import pytest

from tests.integration.partner_fixtures import new_partner, partner_booking
from tests.stack_fixtures import wait_for

pytestmark = pytest.mark.integration

SPOT = {"lat": 46.0037, "lon": 8.9511, "address": "Via Nassa 1", "postcode": "6900", "city": "Lugano"}
TARIFF = {"hourly_rate_minor": 7000, "call_out_fee_minor": 2000, "remote_discount_percent": 20,
          "platform_fee_percent": 15, "partner_share_percent": 10, "default_price_cap_minor": 25000}


# ---- given / when ----------------------------------------------------------------------------------

def make_helper(rate: int) -> tuple[str, str]:
    from chalicelib.models.base import now_iso
    from chalicelib.models.helpers import Helper

    hid = "h_op" + uuid.uuid4().hex[:10]
    email = f"{hid}@example.org"
    Helper(helper_id=hid, tenant_id="crowdfix", email=email, email_key=f"crowdfix#{email}", name="Gino Preis",
           first_name="Gino", skills={"printer": 3}, lat=SPOT["lat"], lon=SPOT["lon"], service_radius_km=5,
           hourly_rate=rate, languages=["de", "it"], status="active", tenant_status="crowdfix#active",
           payout_ready=True, created_at=now_iso()).save()
    return hid, email


def given_a_card_partners_quote(api, partner: dict, minutes: int) -> dict:
    status, quote, _ = api.call("GET", f"/v1/partner/quote?category=printer&mode=onsite&lat={SPOT['lat']}"
                                       f"&lon={SPOT['lon']}&minutes={minutes}", headers=partner["h"])
    assert status == 200, quote
    assert {i["code"] for i in quote["line_items"]} >= {"time", "travel"}
    return quote


def given_the_partners_booking_held(api, partner: dict, helper_id: str, tip: int) -> str:
    """The partner books this helper; its customer's card is held (and a tip set) as the payment page does."""
    from chalicelib.domain.actors import Actor
    from chalicelib.models.bookings import Booking
    from chalicelib.services import payments

    status, booking, _ = api.call("POST", "/v1/partner/bookings",
                                  partner_booking(location=SPOT, preferred_helper_id=helper_id), partner["h"])
    assert status == 201 and booking["state"] == "awaiting_payment", booking
    bid = booking["booking_id"]
    customer = Actor("customer", Booking.get(bid).customer_id, partner["tenant_id"])
    assert payments.authorise_booking(customer, bid, "pm_card_visa", False).status == "authorised"
    if tip:
        payments.set_tip(customer, bid, tip)
    return bid


def when_the_helper_works(api, helper: dict, bid: str, minutes: int) -> None:
    wait_for(lambda: any(o["booking_id"] == bid for o in api.call("GET", "/v1/helper/offers", headers=helper)[1]["items"]),
             timeout=30, what="the offer")
    for step, body in (("accept", None), ("start", None), ("complete", {"minutes_worked": minutes})):
        status, out, _ = api.call("POST", f"/v1/bookings/{bid}/{step}", body, helper)
        assert status == 200, (step, out)


@pytest.mark.parametrize("minutes,tip", [(50, 0), (60, 0), (95, 1500)])
def test_a_partner_quote_for_n_minutes_is_what_an_n_minute_job_settles_at(api, signin, pump, minutes, tip):
    from chalicelib.services import payments

    # given a card partner with its own tariff, and a helper whose own rate differs
    p = new_partner(api, signin, billing_model="card", pricing=TARIFF)
    hid, email = make_helper(rate=9900)  # the helper's own rate is not what the partner's customer pays
    # and the partner's quote for N minutes, then its booking with the customer's card held
    quote = given_a_card_partners_quote(api, p, minutes)
    bid = given_the_partners_booking_held(api, p, hid, tip)
    # when the helper accepts, starts and completes after exactly N minutes
    when_the_helper_works(api, signin(email, "helper"), bid, minutes)
    # then settlement captures the quote plus the tip, with no platform fee on the tip
    price = wait_for(lambda: (payments.get_payment(bid).steps if payments.get_payment(bid).steps else {}).get("capture")
                     and payments.get_payment(bid).steps["price"], timeout=30, what="settlement")
    assert price["total"] == quote["total"]["amount"] + tip
    assert price["tip"] == tip
    assert price["platform_fee"] == (quote["total"]["amount"] * 15 + 50) // 100  # no fee on the tip
    assert payments.get_payment(bid).steps["capture"]["amount"] == quote["total"]["amount"] + tip
    # and the settled line items are the quote's, line by line
    settled = [dict(i) for i in payments.get_payment(bid).line_items]
    assert [i for i in settled if i["code"] != "tip"] == quote["line_items"]
