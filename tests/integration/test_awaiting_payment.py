"""Issue 14: no helper before the money is safe. On DynamoDB Local, localstripe and the pump: a card
booking is offered to nobody while it awaits its hold, a declined card keeps it so (and a retry
uses the same booking), the hold lets dispatch run, an unpaid booking ends after its payment window
with nothing charged, and a partner billed by invoice is matched at once."""
from __future__ import annotations

import uuid

import pytest

from tests.integration.partner_fixtures import new_partner, partner_booking
from tests.stack_fixtures import booking_body, wait_for

pytestmark = pytest.mark.integration

# a corner (Graubünden) where no demo helper works: only this module's helper can be offered the job
SPOT = {"lat": 46.8508, "lon": 9.5320, "address": "Poststrasse 1", "postcode": "7000", "city": "Chur"}


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


def test_no_offer_while_awaiting_payment_a_decline_keeps_it_unoffered_and_the_hold_dispatches(api, signin, pump):
    hid = make_helper()
    customer = signin()
    body = booking_body(location=SPOT, preferred_helper_id=hid, payment=None)
    status, booking, _ = api.call("POST", "/v1/bookings", body, {**customer, "Idempotency-Key": "ap-1"})
    assert status == 201 and booking["state"] == "awaiting_payment", booking
    bid = booking["booking_id"]
    assert pump.wait_idle(timeout=30)
    assert offers_of(bid) == [] and state_of(api, bid, customer) == "awaiting_payment"

    # a declined card: 402 naming the booking to retry on; still nobody offered it
    status, problem, _ = api.call("POST", "/v1/bookings", {**body, "payment": {"payment_method": "pm_card_visa_chargeDeclined"}},
                                  {**customer, "Idempotency-Key": "ap-1"})
    assert status == 402 and problem["booking_id"] == bid and problem["state"] == "awaiting_payment", problem
    assert pump.wait_idle(timeout=30)
    assert offers_of(bid) == [] and state_of(api, bid, customer) == "awaiting_payment"
    assert len(api.call("GET", "/v1/bookings", headers=customer)[1]["items"]) == 1  # no second booking

    # the retry with another card holds it on the same booking, and only now it is offered
    status, pay, _ = api.call("POST", f"/v1/bookings/{bid}/payment", {"payment_method": "pm_card_visa"}, customer)
    assert status == 201 and pay["status"] == "authorised", pay
    offers = wait_for(lambda: offers_of(bid), timeout=30, what="an offer after the hold")
    assert [o.helper_id for o in offers] == [hid]
    steps = [s["step"] for s in api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]["timeline"]]
    assert steps[:3] == ["request_with_card", "hold_card", "offer"], steps
    # paying again changes nothing (same hold, no second dispatch)
    assert api.call("POST", f"/v1/bookings/{bid}/payment", {"use_saved": True}, customer)[0] == 201
    assert pump.wait_idle(timeout=30)
    assert len(offers_of(bid)) == 1
    assert api.call("POST", f"/v1/bookings/{bid}/cancel", {}, customer)[0] == 200


def test_an_unpaid_booking_is_cancelled_after_its_payment_window_with_nothing_charged(api, signin, pump):
    from chalicelib.models.tenants import Tenant
    from chalicelib.services.tenants import clear_cache
    from chalicelib.services.payments import booking_movements, get_payment

    tenant = Tenant.get("crowdfix")
    before = tenant.settings.as_dict() if tenant.settings else {}
    tenant.update(actions=[Tenant.settings.set({**before, "payment_window_minutes": 0.05})])  # 3 s
    clear_cache()
    try:
        customer = signin()
        body = booking_body(location=SPOT, preferred_helper_id=make_helper(), payment=None)
        bid = api.call("POST", "/v1/bookings", body, customer)[1]["booking_id"]
        done = wait_for(lambda: (lambda b: b if b["state"] == "cancelled" else None)(
            api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]), timeout=30, what="the payment window's end")
        assert [s["step"] for s in done["timeline"]] == ["request_with_card", "expire_payment"]
        assert offers_of(bid) == []
        pay = get_payment(bid)
        assert pay is None or not pay.payment_intent_id
        assert booking_movements(bid) == []
        # a card given after the end is refused and nothing stays held
        status, problem, _ = api.call("POST", f"/v1/bookings/{bid}/payment", {"payment_method": "pm_card_visa"}, customer)
        assert status == 409, problem
        assert pump.wait_idle(timeout=30)
        assert get_payment(bid) is None or get_payment(bid).status != "authorised"
    finally:
        tenant.update(actions=[Tenant.settings.set(before)])
        clear_cache()


def test_a_partner_billed_by_invoice_is_matched_at_once(api, signin, pump):
    make_helper()
    p = new_partner(api, signin)  # billing_model invoice
    status, booking, _ = api.call("POST", "/v1/partner/bookings", partner_booking(location=SPOT), p["h"])
    assert status == 201 and booking["state"] == "requested", booking
    offers = wait_for(lambda: offers_of(booking["booking_id"]), timeout=30, what="an offer of the invoiced booking")
    assert offers and all(o.helper_id.startswith("h_ap") for o in offers)  # this module's helpers in Chur
    # and a partner cannot hold its customer's card itself
    status, problem, _ = api.call("POST", "/v1/partner/bookings",
                                  partner_booking(location=SPOT, payment={"payment_method": "pm_card_visa"}), p["h"])
    assert status == 422 and problem["field"] == "payment", problem
