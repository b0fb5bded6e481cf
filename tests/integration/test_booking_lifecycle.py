"""A booking's whole life over HTTP (chalice.test.Client) with the real local services and the pump."""

import time

import pytest

from tests.stack_fixtures import booking_body, wait_for

pytestmark = pytest.mark.integration




def test_customer_books_helper_accepts_starts_completes(api, signin, pump):
    customer = signin()
    status, booking, headers = api.call("POST", "/v1/bookings", booking_body(), customer)
    assert status == 201, booking
    bid = booking["booking_id"]
    assert booking["state"] == "requested" and headers["Location"] == f"/v1/bookings/{bid}"

    # the pump runs dispatch from the bookings stream: offers go out
    offered = wait_for(lambda: (lambda b: b if b["state"] == "offered" else None)(
        api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]))
    offer_step = offered["timeline"][-1]
    assert offer_step["step"] == "offer"

    from chalicelib.models.offers import Offer
    offers = list(Offer.query(bid))
    assert 1 <= len(offers) <= 3
    helper_email = _helper_email(offers[0].helper_id)
    helper = signin(helper_email, "helper")

    status, inbox, _ = api.call("GET", "/v1/helper/offers", headers=helper)
    mine = [o for o in inbox["items"] if o["booking_id"] == bid]
    assert status == 200 and mine
    assert "address" not in mine[0]["summary"] and "contact" not in mine[0]["summary"]

    status, before, _ = api.call("GET", f"/v1/bookings/{bid}", headers=helper)
    assert status == 200 and "address" not in before["location"] and "contact" not in before

    status, assigned, _ = api.call("POST", f"/v1/bookings/{bid}/accept", headers=helper)
    assert status == 200, assigned
    assert assigned["state"] == "assigned" and assigned["location"]["address"] == "Bahnhofstrasse 1"

    # other offers of the booking are withdrawn by the stream handler
    pump.wait_idle(timeout=20)
    states = {o.helper_id: o.state for o in Offer.query(bid, consistent_read=True)}
    assert states[offers[0].helper_id] == "accepted"
    assert all(s == "withdrawn" for h, s in states.items() if h != offers[0].helper_id)

    status, view, _ = api.call("GET", f"/v1/bookings/{bid}", headers=customer)
    assert view["helper"]["first_name"] and "email" not in view["helper"]

    assert api.call("POST", f"/v1/bookings/{bid}/depart", headers=helper)[0] == 200
    assert api.call("POST", f"/v1/bookings/{bid}/start", headers=helper)[0] == 200
    status, done, _ = api.call("POST", f"/v1/bookings/{bid}/complete", {"minutes_worked": 50}, helper)
    assert status == 200 and done["state"] == "completed" and done["minutes_worked"] == 50
    steps = [s["step"] for s in done["timeline"]]
    assert steps == ["request_with_card", "hold_card", "offer", "accept", "depart", "start", "complete"]

    # completed is final
    status, problem, _ = api.call("POST", f"/v1/bookings/{bid}/cancel", {}, customer)
    assert status == 409 and problem["type"].endswith("invalid-transition")


def _helper_email(helper_id):
    from chalicelib.models.helpers import Helper
    return Helper.get(helper_id).email


def test_preferred_helper_gets_the_offer_directly(api, signin, pump):
    customer = signin()
    status, booking, _ = api.call("POST", "/v1/bookings",
                                  booking_body(preferred_helper_id="h_demo0000", category=_skill_of("h_demo0000")),
                                  customer)
    assert status == 201, booking
    bid = booking["booking_id"]
    wait_for(lambda: api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]["state"] == "offered")
    from chalicelib.models.offers import Offer
    assert [o.helper_id for o in Offer.query(bid)] == ["h_demo0000"]


def _skill_of(helper_id):
    from chalicelib.models.helpers import Helper
    return sorted(Helper.get(helper_id).skills.as_dict())[0]


def test_decline_sends_the_next_round_and_never_asks_again(api, signin, pump):
    customer = signin()
    status, booking, _ = api.call("POST", "/v1/bookings", booking_body(category="computer"), customer)
    bid = booking["booking_id"]
    wait_for(lambda: api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]["state"] == "offered")
    from chalicelib.models.offers import Offer
    first_round = [o.helper_id for o in Offer.query(bid)]
    for hid in first_round:
        h = signin(_helper_email(hid), "helper")
        assert api.call("POST", f"/v1/bookings/{bid}/decline", headers=h)[0] == 200
    wait_for(lambda: any(o.round == 2 for o in Offer.query(bid, consistent_read=True)) or
             api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]["state"] == "unmatched")
    second = [o for o in Offer.query(bid, consistent_read=True) if o.round == 2]
    assert not set(o.helper_id for o in second) & set(first_round)


def test_customer_cancels_before_assignment_and_offers_are_withdrawn(api, signin, pump):
    customer = signin()
    status, booking, _ = api.call("POST", "/v1/bookings", booking_body(), customer)
    bid = booking["booking_id"]
    wait_for(lambda: api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]["state"] == "offered")
    status, cancelled, _ = api.call("POST", f"/v1/bookings/{bid}/cancel", {"reason": "fixed it myself"}, customer)
    assert status == 200 and cancelled["state"] == "cancelled"
    from chalicelib.models.offers import Offer
    wait_for(lambda: all(o.state == "withdrawn" for o in Offer.query(bid, consistent_read=True)))


def test_helper_cancel_returns_booking_to_matching_without_them(api, signin, pump):
    customer = signin()
    status, booking, _ = api.call("POST", "/v1/bookings", booking_body(), customer)
    bid = booking["booking_id"]
    wait_for(lambda: api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]["state"] == "offered")
    from chalicelib.models.offers import Offer
    first = next(iter(Offer.query(bid))).helper_id
    helper = signin(_helper_email(first), "helper")
    assert api.call("POST", f"/v1/bookings/{bid}/accept", headers=helper)[0] == 200
    status, view, _ = api.call("POST", f"/v1/bookings/{bid}/cancel", {"reason": "car broke down"}, helper)
    assert status == 200 and view["state"] == "requested"
    # the helper no longer sees it; the booking goes out again to others
    assert api.call("GET", f"/v1/bookings/{bid}", headers=helper)[0] == 404
    wait_for(lambda: api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]["state"] in ("offered", "unmatched"))
    assert all(o.helper_id != first for o in Offer.query(bid) if o.state == "open")


def test_ops_reads_and_cancels_any_booking(api, signin, pump):
    customer = signin()
    bid = api.call("POST", "/v1/bookings", booking_body(mode="remote", location=None), customer)[1]["booking_id"]
    ops = signin("ops@crowdfix.local", "ops")
    status, view, _ = api.call("GET", f"/v1/bookings/{bid}", headers=ops)
    assert status == 200 and view["customer_id"] == customer["_id"]
    status, view, _ = api.call("POST", f"/v1/bookings/{bid}/cancel", {"reason": "duplicate"}, ops)
    assert status == 200 and view["state"] == "cancelled" and view["timeline"][-1]["by"] == "ops"


def test_offer_expires_via_delayed_message(api, signin, pump, stack):
    from chalicelib.models.tenants import Tenant
    from chalicelib.services.tenants import clear_cache
    tenant = Tenant.get("crowdfix")
    tenant.update(actions=[Tenant.settings.set({"offer_expiry_seconds": 2, "max_rounds": 1})])
    clear_cache()
    try:
        customer = signin()
        bid = api.call("POST", "/v1/bookings", booking_body(category="tv"), customer)[1]["booking_id"]
        final = wait_for(lambda: (lambda b: b if b["state"] == "unmatched" else None)(
            api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]), timeout=30)
        steps = [s["step"] for s in final["timeline"]]
        assert steps[:3] == ["request_with_card", "hold_card", "offer"] and "expire" in steps and steps[-1] == "unmatch"
        from chalicelib.models.offers import Offer
        offers = list(Offer.query(bid, consistent_read=True))
        assert all(o.state == "expired" for o in offers)

        # the offers stream runs without the redelivery guard: its INSERT records delivered again
        # only send more time-out messages, and a time-out of an answered offer changes nothing
        from chalicelib.models.idempotency import IdempotencyRecord
        image = {**offers[0].serialize(), "state": {"S": "open"}}
        record = {"eventID": "replayed", "eventName": "INSERT", "eventSource": "aws:dynamodb",
                  "dynamodb": {"SequenceNumber": "1", "Keys": {}, "NewImage": image}}
        for _ in range(2):
            assert stack["app"].handler_map["on_offer_change"]({"Records": [record]}, None) == {"batchItemFailures": []}
        time.sleep(2.5)  # the time-outs were sent with a 1 s delay (other tests' delayed ones may wait longer)
        assert pump.wait_idle(timeout=30)
        again = api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]
        assert [s["step"] for s in again["timeline"]] == steps
        assert [o.state for o in Offer.query(bid, consistent_read=True)] == ["expired"] * len(offers)
        assert not list(IdempotencyRecord.scan(IdempotencyRecord.key.startswith("evt#offers#"), limit=1, page_size=1000))
    finally:
        tenant.update(actions=[Tenant.settings.set({})])
        clear_cache()
