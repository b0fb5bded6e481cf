"""Erasing a person (``services/erasure.py``) against the in-memory store: no JVM. The repository
it writes through (``store/erasure.py``) passes one contract with its twin (ErasureContract in
tests/contract/store_contract.py); the whole path over HTTP and the erase command on DynamoDB
Local is tests/integration/test_erasure.py.
"""
from __future__ import annotations

import json

import pytest

from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import Conflict, Forbidden, NotFound
from chalicelib.services import erasure
from chalicelib.store import memory_repos, using
from chalicelib.store.records import (BookingRecord, NotificationPrefsRecord, PersonRecord, PushSubscriptionRecord,
                                      ReviewRecord, WebhookDeliveryRecord)

TENANT = "crowdfix"
OPS = Actor("ops", "ops_1", TENANT)
CUSTOMER = "c_erika"
HELPER = "h_rita"
EMAIL = "erika.muster@example.org"


@pytest.fixture()
def store():
    with using(memory_repos()) as r:
        yield r


def given_customer(store) -> PersonRecord:
    person = PersonRecord(kind="customer", person_id=CUSTOMER, tenant_id=TENANT, email=EMAIL, name="Erika Muster",
                          phone="+41791234567", address={"street": "Seestrasse 12", "city": "Zürich"},
                          stripe_customer_id="cus_1", default_payment_method="pm_1")
    store.erasure.persons[("customer", CUSTOMER)] = person
    return person


def given_helper(store) -> PersonRecord:
    person = PersonRecord(kind="helper", person_id=HELPER, tenant_id=TENANT, email="rita@example.org",
                          name="Rita Hilfreich", first_name="Rita", bio="Drucker und WLAN seit 1999", city="Zürich",
                          lat=47.37, lon=8.54, status="active", on_call=True, availability={"mon": ["08-12"]},
                          geo_pk="crowdfix#85", geo_sk="89#h_rita")
    store.erasure.persons[("helper", HELPER)] = person
    return person


def given_booking(store, state: str = "completed", booking_id: str = "b_1") -> BookingRecord:
    booking = BookingRecord(
        booking_id=booking_id, tenant_id=TENANT, customer_id=CUSTOMER, helper_id=HELPER, state=state,
        created_at="2026-11-02T10:00:00.000Z", updated_at="2026-11-02T12:00:00.000Z", category="printer",
        description="Drucker im Büro von Erika Muster", location={"address": "Seestrasse 12, Zürich"},
        contact={"name": "Erika Muster", "phone": "+41791234567"}, version=5,
        history=({"transition": "request", "actor": "customer", "note": "Klingeln bei Muster"},
                 {"transition": "complete", "actor": "helper", "actor_id": HELPER, "note": "Rita hat Toner gewechselt"}))
    store.bookings.records[booking.booking_id] = booking
    return booking


def given_review(store, booking_id: str = "b_1") -> ReviewRecord:
    review = ReviewRecord(booking_id=booking_id, tenant_id=TENANT, helper_id=HELPER, customer_id=CUSTOMER, overall=5,
                          patience=5, clarity=4, would_recommend=True, would_book_again=True, period_day="2026-11-02",
                          created_at="2026-11-02T13:00:00.000Z", updated_at="2026-11-02T13:00:00.000Z",
                          editable_until="2026-11-09T13:00:00.000Z", reviewer_first_name="Erika",
                          comment="Rita war sehr geduldig mit mir")
    store.reviews.add(review)
    return review


# ---- a customer -------------------------------------------------------------------------------

def test_a_customers_own_row_keeps_its_id_and_loses_what_identifies_her(store):
    given_customer(store)

    erasure.erase(OPS, "customer", CUSTOMER)

    row = store.erasure.person("customer", CUSTOMER)
    assert (row.person_id, row.email) == (CUSTOMER, f"erased+{CUSTOMER}@erased.invalid")
    assert (row.name, row.phone, row.address, row.stripe_customer_id, row.default_payment_method) == (None,) * 5


def test_her_finished_booking_loses_her_words_and_keeps_its_state_and_version(store):
    given_customer(store)
    given_booking(store)

    erasure.erase(OPS, "customer", CUSTOMER)

    b = store.bookings.get("b_1")
    assert (b.description, b.location, b.contact) == ("[erased]", None, {})
    assert [e.get("note") for e in b.history] == ["[erased]", "[erased]"]
    assert (b.state, b.version) == ("completed", 5)


def test_her_review_keeps_its_stars_and_loses_her_name_and_comment(store):
    given_customer(store)
    given_booking(store)
    given_review(store)

    erasure.erase(OPS, "customer", CUSTOMER)

    review = store.reviews.get("b_1")
    assert (review.overall, review.version, review.reviewer_first_name, review.comment) == (5, 1, None, None)


def test_a_partner_webhook_payload_stays_valid_json_with_her_values_replaced(store):
    given_customer(store)
    given_booking(store)
    store.webhooks.add_delivery(WebhookDeliveryRecord(
        endpoint_id="ep_1", message_id="msg_1", tenant_id=TENANT, event_type="booking.completed",
        created_at="2026-11-02T12:00:00.000Z",
        payload=json.dumps({"booking_id": "b_1", "contact": {"name": "Erika Muster", "email": EMAIL}})))

    erasure.erase(OPS, "customer", CUSTOMER)

    payload = json.loads(store.webhooks.delivery("ep_1", "msg_1").payload)
    assert payload == {"booking_id": "b_1", "contact": {"name": "[erased]", "email": "[erased]"}}


def test_her_push_subscriptions_and_notification_settings_are_gone(store):
    given_customer(store)
    owner = f"customer#{CUSTOMER}"
    store.push_subscriptions.put(PushSubscriptionRecord(owner=owner, subscription_id="ps_1", tenant_id=TENANT,
                                                        endpoint="https://push.example.org/1", p256dh="k", auth="a",
                                                        created_at="2026-11-01T10:00:00.000Z"))
    store.notification_prefs.put(NotificationPrefsRecord(owner=owner, tenant_id=TENANT, phone="+41791234567",
                                                         updated_at="2026-11-01T10:00:00.000Z"))

    result = erasure.erase(OPS, "customer", CUSTOMER)

    assert store.push_subscriptions.for_owner(owner) == [] and store.notification_prefs.get(owner) is None
    assert (result["changed"]["push-subscriptions"], result["changed"]["notification-prefs"]) == (1, 1)


def test_an_open_booking_blocks_the_erasure_and_nothing_changes(store):
    person = given_customer(store)
    given_booking(store, state="assigned")

    with pytest.raises(Conflict) as refused:
        erasure.erase(OPS, "customer", CUSTOMER)

    assert refused.value.extra["open_bookings"] == ["b_1"]
    assert store.erasure.person("customer", CUSTOMER) == person
    assert store.bookings.get("b_1").description == "Drucker im Büro von Erika Muster"


def test_a_second_erasure_changes_nothing(store):
    given_customer(store)
    given_booking(store)
    given_review(store)
    erasure.erase(OPS, "customer", CUSTOMER)

    again = erasure.erase(OPS, "customer", CUSTOMER)

    assert (again["changed"], again["total_changed"]) == ({}, 0)


# ---- a helper ---------------------------------------------------------------------------------

def test_an_erased_helper_is_suspended_and_out_of_matching(store):
    given_helper(store)

    erasure.erase(OPS, "helper", HELPER)

    row = store.erasure.person("helper", HELPER)
    assert (row.name, row.first_name, row.bio, row.city) == ("[erased]", "[erased]", None, None)
    assert (row.status, row.lat, row.lon, row.on_call, row.availability) == ("suspended", 0, 0, False, {})
    assert (row.geo_pk, row.geo_sk) == (None, None)


def test_a_helpers_words_in_a_customers_booking_go_and_the_customers_stay(store):
    given_helper(store)
    given_booking(store)

    erasure.erase(OPS, "helper", HELPER)

    notes = [e.get("note") for e in store.bookings.get("b_1").history]
    assert notes == ["Klingeln bei Muster", "[erased]"]


def test_a_review_about_the_helper_loses_her_name_and_keeps_the_rest(store):
    given_helper(store)
    given_booking(store)
    given_review(store)

    erasure.erase(OPS, "helper", HELPER)

    review = store.reviews.get("b_1")
    assert (review.comment, review.reviewer_first_name) == ("[erased] war sehr geduldig mit mir", "Erika")


# ---- who may ----------------------------------------------------------------------------------

def test_only_operations_erase(store):
    given_customer(store)

    with pytest.raises(Forbidden):
        erasure.erase(Actor("customer", CUSTOMER, TENANT), "customer", CUSTOMER)


def test_ops_of_another_tenant_are_told_the_person_is_not_there(store):
    given_customer(store)

    with pytest.raises(NotFound):
        erasure.erase(Actor("ops", "ops_2", "other-tenant"), "customer", CUSTOMER)
