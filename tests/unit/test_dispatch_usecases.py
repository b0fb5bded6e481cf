"""Dispatch as use cases against the in-memory store: which helpers a round offers the job to,
when the next round goes out, and when a booking is given up. No JVM.

Each test is one behaviour, given / when / then. The candidate search is matching's
(tests/unit/test_matching_usecases.py); here it is a stand-in that returns the candidates a test
names and records what it was asked. The same rounds on DynamoDB Local are
tests/integration/test_matching.py and test_booking_lifecycle.py.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.domain import policy
from chalicelib.domain.actors import Actor
from chalicelib.services import dispatch
from chalicelib.services.transitions import apply_transition
from chalicelib.store import memory_repos, using
from chalicelib.store.records import BookingRecord, HelperProfileRecord, HelperReach, OfferRecord

TENANT = "crowdfix"
AT = "2026-12-01T09:00:00.000Z"


class Candidates:
    """The candidate search: ``rounds`` lists the helper ids to return per call; ``asked`` what
    each call excluded."""

    def __init__(self):
        self.rounds: list[list[str]] = []
        self.asked: list[set[str]] = []

    def __call__(self, booking, *, extra_radius_km, exclude, limit):
        self.asked.append(set(exclude))
        ids = self.rounds.pop(0) if self.rounds else []
        return [{"helper": HelperReach(helper_id=h, tenant_id=TENANT, status="active", first_name=h[2:].title()),
                 "score": {"reason": "close by", "total": 0.9}} for h in ids]


@pytest.fixture()
def search(monkeypatch):
    found = Candidates()
    monkeypatch.setattr(dispatch, "find_candidates", found)
    monkeypatch.setattr(dispatch, "tenant_policy", lambda tenant_id: policy.effective({}))
    return found


@pytest.fixture()
def store(search):
    with using(memory_repos()) as r:
        yield r


def given_helpers(store, *ids: str, **over) -> None:
    for h in ids:
        store.helper_profiles.rows[h] = HelperProfileRecord(helper_id=h, tenant_id=TENANT, status="active",
                                                            first_name=h[2:].title(), hourly_rate=6000)
        store.world.helper_reach[h] = HelperReach(**{**dict(helper_id=h, tenant_id=TENANT, status="active",
                                                             first_name=h[2:].title(), payout_ready=True), **over})


def given_a_requested_booking(store, **over) -> BookingRecord:
    values = dict(booking_id="b_1", tenant_id=TENANT, customer_id="c_erika", state="requested", created_at=AT,
                  updated_at=AT, category="printer", description="Printer shows E3.", mode="onsite",
                  location={"lat": 47.3769, "lon": 8.5417, "address": "Bahnhofstrasse 1", "postcode": "8001",
                            "city": "Zürich"},
                  contact={"name": "Erika", "phone": "+41791234567"}, wanted={"asap": True},
                  price_cap={"amount": 20000, "currency": "CHF"}, version=1)
    values.update(over)
    booking = BookingRecord(**values)
    store.bookings.create(booking)
    return booking


def given_every_open_offer_declined(store, booking_id: str) -> None:
    for key, offer in list(store.world.offer_records.items()):
        if key[0] == booking_id and offer.state == "open":
            store.world.offer_records[key] = replace(offer, state="declined")


def offers_of(store, booking_id: str) -> dict[str, OfferRecord]:
    return {o.helper_id: o for o in store.offers.for_booking(booking_id)}


# ---- the first round -------------------------------------------------------------------------------

def test_the_first_round_offers_the_job_to_the_candidates_found(store, search):
    given_helpers(store, "h_anna", "h_ben")
    given_a_requested_booking(store)
    search.rounds = [["h_anna", "h_ben"]]

    assert dispatch.dispatch_round("b_1") == "round-1"

    booking = store.bookings.load("b_1")
    assert (booking.state, booking.dispatch_round, booking.asked_helpers) == ("offered", 1, ("h_anna", "h_ben"))
    assert {h: (o.state, o.round) for h, o in offers_of(store, "b_1").items()} == {"h_anna": ("open", 1),
                                                                                  "h_ben": ("open", 1)}


def test_an_offer_shows_the_area_but_never_the_address_or_the_contact(store, search):
    given_helpers(store, "h_anna")
    given_a_requested_booking(store)
    search.rounds = [["h_anna"]]

    dispatch.dispatch_round("b_1")

    summary = offers_of(store, "b_1")["h_anna"].summary
    assert (summary["postcode"], summary["city"]) == ("8001", "Zürich")
    assert "Bahnhofstrasse" not in str(summary) and "Erika" not in str(summary)


def test_each_offer_is_counted_on_its_helper(store, search):
    given_helpers(store, "h_anna")
    given_a_requested_booking(store)
    search.rounds = [["h_anna"]]

    dispatch.dispatch_round("b_1")

    assert store.helper_profiles.get("h_anna").offers_received == 1


def test_the_helper_the_customer_chose_gets_the_first_round_alone(store, search):
    given_helpers(store, "h_chosen")
    given_a_requested_booking(store, preferred_helper_id="h_chosen")

    assert dispatch.dispatch_round("b_1") == "round-1"

    assert list(offers_of(store, "b_1")) == ["h_chosen"] and search.asked == []
    assert offers_of(store, "b_1")["h_chosen"].score == {"preferred": True}


def test_a_chosen_helper_who_cannot_be_paid_out_is_skipped(store, search):
    given_helpers(store, "h_chosen", payout_ready=False)
    given_helpers(store, "h_anna")
    given_a_requested_booking(store, preferred_helper_id="h_chosen")
    search.rounds = [["h_anna"]]

    assert dispatch.dispatch_round("b_1") == "round-2"  # round 1 had nobody to offer it to

    assert list(offers_of(store, "b_1")) == ["h_anna"]


# ---- the next rounds -----------------------------------------------------------------------------

def test_while_an_offer_is_open_no_new_round_goes_out(store, search):
    given_helpers(store, "h_anna", "h_ben")
    given_a_requested_booking(store)
    search.rounds = [["h_anna"], ["h_ben"]]
    dispatch.dispatch_round("b_1")

    assert dispatch.dispatch_round("b_1") == "waiting"

    assert list(offers_of(store, "b_1")) == ["h_anna"]


def test_when_every_offer_is_declined_the_next_round_asks_only_new_helpers(store, search):
    given_helpers(store, "h_anna", "h_ben")
    given_a_requested_booking(store)
    search.rounds = [["h_anna"], ["h_ben"]]
    dispatch.dispatch_round("b_1")
    given_every_open_offer_declined(store, "b_1")

    assert dispatch.dispatch_round("b_1") == "round-2"

    assert search.asked[-1] == {"h_anna"}
    assert offers_of(store, "b_1")["h_ben"].round == 2
    assert store.bookings.load("b_1").asked_helpers == ("h_anna", "h_ben")


def test_a_booking_nobody_can_take_is_unmatched_after_the_last_round(store, search):
    given_a_requested_booking(store)

    assert dispatch.dispatch_round("b_1") == "unmatched"

    assert store.bookings.load("b_1").state == "unmatched"
    assert len(search.asked) == policy.effective({})["max_rounds"]


def test_a_booking_that_is_taken_needs_no_round(store, search):
    given_helpers(store, "h_anna")
    given_a_requested_booking(store)
    apply_transition("b_1", "cancel_by_ops", Actor("ops", "ops_1", TENANT))

    assert dispatch.dispatch_round("b_1") == "not-needed"

    assert offers_of(store, "b_1") == {} and search.asked == []


def test_an_offer_to_a_helper_who_is_gone_sends_no_round(store, search):
    given_a_requested_booking(store)
    search.rounds = [["h_gone"]]  # found by the search, deleted since

    assert dispatch.dispatch_round("b_1") == "not-needed"

    assert store.bookings.load("b_1").state == "requested" and offers_of(store, "b_1") == {}


# ---- withdrawing what nobody needs -------------------------------------------------------------------

def test_after_an_accept_the_other_open_offers_are_withdrawn(store, search):
    given_helpers(store, "h_anna", "h_ben", "h_cleo")
    given_a_requested_booking(store)
    search.rounds = [["h_anna", "h_ben", "h_cleo"]]
    dispatch.dispatch_round("b_1")
    store.world.offer_records[("b_1", "h_cleo")] = replace(store.world.offer_records[("b_1", "h_cleo")],
                                                           state="declined")

    assert dispatch.withdraw_open_offers("b_1", keep_helper="h_anna") == ["h_ben"]

    assert {h: o.state for h, o in offers_of(store, "b_1").items()} == {"h_anna": "open", "h_ben": "withdrawn",
                                                                        "h_cleo": "declined"}
