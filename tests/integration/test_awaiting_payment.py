"""Issue 14: no helper before the money is safe. On DynamoDB Local, localstripe and the pump: a card
booking is offered to nobody while it awaits its hold, a declined card keeps it so (and a retry
uses the same booking), the hold lets dispatch run, an unpaid booking ends after its payment window
with nothing charged, and a partner billed by invoice is matched at once. Told as given / when / then."""
from __future__ import annotations

import uuid

import pytest

from tests.integration.partner_fixtures import new_partner, partner_booking
from tests.stack_fixtures import booking_body, wait_for

pytestmark = pytest.mark.integration

# a corner (Graubünden) where no demo helper works: only this module's helper can be offered the job
SPOT = {"lat": 46.8508, "lon": 9.5320, "address": "Poststrasse 1", "postcode": "7000", "city": "Chur"}


# ---- given / when ----------------------------------------------------------------------------------

def make_helper() -> str:
    from chalicelib.models.base import now_iso
    from chalicelib.models.helpers import Helper

    hid = "h_ap" + uuid.uuid4().hex[:10]
    email = f"{hid}@example.org"
    Helper(helper_id=hid, tenant_id="crowdfix", email=email, email_key=f"crowdfix#{email}", name="Ada Wartet",
           first_name="Ada", skills={"printer": 3}, lat=SPOT["lat"], lon=SPOT["lon"], service_radius_km=5,
           hourly_rate=6000, languages=["de"], status="active", tenant_status="crowdfix#active",
           payout_ready=True, created_at=now_iso()).save()
    return hid


def offers_of(bid):
    from chalicelib.models.offers import Offer
    return list(Offer.query(bid, consistent_read=True))


def state_of(api, bid, who):
    return api.call("GET", f"/v1/bookings/{bid}", headers=who)[1]["state"]


def given_a_booking_awaiting_its_card(api, signin, pump) -> tuple[str, dict, dict, dict]:
    """A customer's booking of this module's helper made without a card: ``(booking_id, customer,
    body, headers with its Idempotency-Key)``; the pump has run, nobody is offered it."""
    customer = signin()
    body = booking_body(location=SPOT, preferred_helper_id=make_helper(), payment=None)
    headers = {**customer, "Idempotency-Key": "ap-" + uuid.uuid4().hex[:12]}
    status, booking, _ = api.call("POST", "/v1/bookings", body, headers)
    assert status == 201 and booking["state"] == "awaiting_payment", booking
    assert pump.wait_idle(timeout=30)
    return booking["booking_id"], customer, body, headers


def when_the_card_is_held(api, bid: str, customer: dict) -> None:
    status, pay, _ = api.call("POST", f"/v1/bookings/{bid}/payment", {"payment_method": "pm_card_visa"}, customer)
    assert status == 201 and pay["status"] == "authorised", pay


# ---- no helper before the money is safe -------------------------------------------------------------

def test_a_booking_awaiting_its_card_is_offered_to_nobody(api, signin, pump):
    # given a booking made without a card, and the pump idle after it
    bid, customer, _, _ = given_a_booking_awaiting_its_card(api, signin, pump)
    # then nobody was offered it and it still awaits payment
    assert offers_of(bid) == [] and state_of(api, bid, customer) == "awaiting_payment"
    api.call("POST", f"/v1/bookings/{bid}/cancel", {}, customer)


def test_a_declined_card_is_402_naming_the_booking_and_keeps_it_unoffered(api, signin, pump):
    # given a booking awaiting its card
    bid, customer, body, headers = given_a_booking_awaiting_its_card(api, signin, pump)
    # when the retry of the same request (same Idempotency-Key) brings a card that is declined
    status, problem, _ = api.call("POST", "/v1/bookings",
                                  {**body, "payment": {"payment_method": "pm_card_visa_chargeDeclined"}}, headers)
    # then it is 402 naming the booking to retry on, still offered to nobody, and no second booking exists
    assert status == 402 and problem["booking_id"] == bid and problem["state"] == "awaiting_payment", problem
    assert pump.wait_idle(timeout=30)
    assert offers_of(bid) == [] and state_of(api, bid, customer) == "awaiting_payment"
    assert len(api.call("GET", "/v1/bookings", headers=customer)[1]["items"]) == 1, "a second booking was made"
    api.call("POST", f"/v1/bookings/{bid}/cancel", {}, customer)


def test_the_hold_on_the_same_booking_lets_dispatch_offer_it(api, signin, pump):
    # given a booking awaiting its card
    bid, customer, body, _ = given_a_booking_awaiting_its_card(api, signin, pump)
    # when a card is held on it
    when_the_card_is_held(api, bid, customer)
    # then, only now, the helper she chose is offered it, after the hold in the timeline
    offers = wait_for(lambda: offers_of(bid), timeout=30, what="an offer after the hold")
    assert [o.helper_id for o in offers] == [body["preferred_helper_id"]]
    steps = [s["step"] for s in api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]["timeline"]]
    assert steps[:3] == ["request_with_card", "hold_card", "offer"], steps
    assert api.call("POST", f"/v1/bookings/{bid}/cancel", {}, customer)[0] == 200


def test_paying_again_keeps_the_hold_and_dispatches_nothing_more(api, signin, pump):
    # given a booking whose card is held and which is offered
    bid, customer, _, _ = given_a_booking_awaiting_its_card(api, signin, pump)
    when_the_card_is_held(api, bid, customer)
    wait_for(lambda: offers_of(bid), timeout=30, what="an offer after the hold")
    # when she pays again with her saved card
    assert api.call("POST", f"/v1/bookings/{bid}/payment", {"use_saved": True}, customer)[0] == 201
    # then there is still one offer: no second dispatch
    assert pump.wait_idle(timeout=30)
    assert len(offers_of(bid)) == 1
    assert api.call("POST", f"/v1/bookings/{bid}/cancel", {}, customer)[0] == 200


def test_an_unpaid_booking_is_cancelled_after_its_payment_window_with_nothing_charged(api, signin, pump):
    from chalicelib.models.tenants import Tenant
    from chalicelib.services.tenants import clear_cache
    from chalicelib.services.payments import booking_movements, get_payment

    # given payment windows of 3 s on the platform tenant
    tenant = Tenant.get("crowdfix")
    before = tenant.settings.as_dict() if tenant.settings else {}
    tenant.update(actions=[Tenant.settings.set({**before, "payment_window_minutes": 0.05})])  # 3 s
    clear_cache()
    try:
        # when a booking is made without a card and none comes
        customer = signin()
        body = booking_body(location=SPOT, preferred_helper_id=make_helper(), payment=None)
        bid = api.call("POST", "/v1/bookings", body, customer)[1]["booking_id"]
        # then the window's end cancels it, offered to nobody, nothing held or moved
        done = wait_for(lambda: (lambda b: b if b["state"] == "cancelled" else None)(
            api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]), timeout=30, what="the payment window's end")
        assert [s["step"] for s in done["timeline"]] == ["request_with_card", "expire_payment"]
        assert offers_of(bid) == []
        pay = get_payment(bid)
        assert pay is None or not pay.payment_intent_id
        assert booking_movements(bid) == []
        # and a card given after the end is refused and nothing stays held
        status, problem, _ = api.call("POST", f"/v1/bookings/{bid}/payment", {"payment_method": "pm_card_visa"}, customer)
        assert status == 409, problem
        assert pump.wait_idle(timeout=30)
        assert get_payment(bid) is None or get_payment(bid).status != "authorised"
    finally:
        tenant.update(actions=[Tenant.settings.set(before)])
        clear_cache()


def test_a_partner_billed_by_invoice_is_matched_at_once(api, signin, pump):
    # given a helper in Chur and a partner billed by invoice
    make_helper()
    p = new_partner(api, signin)  # billing_model invoice
    # when the partner books there
    status, booking, _ = api.call("POST", "/v1/partner/bookings", partner_booking(location=SPOT), p["h"])
    # then the booking is requested and offered at once, without a card
    assert status == 201 and booking["state"] == "requested", booking
    offers = wait_for(lambda: offers_of(booking["booking_id"]), timeout=30, what="an offer of the invoiced booking")
    assert offers and all(o.helper_id.startswith("h_ap") for o in offers)  # this module's helpers in Chur


def test_a_partner_cannot_hold_its_customers_card_itself(api, signin):
    # given a partner
    p = new_partner(api, signin)
    # when it books with a payment method
    status, problem, _ = api.call("POST", "/v1/partner/bookings",
                                  partner_booking(location=SPOT, payment={"payment_method": "pm_card_visa"}), p["h"])
    # then it is 422 naming the payment
    assert status == 422 and problem["field"] == "payment", problem
