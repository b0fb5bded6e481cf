"""Matching as use cases against the in-memory store: no JVM, no network.

Who a dispatch round offers the job to (nearest qualified first, never someone asked before, busy,
unpaid-out or without the skill; a wider round reaches further), how the index follows the helper's
record, and the busy flag the accept and the end of a job set and clear, once each. The same
repositories run on DynamoDB Local in tests/integration/test_store_dynamo.py (the contract); the
rounds over the real stream and queue are in tests/integration/test_matching.py.
"""
from dataclasses import asdict, replace
from types import SimpleNamespace

import pytest

from chalicelib.services import matching
from chalicelib.store import memory_repos, using
from chalicelib.store.records import HelperReach

TENANT = "crowdfix"
ZURICH = (47.3769, 8.5417)
KM_NORTH = 0.009  # degrees of latitude per km, near enough


@pytest.fixture()
def store(monkeypatch):
    from chalicelib.services import tenants

    monkeypatch.setattr(tenants, "get_tenant", lambda tenant_id: SimpleNamespace(
        settings=None, name="crowdfix", locale="de", currency="CHF"))
    with using(memory_repos()) as r:
        yield r


class _Map(dict):
    def as_dict(self):
        return dict(self)


def a_booking(**over):
    values = dict(booking_id="b_1", tenant_id=TENANT, mode="onsite", category="printer", language="de",
                  wanted=_Map(asap=True), location=_Map(lat=ZURICH[0], lon=ZURICH[1], postcode="8001", city="Zürich"))
    values.update(over)
    return SimpleNamespace(**values)


def given_helper(store, helper_id, km=1.0, **over) -> HelperReach:
    """An active helper ``km`` north of the booking, indexed as the helpers stream would."""
    values = dict(helper_id=helper_id, tenant_id=TENANT, status="active", first_name=helper_id.title(),
                  email=f"{helper_id}@example.org", languages=("de",), lat=ZURICH[0] + km * KM_NORTH, lon=ZURICH[1],
                  payout_ready=True, skills={"printer": 3})
    values.update(over)
    helper = HelperReach(**values)
    store.world.helper_reach[helper_id] = helper
    assert matching.sync_index(asdict(helper)) in ("indexed", "unchanged", "removed")
    return helper


def offered(booking=None, *, extra_km=0.0, exclude=(), limit=3) -> list[str]:
    return [c["helper"].helper_id for c in matching.ranked_candidates(
        booking or a_booking(), extra_radius_km=extra_km, exclude=set(exclude), limit=limit)]


# ---- who a round offers the job to ---------------------------------------------------------------

def test_a_round_offers_the_nearest_qualified_helpers_first(store):
    for hid, km in (("far", 8.0), ("near", 0.5), ("middle", 3.0)):
        given_helper(store, hid, km)
    assert offered(limit=2) == ["near", "middle"]


def test_a_helper_asked_in_an_earlier_round_is_not_asked_again(store):
    given_helper(store, "near", 0.5)
    given_helper(store, "middle", 3.0)
    assert offered(exclude={"near"}) == ["middle"]


def test_a_helper_without_the_skill_is_not_offered(store):
    given_helper(store, "printer_pro", 2.0)
    given_helper(store, "network_only", 0.5, skills={"network": 3})
    assert offered() == ["printer_pro"]


def test_a_helper_who_cannot_be_paid_out_is_not_offered_paid_work(store):
    given_helper(store, "paid", 2.0)
    given_helper(store, "no_payout", 0.5, payout_ready=False)
    assert offered() == ["paid"]


def test_a_wider_round_reaches_a_helper_beyond_the_first_radius(store):
    given_helper(store, "fourteen_km", 14.0)
    assert offered(extra_km=0) == []
    assert offered(extra_km=5) == ["fourteen_km"]


def test_a_helper_busy_since_the_index_was_written_is_not_offered(store):
    """The index is eventually consistent: a round confirms each candidate on the record."""
    given_helper(store, "busy", 0.5)
    given_helper(store, "free", 2.0)
    store.helpers.mark_busy("match#busy#b_0#busy", "busy", "b_0", "2026-12-02T10:00:00.000Z")
    assert offered() == ["free"]


def test_a_helper_of_another_pool_is_not_offered(store):
    given_helper(store, "partner_own", 0.5, tenant_id="acme-partner")
    given_helper(store, "crowd", 2.0)
    assert offered() == ["crowd"]


# ---- the index follows the record ----------------------------------------------------------------

def test_index_keys_derived_from_an_old_image_are_not_written(store):
    helper = given_helper(store, "anna", 1.0)
    store.world.helper_reach["anna"] = replace(helper, status="suspended")  # ops suspended her meanwhile
    old_image = {**asdict(helper), **dict.fromkeys(("geo_pk", "geo_sk", "remote_pool", "remote_sk"))}
    assert matching.sync_index(old_image) == "stale"


def test_a_helper_going_off_duty_leaves_the_index(store):
    helper = given_helper(store, "anna", 1.0)
    image = {**asdict(helper), **store.world.index_items["anna"], "off_duty": True}
    store.world.helper_reach["anna"] = replace(helper, off_duty=True)
    assert matching.sync_index(image) == "removed"
    assert offered() == []


# ---- busy while on a job -------------------------------------------------------------------------

def accept(helper_id="anna", booking_id="b_1", v=3) -> tuple[dict, dict]:
    return ({"booking_id": booking_id, "helper_id": helper_id},
            {"transition": "accept", "v": v, "at": "2026-12-02T10:00:00.000Z"})


def test_the_accept_marks_the_helper_busy_once_however_often_it_is_delivered(store):
    given_helper(store, "anna")
    for _ in range(3):
        matching.mark_helper_busy(*accept(), None)
    assert store.helpers.reach("anna").busy_with == "b_1"
    assert store.world.helper_last_accept == {"anna": "2026-12-02T10:00:00.000Z#b_1"}  # counted once


def test_the_end_of_a_job_frees_the_helper_but_not_from_another_job(store):
    given_helper(store, "anna")
    matching.mark_helper_busy(*accept(booking_id="b_2"), None)  # she took another job since
    matching.free_helper({"booking_id": "b_1", "helper_id": "anna"}, {"transition": "complete", "v": 6}, None)
    assert store.helpers.reach("anna").busy_with == "b_2"
    matching.free_helper({"booking_id": "b_2", "helper_id": "anna"}, {"transition": "complete", "v": 6}, None)
    assert store.helpers.reach("anna").busy_with is None


def test_a_helper_who_cancels_is_freed_from_that_booking(store):
    given_helper(store, "anna")
    matching.mark_helper_busy(*accept(), None)
    matching.free_helper({"booking_id": "b_1", "helper_id": None},
                         {"transition": "cancel_by_helper", "helper_id": "anna", "v": 4}, None)
    assert store.helpers.reach("anna").busy_with is None
