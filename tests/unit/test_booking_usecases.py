"""Creating a booking and answering its offers, as use cases against the in-memory store: no JVM.

Each test is one behaviour, told as given / when / then. The repositories these run on pass one
contract on both the memory twins and DynamoDB Local (tests/contract/store_contract.py); the same
paths over HTTP are tests/integration/test_booking_lifecycle.py and test_idempotency_keys.py.
"""
from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest

from chalicelib.domain import policy
from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import IdempotencyKeyReused, OfferAlreadyTaken, ValidationFailed
from chalicelib.services import bookings as svc
from chalicelib.store import memory_repos, using
from chalicelib.store.records import CustomerRecord, HelperProfileRecord, OfferRecord

TENANT = "crowdfix"
CUSTOMER = Actor("customer", "c_erika", TENANT)
ANNA, BEN = Actor("helper", "h_anna", TENANT), Actor("helper", "h_ben", TENANT)


def a_request(**over):
    from chalicelib.domain.schemas import CreateBooking

    body = {"category": "printer", "description": "My printer shows error E3 and prints nothing.", "mode": "onsite",
            "location": {"lat": 47.3769, "lon": 8.5417, "address": "Bahnhofstrasse 1", "postcode": "8001",
                         "city": "Zürich"},
            "contact": {"name": "Erika Muster", "phone": "+41 44 123 45 67"}, "language": "de"}
    body.update(over)
    return CreateBooking.model_validate(body)


@pytest.fixture()
def billing(monkeypatch):
    """The tenant's billing model (``invoice``: matched at once; ``card``: waits for the hold)."""
    chosen = {"model": "invoice"}
    monkeypatch.setattr(svc, "get_tenant", lambda tenant_id, fresh=False: SimpleNamespace(
        tenant_id=tenant_id, currency="CHF", settings={"billing_model": chosen["model"]}))
    monkeypatch.setattr(svc, "tenant_policy",
                        lambda tenant_id: policy.effective({"billing_model": chosen["model"]}))
    monkeypatch.setenv("CROWDFIX_STRIPE_SECRET_KEY", "sk_test_usecases")
    return chosen


@pytest.fixture()
def store(billing):
    with using(memory_repos()) as r:
        yield r


def bookings_of(store, customer_id: str) -> list:
    return [b for b in store.bookings.records.values() if b.customer_id == customer_id]


def given_an_offered_booking(store, *helpers: Actor):
    """A booking offered to ``helpers`` (open offers, round 1), each with a profile at 6,000/h."""
    booking, _ = svc.create_booking(CUSTOMER, a_request())
    for h in helpers:
        store.helper_profiles.rows[h.id] = HelperProfileRecord(helper_id=h.id, tenant_id=TENANT, status="active",
                                                               first_name=h.id[2:].title(), hourly_rate=6000)
        store.world.offer_records[(booking.booking_id, h.id)] = OfferRecord(
            booking_id=booking.booking_id, helper_id=h.id, tenant_id=TENANT, created_at="2026-12-01T09:00:00.000Z",
            expires_at="2999-01-01T00:00:00.000Z")
    from chalicelib.domain.actors import SYSTEM_ACTOR
    from chalicelib.services.transitions import apply_transition

    return apply_transition(booking.booking_id, "offer", SYSTEM_ACTOR, data={"round": 1},
                            set_fields=lambda b: {"dispatch_round": 1, "asked_helpers": tuple(h.id for h in helpers)})


# ---- create ----------------------------------------------------------------------------------------

def test_a_booking_of_a_tenant_billed_by_invoice_is_requested_at_once(store):
    booking, created = svc.create_booking(CUSTOMER, a_request())

    assert created is True
    assert store.bookings.load(booking.booking_id) == booking
    assert (booking.state, booking.version, booking.history[0]["transition"]) == ("requested", 1, "request")


def test_a_booking_paid_by_card_waits_for_its_hold(store, billing):
    billing["model"] = "card"

    booking, _ = svc.create_booking(CUSTOMER, a_request())

    assert booking.state == "awaiting_payment"


def test_a_booking_without_a_price_cap_takes_the_tenants_default(store):
    booking, _ = svc.create_booking(CUSTOMER, a_request())

    assert booking.price_cap == {"amount": 25000, "currency": "CHF"}


def test_a_retry_with_the_same_key_and_body_returns_the_first_booking(store):
    first, _ = svc.create_booking(CUSTOMER, a_request(), idempotency_key="k-1")

    again, created = svc.create_booking(CUSTOMER, a_request(), idempotency_key="k-1")

    assert created is False and again == first
    assert bookings_of(store, CUSTOMER.id) == [first]


def test_the_same_key_with_another_body_is_refused_and_books_nothing(store):
    first, _ = svc.create_booking(CUSTOMER, a_request(), idempotency_key="k-1")

    with pytest.raises(IdempotencyKeyReused):
        svc.create_booking(CUSTOMER, a_request(description="Now the scanner is broken too."), idempotency_key="k-1")

    assert bookings_of(store, CUSTOMER.id) == [first]


def test_the_same_key_of_another_customer_is_another_booking(store):
    mine, _ = svc.create_booking(CUSTOMER, a_request(), idempotency_key="k-1")

    theirs, created = svc.create_booking(Actor("customer", "c_other", TENANT), a_request(), idempotency_key="k-1")

    assert created is True and theirs.booking_id != mine.booking_id


def test_an_onsite_booking_without_a_street_is_refused(store):
    location = {"lat": 47.3769, "lon": 8.5417, "postcode": "8001", "city": "Zürich"}

    with pytest.raises(ValidationFailed) as refused:
        svc.create_booking(CUSTOMER, a_request(location=location))

    assert refused.value.field == "location.address" and bookings_of(store, CUSTOMER.id) == []


def test_a_customers_details_are_offered_on_her_next_booking(store):
    store.world.customers[CUSTOMER.id] = CustomerRecord(customer_id=CUSTOMER.id, tenant_id=TENANT,
                                                        email="erika@example.org", created_at="2026-12-01T09:00:00.000Z")

    svc.create_booking(CUSTOMER, a_request())

    defaults = svc.booking_defaults(CUSTOMER)
    assert (defaults["name"], defaults["phone"]) == ("Erika Muster", "+41 44 123 45 67")
    assert defaults["address"]["street"] == "Bahnhofstrasse 1" and defaults["saved_card"] is None


def test_a_customers_bookings_are_listed_newest_first(store):
    first, _ = svc.create_booking(CUSTOMER, a_request())
    second, _ = svc.create_booking(CUSTOMER, a_request(description="And now the scanner, too."))
    store.bookings.records[first.booking_id] = replace(first, created_at="2026-01-01T00:00:00.000Z")  # the older

    items, cursor = svc.list_bookings(CUSTOMER, limit=10)

    assert [b.booking_id for b in items] == [second.booking_id, first.booking_id] and cursor is None


# ---- offers --------------------------------------------------------------------------------------

def test_the_helper_who_accepts_is_assigned_at_their_rate(store):
    booking = given_an_offered_booking(store, ANNA, BEN)

    done = svc.accept_offer(ANNA, booking.booking_id)

    assert (done.state, done.helper_id, done.hourly_rate) == ("assigned", ANNA.id, 6000)
    assert store.offers.get(booking.booking_id, ANNA.id).state == "accepted"


def test_a_second_helper_to_accept_hears_the_job_is_taken(store):
    booking = given_an_offered_booking(store, ANNA, BEN)
    svc.accept_offer(ANNA, booking.booking_id)

    with pytest.raises(OfferAlreadyTaken):
        svc.accept_offer(BEN, booking.booking_id)

    assert store.bookings.load(booking.booking_id).helper_id == ANNA.id
    assert store.offers.get(booking.booking_id, BEN.id).state == "open"  # withdrawn by the effect, not here


def test_a_declined_offer_is_closed_with_the_booking_still_offered(store):
    booking = given_an_offered_booking(store, ANNA, BEN)

    done = svc.decline_offer(ANNA, booking.booking_id)

    assert done.state == "offered" and store.offers.get(booking.booking_id, ANNA.id).state == "declined"


def test_an_offer_whose_time_ran_out_expires_once(store):
    booking = given_an_offered_booking(store, ANNA)
    key = (booking.booking_id, ANNA.id)
    store.world.offer_records[key] = replace(store.world.offer_records[key], expires_at="2026-01-01T00:00:00.000Z")

    assert svc.expire_offer(booking.booking_id, ANNA.id) is True

    assert store.offers.get(*key).state == "expired"
    assert svc.expire_offer(booking.booking_id, ANNA.id) is False


def test_a_helper_sees_only_their_open_offers(store):
    booking = given_an_offered_booking(store, ANNA, BEN)
    svc.decline_offer(BEN, booking.booking_id)

    assert [o.booking_id for o in svc.list_open_offers(ANNA)] == [booking.booking_id]
    assert svc.list_open_offers(BEN) == []
