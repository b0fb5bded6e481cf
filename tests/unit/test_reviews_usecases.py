"""Reviews and the quality loop as use cases against the in-memory store: no JVM, no network.

Each test reads as a story (given / when / then) and names the behaviour it keeps. The same
repositories run on DynamoDB Local in tests/integration/test_store_dynamo.py (the contract) and the
whole path over HTTP and the reviews stream in tests/integration/test_reviews.py.
"""
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.review_schemas import EditReview, SubmitReview
from chalicelib.services import profiles, quality, ratings, reviews
from chalicelib.store import memory_repos, using
from chalicelib.store.records import BookingFacts, HelperRecord

TENANT = "crowdfix"
OPS = Actor("ops", "ops_1", TENANT)
DONE_AT = "2026-11-30T10:00:00.000Z"
GOOD = dict(overall=5, patience=5, clarity=4, would_recommend=True, would_book_again=True,
            comment="Sehr geduldig, hat alles erklärt.")


@pytest.fixture()
def store():
    ratings._prior_cache.clear()  # the platform prior is cached per container: start from this store's
    with using(memory_repos()) as r:
        yield r
    ratings._prior_cache.clear()


def given_helper(store, helper_id="h_anna", **over) -> HelperRecord:
    helper = HelperRecord(helper_id=helper_id, tenant_id=TENANT, status="active", first_name="Anna",
                          city="Zürich", languages=("de",), skills={"printer": 3}, **over)
    store.world.helpers[helper_id] = helper
    return helper


def given_completed_booking(store, booking_id="b_1", helper_id="h_anna", customer_id="c_erika",
                            state="completed") -> BookingFacts:
    facts = BookingFacts(booking_id=booking_id, tenant_id=TENANT, customer_id=customer_id, state=state,
                         updated_at=DONE_AT, helper_id=helper_id, language="fr", contact_name="Erika Muster",
                         completed_at=DONE_AT)
    store.world.bookings[booking_id] = facts
    return facts


def customer(customer_id="c_erika") -> Actor:
    return Actor("customer", customer_id, TENANT)


def soon() -> datetime:
    return datetime(2026, 11, 30, 12, tzinfo=timezone.utc)


def aggregate(store, booking_id: str, old=None):
    """What the reviews stream does with the review as it is now."""
    new = store.reviews.get(booking_id)
    return ratings.apply_review_change(new and new.__dict__, old and old.__dict__)


def test_the_customer_reviews_a_completed_visit_once(store):
    given_helper(store)
    given_completed_booking(store)

    review = reviews.submit_review(customer(), "b_1", SubmitReview(**GOOD), now=soon())

    assert (review.overall, review.reviewer_first_name, review.language, review.period_day) == \
        (5, "Erika", "fr", "2026-11-30")
    with pytest.raises(reviews.AlreadyReviewed):
        reviews.submit_review(customer(), "b_1", SubmitReview(**GOOD), now=soon())


def test_another_customer_cannot_review_or_read_the_visit(store):
    given_helper(store)
    given_completed_booking(store)

    with pytest.raises(NotFound):
        reviews.submit_review(customer("c_other"), "b_1", SubmitReview(**GOOD), now=soon())


def test_a_visit_that_is_not_completed_cannot_be_reviewed(store):
    given_helper(store)
    given_completed_booking(store, state="assigned")

    with pytest.raises(reviews.NotReviewable):
        reviews.submit_review(customer(), "b_1", SubmitReview(**GOOD), now=soon())


def test_a_review_can_be_changed_for_seven_days_then_not(store):
    given_helper(store)
    given_completed_booking(store)
    reviews.submit_review(customer(), "b_1", SubmitReview(**GOOD), now=soon())

    changed = reviews.edit_review(customer(), "b_1", EditReview(overall=3, comment=""), now=soon() + timedelta(days=6))

    assert (changed.overall, changed.comment, changed.version) == (3, None, 2)
    with pytest.raises(reviews.EditWindowClosed):
        reviews.edit_review(customer(), "b_1", EditReview(overall=1), now=soon() + timedelta(days=8))
    assert store.reviews.get("b_1").overall == 3


def test_a_review_moves_the_helpers_rating_once_however_often_the_stream_delivers_it(store):
    given_helper(store)
    given_completed_booking(store)
    reviews.submit_review(customer(), "b_1", SubmitReview(**GOOD), now=soon())

    assert aggregate(store, "b_1") is True
    assert aggregate(store, "b_1") is False  # the same record again

    helper = store.helpers.get("h_anna")
    assert (helper.rating_count, helper.rating_sum) == (1, 5)
    assert ratings.read_totals(ratings.tenant_scope(TENANT), ratings.day_bucket("2026-11-30"))["count"] == 1


def test_an_edit_moves_the_numbers_by_the_difference(store):
    given_helper(store)
    given_completed_booking(store)
    reviews.submit_review(customer(), "b_1", SubmitReview(**GOOD), now=soon())
    aggregate(store, "b_1")
    before = store.reviews.get("b_1")

    reviews.edit_review(customer(), "b_1", EditReview(overall=2), now=soon())
    aggregate(store, "b_1", old=before)

    helper = store.helpers.get("h_anna")
    assert (helper.rating_count, helper.rating_sum) == (1, 2)


def test_repeated_complaints_open_one_case_for_ops(store):
    given_helper(store)
    for n in range(3):
        given_completed_booking(store, booking_id=f"b_{n}", customer_id=f"c_{n}")
        reviews.submit_review(customer(f"c_{n}"), f"b_{n}", SubmitReview(**{**GOOD, "overall": 1}), now=soon())
        aggregate(store, f"b_{n}")

    cases = quality.list_cases(OPS, TENANT)

    assert [(c.kind, c.rule) for c in cases] == [("flag", "repeated_complaints")]
    assert ratings.evaluate_quality("h_anna", TENANT) == []  # still open: not opened twice


def test_ops_hide_a_comment_and_the_public_profile_leaves_it_out_but_keeps_the_stars(store):
    given_helper(store)
    for n, comment in enumerate(["Super!", "Beleidigung"]):
        given_completed_booking(store, booking_id=f"b_{n}", customer_id=f"c_{n}")
        reviews.submit_review(customer(f"c_{n}"), f"b_{n}", SubmitReview(**{**GOOD, "comment": comment}), now=soon())
        aggregate(store, f"b_{n}")

    reviews.set_comment_hidden(OPS, "b_1", True, "abusive")
    profile = profiles.public_profile("h_anna", "de")

    assert [c["comment"] for c in profile["recent_comments"]] == ["Super!"]
    assert (profile["rating"]["count"], profile["histogram"]["5"]) == (2, 2)


def test_a_suspended_helper_has_no_public_profile_until_reinstated(store):
    given_helper(store)

    suspended = quality.suspend_helper(OPS, "h_anna", "three complaints")

    assert suspended.status == "suspended"
    with pytest.raises(NotFound):
        profiles.public_profile("h_anna")
    with pytest.raises(Conflict):
        quality.suspend_helper(OPS, "h_anna", "again")
    quality.reinstate_helper(OPS, "h_anna", "talked it through")
    assert profiles.public_profile("h_anna")["first_name"] == "Anna"
    assert sorted(c.rule for c in quality.list_cases(OPS, TENANT, status="done", kind="action")) == \
        ["reinstated", "suspended"]


def test_ops_of_another_tenant_see_no_helper(store):
    given_helper(store)

    with pytest.raises(NotFound):
        quality.suspend_helper(Actor("ops", "ops_2", "other-tenant"), "h_anna", "no")


def test_the_helper_rates_the_customer_once_and_only_ops_read_it(store):
    given_helper(store)
    given_completed_booking(store)
    helper = Actor("helper", "h_anna", TENANT)

    reviews.rate_customer(helper, "b_1", 4, "freundlich")

    with pytest.raises(reviews.AlreadyReviewed):
        reviews.rate_customer(helper, "b_1", 1, None)
    assert reviews.ratings_of_booking(OPS, "b_1")["customer_rating"]["stars"] == 4


def test_a_spot_check_is_recorded_once(store):
    given_helper(store)
    given_completed_booking(store)
    store.quality.open(quality.QualityCaseRecord(case_id="spot#b_1", kind="spot_check", tenant_id=TENANT,
                                                 helper_id="h_anna", booking_id="b_1", created_at=DONE_AT))

    done = quality.record_spot_check(OPS, "b_1", "satisfied", "alles gut")

    assert (done.status, done.outcome) == ("done", "satisfied")
    with pytest.raises(Conflict):
        quality.record_spot_check(OPS, "b_1", "satisfied", None)
