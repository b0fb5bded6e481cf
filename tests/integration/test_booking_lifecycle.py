"""A booking's whole life over HTTP (chalice.test.Client) with the real local services and the pump.

Each test is one behaviour, told as given / when / then with the helpers of tests/integration/story.py."""

import time

import pytest

from tests.integration.story import (given_a_booking, given_a_customer, given_an_assigned_booking,
                                     given_an_offered_booking, given_ops, offers_of, signed_in_helper, skill_of,
                                     timeline_steps, wait_for_state, when_cancelled_by, when_helper_answers,
                                     when_helper_does_the_job, booking_as_seen_by)
from tests.stack_fixtures import wait_for

pytestmark = pytest.mark.integration


def test_an_offered_helper_sees_neither_address_nor_contact(api, signin, pump):
    # given a booking the pump has offered to one to three helpers
    booking = given_an_offered_booking(api, signin)
    assert 1 <= len(booking.offered_to) <= 3
    assert booking.view["timeline"][-1]["step"] == "offer"
    # when one of them reads the offer and the booking
    helper = signed_in_helper(signin, booking.offered_to[0])
    status, inbox, _ = api.call("GET", "/v1/helper/offers", headers=helper)
    mine = [o for o in inbox["items"] if o["booking_id"] == booking.id]
    seen_status, seen = booking_as_seen_by(api, booking, helper)
    # then the offer is in their inbox, without the customer's address or contact
    assert status == 200 and mine
    assert "address" not in mine[0]["summary"] and "contact" not in mine[0]["summary"]
    assert seen_status == 200 and "address" not in seen["location"] and "contact" not in seen


def test_the_accepting_helper_gets_the_address_and_the_other_offers_are_withdrawn(api, signin, pump):
    # given an offered booking
    booking = given_an_offered_booking(api, signin)
    # when the first offered helper accepts
    status, assigned = when_helper_answers(api, signin, booking, booking.offered_to[0], "accept")
    # then the booking is theirs, with the address; the other offers are withdrawn by the stream handler
    assert status == 200, assigned
    assert assigned["state"] == "assigned" and assigned["location"]["address"] == "Bahnhofstrasse 1"
    pump.wait_idle(timeout=20)
    states = {o.helper_id: o.state for o in offers_of(booking.id)}
    assert states[booking.offered_to[0]] == "accepted"
    assert all(s == "withdrawn" for h, s in states.items() if h != booking.offered_to[0])
    # and the customer sees the helper's first name, never their e-mail
    _, view = booking_as_seen_by(api, booking, booking.customer)
    assert view["helper"]["first_name"] and "email" not in view["helper"]


def test_a_job_done_is_completed_with_every_step_in_the_timeline_and_cannot_be_cancelled(api, signin, pump):
    # given a booking its helper accepted
    booking = given_an_assigned_booking(api, signin)
    # when the helper departs, starts and completes after 50 minutes
    done = when_helper_does_the_job(api, booking, minutes_worked=50)
    # then it is completed, every step in order
    assert done["state"] == "completed" and done["minutes_worked"] == 50
    assert timeline_steps(done) == ["request_with_card", "hold_card", "offer", "accept", "depart", "start",
                                    "complete"]
    # and completed is final: the customer's cancel is refused
    status, problem = when_cancelled_by(api, booking, booking.customer)
    assert status == 409 and problem["type"].endswith("invalid-transition")


def test_a_preferred_helper_gets_the_offer_directly(api, signin, pump):
    # given a customer who asks for h_demo0000 in a category they offer
    # when she books
    booking = given_an_offered_booking(api, signin, preferred_helper_id="h_demo0000",
                                       category=skill_of("h_demo0000"))
    # then the only offer is theirs
    assert booking.offered_to == ["h_demo0000"]


def test_decline_sends_the_next_round_and_never_asks_again(api, signin, pump):
    # given a booking offered to a first round of helpers
    booking = given_an_offered_booking(api, signin, category="computer")
    first_round = list(booking.offered_to)
    # when every helper of that round declines
    for helper_id in first_round:
        assert when_helper_answers(api, signin, booking, helper_id, "decline")[0] == 200
    # then a second round goes out (or the booking is unmatched), and never to a helper who declined
    wait_for(lambda: any(o.round == 2 for o in offers_of(booking.id)) or
             booking_as_seen_by(api, booking, booking.customer)[1]["state"] == "unmatched",
             what="a second round or unmatched")
    second = [o.helper_id for o in offers_of(booking.id) if o.round == 2]
    assert not set(second) & set(first_round)


def test_customer_cancels_before_assignment_and_offers_are_withdrawn(api, signin, pump):
    # given an offered booking
    booking = given_an_offered_booking(api, signin)
    # when the customer cancels it
    status, cancelled = when_cancelled_by(api, booking, booking.customer, "fixed it myself")
    # then it is cancelled and every offer withdrawn
    assert status == 200 and cancelled["state"] == "cancelled"
    wait_for(lambda: all(o.state == "withdrawn" for o in offers_of(booking.id)), what="every offer withdrawn")


def test_helper_cancel_returns_booking_to_matching_without_them(api, signin, pump):
    # given a booking its first offered helper accepted
    booking = given_an_assigned_booking(api, signin)
    # when that helper cancels
    status, view = when_cancelled_by(api, booking, booking.helper, "car broke down")
    # then the booking is requested again, the helper no longer sees it, and it goes out to others
    assert status == 200 and view["state"] == "requested"
    assert booking_as_seen_by(api, booking, booking.helper)[0] == 404
    wait_for_state(api, booking, "offered", "unmatched")
    assert all(o.helper_id != booking.helper_id for o in offers_of(booking.id) if o.state == "open")


def test_ops_reads_and_cancels_any_booking(api, signin, pump):
    # given a customer's remote booking, and ops signed in
    customer = given_a_customer(signin)
    booking = given_a_booking(api, customer=customer, mode="remote", location=None)
    ops = given_ops(signin)
    # when ops reads it, then cancels it
    status, view = booking_as_seen_by(api, booking, ops)
    assert status == 200 and view["customer_id"] == customer["_id"]
    status, view = when_cancelled_by(api, booking, ops, "duplicate")
    # then it is cancelled, by ops
    assert status == 200 and view["state"] == "cancelled" and view["timeline"][-1]["by"] == "ops"


@pytest.fixture()
def offers_expire_in_two_seconds():
    """The platform tenant's offers expire after 2 s and only one round goes out (put back after)."""
    from chalicelib.models.tenants import Tenant
    from chalicelib.services.tenants import clear_cache
    tenant = Tenant.get("crowdfix")
    tenant.update(actions=[Tenant.settings.set({"offer_expiry_seconds": 2, "max_rounds": 1})])
    clear_cache()
    yield
    tenant.update(actions=[Tenant.settings.set({})])
    clear_cache()


def test_an_offer_nobody_answers_expires_and_the_booking_is_unmatched(api, signin, pump, offers_expire_in_two_seconds):
    # given offers that expire after 2 s, one round only
    # when a booking's offers go unanswered
    booking = given_a_booking(api, signin, category="tv")
    final = wait_for_state(api, booking, "unmatched")
    # then the delayed time-out expired every offer and the booking is unmatched
    steps = timeline_steps(final)
    assert steps[:3] == ["request_with_card", "hold_card", "offer"] and "expire" in steps and steps[-1] == "unmatch"
    assert all(o.state == "expired" for o in offers_of(booking.id))


def test_a_redelivered_offer_record_sends_time_outs_that_change_nothing(api, signin, pump, stack,
                                                                         offers_expire_in_two_seconds):
    from chalicelib.models.idempotency import IdempotencyRecord
    # given a booking whose offers expired
    booking = given_a_booking(api, signin, category="tv")
    steps = timeline_steps(wait_for_state(api, booking, "unmatched"))
    offers = offers_of(booking.id)
    # when the offers stream delivers an offer's INSERT again, twice (it runs without the redelivery
    # guard: a replay only sends more time-out messages)
    image = {**offers[0].serialize(), "state": {"S": "open"}}
    record = {"eventID": "replayed", "eventName": "INSERT", "eventSource": "aws:dynamodb",
              "dynamodb": {"SequenceNumber": "1", "Keys": {}, "NewImage": image}}
    for _ in range(2):
        assert stack["app"].handler_map["on_offer_change"]({"Records": [record]}, None) == {"batchItemFailures": []}
    time.sleep(2.5)  # the time-outs were sent with a 1 s delay (other tests' delayed ones may wait longer)
    assert pump.wait_idle(timeout=30)
    # then the time-outs of answered offers changed nothing, and no guard record was written
    again = booking_as_seen_by(api, booking, booking.customer)[1]
    assert timeline_steps(again) == steps
    assert [o.state for o in offers_of(booking.id)] == ["expired"] * len(offers)
    assert not list(IdempotencyRecord.scan(IdempotencyRecord.key.startswith("evt#offers#"), limit=1, page_size=1000))
