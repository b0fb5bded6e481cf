"""One contract for the repositories, run against the in-memory twins (tests/unit) and against
DynamoDB Local (tests/integration), as the Chalice todo-app runs ``TestTodoDB`` against both.

A subclass provides the ``world`` fixture: an object with ``repos`` (a ``chalicelib.store.Repos``)
and ``given_helper(record)`` / ``given_booking(facts)`` / ``given_staff(record)`` to put the records the repositories only
read (and ``given_offer(record)`` / ``given_helper_reach(record)`` for dispatch's and notifications' reads).
Every test names its records with fresh ids, so the DynamoDB run can share the session's tables.
"""
from __future__ import annotations

import threading
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.store.conditions import AlreadyExists, ConditionFailed
from chalicelib.store.records import (HelperReach, NotificationLogRecord, NotificationPrefsRecord, OfferRecord,
                                      PushSubscriptionRecord)
from chalicelib.store.records import (BookingFacts, CustomerRatingRecord, CustomerRecord, FailureRecord, GeoHintRecord,
                                      SignInCodeRecord, StaffRecord,
                                      HelperRecord, QualityCaseRecord, ReviewRecord, WebhookDeliveryRecord,
                                      WebhookEndpointRecord)


def _id(prefix: str) -> str:
    return f"{prefix}_ct{uuid.uuid4().hex[:14]}"


def a_review(**over) -> ReviewRecord:
    values = dict(booking_id=_id("b"), tenant_id="contract", helper_id=_id("h"), customer_id=_id("c"),
                  overall=4, patience=5, clarity=3, would_recommend=True, would_book_again=False,
                  period_day="2026-11-30", created_at="2026-11-30T10:00:00.000Z",
                  updated_at="2026-11-30T10:00:00.000Z", editable_until="2026-12-07T10:00:00.000Z",
                  reviewer_first_name="Erika", comment="Sehr geduldig.", language="fr")
    values.update(over)
    return ReviewRecord(**values)


def a_helper(**over) -> HelperRecord:
    values = dict(helper_id=_id("h"), tenant_id=f"contract-{uuid.uuid4().hex[:6]}", status="active",
                  first_name="Rita", city="Zürich", languages=("de", "en"), skills={"printer": 3},
                  qualifications=("printer level 3",), bio="Drucker und WLAN.")
    values.update(over)
    return HelperRecord(**values)


class StoreContract:
    def given_review(self, world, **over) -> ReviewRecord:
        """A review of a helper who exists (on DynamoDB the reviews stream counts it for them)."""
        review = a_review(**over)
        if world.repos.helpers.get(review.helper_id, consistent=True) is None:
            world.given_helper(a_helper(helper_id=review.helper_id, tenant_id=review.tenant_id))
        return review

    # ---- reviews -------------------------------------------------------------------------------

    def test_a_review_reads_back_as_it_was_written(self, world):
        review = self.given_review(world)
        world.repos.reviews.add(review)
        assert world.repos.reviews.get(review.booking_id) == review

    def test_a_second_review_of_one_booking_is_refused(self, world):
        review = self.given_review(world)
        world.repos.reviews.add(review)
        with pytest.raises(AlreadyExists):
            world.repos.reviews.add(replace(review, overall=1))
        assert world.repos.reviews.get(review.booking_id).overall == 4

    def test_a_missing_review_is_none(self, world):
        assert world.repos.reviews.get(_id("b")) is None

    def test_an_update_at_the_expected_version_changes_only_what_it_names(self, world):
        review = self.given_review(world)
        world.repos.reviews.add(review)
        new = world.repos.reviews.update(review.booking_id, expected_version=1,
                                         changes={"overall": 2, "version": 2, "comment": None})
        assert new == replace(review, overall=2, version=2, comment=None)
        assert world.repos.reviews.get(review.booking_id) == new

    def test_an_update_at_a_stale_version_is_refused_and_changes_nothing(self, world):
        review = self.given_review(world)
        world.repos.reviews.add(review)
        world.repos.reviews.update(review.booking_id, expected_version=1, changes={"version": 2})
        with pytest.raises(ConditionFailed):
            world.repos.reviews.update(review.booking_id, expected_version=1, changes={"overall": 1, "version": 2})
        assert world.repos.reviews.get(review.booking_id).overall == 4

    def test_an_update_of_a_missing_review_creates_nothing(self, world):
        booking_id = _id("b")
        with pytest.raises(ConditionFailed):
            world.repos.reviews.update(booking_id, expected_version=1, changes={"overall": 1})
        assert world.repos.reviews.get(booking_id) is None

    def test_an_update_after_the_edit_window_is_refused(self, world):
        review = self.given_review(world)
        world.repos.reviews.add(review)
        with pytest.raises(ConditionFailed):
            world.repos.reviews.update(review.booking_id, expected_version=1, changes={"overall": 1},
                                       editable_at="2026-12-08T00:00:00.000Z")
        world.repos.reviews.update(review.booking_id, expected_version=1, changes={"overall": 1},
                                   editable_at="2026-12-01T00:00:00.000Z")
        assert world.repos.reviews.get(review.booking_id).overall == 1

    def test_a_helpers_reviews_come_newest_first(self, world):
        helper_id = _id("h")
        days = ["2026-11-01", "2026-11-03", "2026-11-02"]
        for day in days:
            world.repos.reviews.add(self.given_review(world, helper_id=helper_id, created_at=f"{day}T09:00:00.000Z"))
        world.repos.reviews.add(self.given_review(world))  # another helper's
        got = [r.created_at[:10] for r in world.repos.reviews.by_helper(helper_id)]
        assert got == sorted(days, reverse=True)
        assert len(list(world.repos.reviews.by_helper(helper_id, limit=2))) == 2

    # ---- customer ratings ----------------------------------------------------------------------

    def test_a_customer_is_rated_once_per_booking(self, world):
        rating = CustomerRatingRecord(booking_id=_id("b"), tenant_id="contract", customer_id=_id("c"),
                                      helper_id=_id("h"), stars=2, created_at="2026-11-30T10:00:00.000Z",
                                      comment="kam zu spät an die Tür")
        world.repos.customer_ratings.add(rating)
        with pytest.raises(AlreadyExists):
            world.repos.customer_ratings.add(replace(rating, stars=5))
        assert world.repos.customer_ratings.get(rating.booking_id) == rating
        assert world.repos.customer_ratings.get(_id("b")) is None

    # ---- rating counters -----------------------------------------------------------------------

    def test_counters_move_on_every_target_and_on_the_helper(self, world):
        helper = a_helper()
        world.given_helper(helper)
        scope = f"helper#{helper.helper_id}"
        tenant_scope = f"tenant#{helper.tenant_id}"
        moved = world.repos.counters.add(_id("g"), {"count": 1, "star_sum": 4, "h4": 1},
                                         [(scope, "all", helper.tenant_id), (tenant_scope, "d#2026-11-30", helper.tenant_id)],
                                         helper_id=helper.helper_id)
        assert moved is True
        assert world.repos.counters.totals(scope, "all", consistent=True)["star_sum"] == 4
        assert world.repos.counters.totals(tenant_scope, "d#2026-11-30", consistent=True)["h4"] == 1
        h = world.repos.helpers.get(helper.helper_id, consistent=True)
        assert (h.rating_count, h.rating_sum) == (1, 4)

    def test_a_replayed_guard_moves_nothing(self, world):
        scope, guard = f"tenant#{_id('t')}", _id("g")
        assert world.repos.counters.add(guard, {"count": 1, "star_sum": 5}, [(scope, "all", None)])
        assert world.repos.counters.add(guard, {"count": 1, "star_sum": 5}, [(scope, "all", None)]) is False
        assert world.repos.counters.totals(scope, "all", consistent=True)["count"] == 1

    def test_ten_concurrent_adds_of_one_guard_count_once(self, world):
        scope, guard = f"tenant#{_id('t')}", _id("g")
        results, errors = [], []

        def add():
            try:
                results.append(world.repos.counters.add(guard, {"count": 1}, [(scope, "all", None)]))
            except Exception as exc:  # a conflict must not be mistaken for success
                errors.append(exc)

        threads = [threading.Thread(target=add) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results.count(True) == 1
        assert world.repos.counters.totals(scope, "all", consistent=True)["count"] == 1
        assert all(not isinstance(e, AssertionError) for e in errors)

    def test_counting_for_a_missing_helper_moves_nothing(self, world):
        scope, guard = f"tenant#{_id('t')}", _id("g")
        with pytest.raises(ConditionFailed):
            world.repos.counters.add(guard, {"count": 1, "star_sum": 5}, [(scope, "all", None)],
                                     helper_id=_id("h"))
        assert world.repos.counters.totals(scope, "all", consistent=True)["count"] == 0
        # the guard was not kept either: the change can be counted once the helper exists
        assert world.repos.counters.add(guard, {"count": 1}, [(scope, "all", None)]) is True

    def test_unknown_counters_read_as_zero_and_buckets_read_by_range(self, world):
        scope = f"tenant#{_id('t')}"
        assert set(world.repos.counters.totals(scope, "all").values()) == {0}
        for day, n in (("2026-11-01", 1), ("2026-11-15", 2), ("2026-12-01", 4)):
            world.repos.counters.add(_id("g"), {"count": n}, [(scope, f"d#{day}", None)])
        rows = world.repos.counters.between(scope, "d#2026-11-01", "d#2026-11-30")
        assert sorted(r["count"] for r in rows) == [1, 2]

    # ---- quality cases -------------------------------------------------------------------------

    def _case(self, **over) -> QualityCaseRecord:
        values = dict(case_id=f"flag#{_id('h')}#low_rating", kind="flag", tenant_id=f"contract-{uuid.uuid4().hex[:6]}",
                      helper_id=_id("h"), rule="low_rating", detail="below 3.5", created_at="2026-11-30T10:00:00.000Z")
        values.update(over)
        return QualityCaseRecord(**values)

    def test_a_case_opens_once_and_again_only_after_it_was_done(self, world):
        case = self._case()
        assert world.repos.quality.open(case) is True
        assert world.repos.quality.open(case, reopen_done=True) is False
        closed = world.repos.quality.close(case, outcome="resolved", notes="talked to her", resolved_by="ops_1",
                                           at="2026-11-30T11:00:00.000Z")
        assert (closed.status, closed.outcome, closed.resolved_by) == ("done", "resolved", "ops_1")
        assert world.repos.quality.open(case) is False
        assert world.repos.quality.open(replace(case, created_at="2026-12-01T10:00:00.000Z"), reopen_done=True) is True
        assert world.repos.quality.get(case.case_id).status == "open"

    def test_a_case_closes_once(self, world):
        case = self._case()
        world.repos.quality.open(case)
        world.repos.quality.close(case, outcome="ok", notes="", resolved_by="ops_1", at="2026-11-30T11:00:00.000Z")
        with pytest.raises(ConditionFailed):
            world.repos.quality.close(case, outcome="again", notes="", resolved_by="ops_2", at="2026-11-30T12:00:00.000Z")
        assert world.repos.quality.get(case.case_id).outcome == "ok"
        assert world.repos.quality.get(f"flag#{_id('h')}#x") is None

    def test_cases_are_listed_per_tenant_and_status_newest_first(self, world):
        tenant = f"contract-{uuid.uuid4().hex[:6]}"
        for minute in ("01", "03", "02"):
            world.repos.quality.open(self._case(case_id=_id("spot"), kind="spot_check", tenant_id=tenant,
                                                created_at=f"2026-11-30T10:{minute}:00.000Z"))
        world.repos.quality.log(self._case(case_id=_id("action"), kind="action", tenant_id=tenant, status="done"))
        world.repos.quality.open(self._case())  # another tenant's
        listed = world.repos.quality.listed(tenant, "open", 10)
        assert [c.created_at[14:16] for c in listed] == ["03", "02", "01"]
        assert [c.kind for c in world.repos.quality.listed(tenant, "done", 10)] == ["action"]
        assert len(world.repos.quality.listed(tenant, "open", 2)) == 2

    # ---- helpers and bookings (read, and the helper's status) ---------------------------------

    def test_a_helper_reads_back_and_moves_status_only_from_the_status_read(self, world):
        helper = a_helper()
        world.given_helper(helper)
        got = world.repos.helpers.get(helper.helper_id, consistent=True)
        assert got == helper
        suspended = world.repos.helpers.set_status(got, "suspended")
        assert suspended.status == "suspended"
        with pytest.raises(ConditionFailed):
            world.repos.helpers.set_status(got, "suspended")  # read as active; it is not any more
        assert world.repos.helpers.get(_id("h")) is None
        with pytest.raises(ConditionFailed):
            world.repos.helpers.set_status(a_helper(), "active")  # no such helper: nothing created

    def test_booking_facts_read_back(self, world):
        facts = BookingFacts(booking_id=_id("b"), tenant_id="contract", customer_id=_id("c"), state="cancelled",
                             updated_at="2026-11-30T10:00:00.000Z", helper_id=_id("h"), language="it",
                             contact_name="Erika Muster")
        world.given_booking(facts)
        assert world.repos.bookings.facts(facts.booking_id) == facts
        assert world.repos.bookings.facts(_id("b")) is None
        assert world.repos.offers.open_for_helper(_id("h")) == []

    # ---- failure store -------------------------------------------------------------------------

    def _failure(self, **over) -> FailureRecord:
        values = dict(failure_id=_id("f"), unit=f"work#contract#{uuid.uuid4().hex}", kind="contract", name="contract",
                      error="RuntimeError: boom", first_failed_at="2026-11-30T10:00:00.000Z",
                      last_failed_at="2026-11-30T10:00:00.000Z", payload='{"x": 1}', attempts=4)
        values.update(over)
        return FailureRecord(**values)

    def test_a_failure_is_stored_once_and_a_second_failure_reopens_it(self, world):
        failure = self._failure()
        world.repos.failures.add(failure)
        with pytest.raises(AlreadyExists):
            world.repos.failures.add(failure)
        assert world.repos.failures.get(failure.failure_id) == failure
        replayed = world.repos.failures.mark_replayed(failure, by="ops_1", at="2026-11-30T11:00:00.000Z")
        assert (replayed.status, replayed.replays, replayed.version) == ("replayed", 1, 2)
        world.repos.failures.failed_again(failure.failure_id, error="RuntimeError: again",
                                          at="2026-11-30T12:00:00.000Z", attempts=4, payload='{"x": 2}')
        again = world.repos.failures.get(failure.failure_id)
        assert (again.status, again.error, again.attempts, again.payload, again.version) == \
            ("open", "RuntimeError: again", 8, '{"x": 2}', 3)

    def test_a_failure_is_replayed_once_from_what_was_read(self, world):
        failure = self._failure()
        world.repos.failures.add(failure)
        world.repos.failures.mark_replayed(failure, by="ops_1", at="2026-11-30T11:00:00.000Z")
        with pytest.raises(ConditionFailed):
            world.repos.failures.mark_replayed(failure, by="ops_2", at="2026-11-30T11:00:01.000Z")
        with pytest.raises(ConditionFailed):
            world.repos.failures.failed_again(_id("f"), error="x", at="2026-11-30T12:00:00.000Z", attempts=1,
                                              payload="{}")
        assert world.repos.failures.get(_id("f")) is None

    def test_failures_are_listed_by_status_most_recent_first(self, world):
        stamps = ["2099-01-01T10:00:00.000Z", "2099-01-01T10:02:00.000Z", "2099-01-01T10:01:00.000Z"]
        ids = []
        for at in stamps:
            f = self._failure(last_failed_at=at)
            world.repos.failures.add(f)
            ids.append(f.failure_id)
        top = [f.last_failed_at for f in world.repos.failures.listed("open", 3)]
        assert top == sorted(stamps, reverse=True)

    # ---- guards and density hints --------------------------------------------------------------

    def test_a_guard_is_marked_once(self, world):
        key = _id("guard")
        assert world.repos.guards.seen(key) is False
        assert world.repos.guards.mark_once(key, timedelta(minutes=5)) is True
        assert world.repos.guards.mark_once(key, timedelta(minutes=5)) is False
        assert world.repos.guards.seen(key) is True

    def test_a_density_hint_reads_back_and_is_replaced(self, world):
        key = f"contract|{uuid.uuid4().hex}|printer"
        assert world.repos.geo_hints.get(key) is None
        world.repos.geo_hints.put(GeoHintRecord(key, density=0.25, updated_at=1000.0), ttl=timedelta(hours=1))
        world.repos.geo_hints.put(GeoHintRecord(key, density=0.5, updated_at=1001.0, read_density=2.0),
                                  ttl=timedelta(hours=1))
        assert world.repos.geo_hints.get(key) == GeoHintRecord(key, density=0.5, updated_at=1001.0, read_density=2.0)

    # ---- partner webhooks ----------------------------------------------------------------------

    def _endpoint(self, tenant_id=None, **over) -> WebhookEndpointRecord:
        values = dict(tenant_id=tenant_id or f"contract-{uuid.uuid4().hex[:6]}", endpoint_id=_id("we"),
                      url="https://hooks.example.org/crowdfix", secret="whsec_contract", created_at="2026-11-30T10:00:00.000Z",
                      events=("booking.completed", "booking.created"), description="CRM")
        values.update(over)
        return WebhookEndpointRecord(**values)

    def _delivery(self, endpoint_id, message_id=None, **over) -> WebhookDeliveryRecord:
        values = dict(endpoint_id=endpoint_id, message_id=message_id or _id("msg"), tenant_id="contract",
                      event_type="booking.created", payload='{"type":"booking.created"}',
                      created_at="2026-11-30T10:00:00.000Z")
        values.update(over)
        return WebhookDeliveryRecord(**values)

    def test_endpoints_are_kept_per_tenant(self, world):
        ep = self._endpoint()
        world.repos.webhooks.add_endpoint(ep)
        other = self._endpoint(tenant_id=ep.tenant_id)
        world.repos.webhooks.add_endpoint(other)
        world.repos.webhooks.add_endpoint(self._endpoint())  # another tenant's
        with pytest.raises(AlreadyExists):
            world.repos.webhooks.add_endpoint(replace(ep, url="https://evil.example.org/"))
        assert world.repos.webhooks.endpoint(ep.tenant_id, ep.endpoint_id) == ep
        assert sorted(e.endpoint_id for e in world.repos.webhooks.endpoints(ep.tenant_id)) == \
            sorted([ep.endpoint_id, other.endpoint_id])
        world.repos.webhooks.delete_endpoint(ep.tenant_id, ep.endpoint_id)
        assert world.repos.webhooks.endpoint(ep.tenant_id, ep.endpoint_id) is None
        assert world.repos.webhooks.endpoint("another-tenant", other.endpoint_id) is None

    def test_a_delivery_is_logged_once_and_read_newest_first(self, world):
        endpoint_id = _id("we")
        for n in ("msg_a", "msg_c", "msg_b"):
            world.repos.webhooks.add_delivery(self._delivery(endpoint_id, n))
        with pytest.raises(AlreadyExists):
            world.repos.webhooks.add_delivery(self._delivery(endpoint_id, "msg_a"))
        assert [d.message_id for d in world.repos.webhooks.deliveries(endpoint_id, 2)] == ["msg_c", "msg_b"]
        assert world.repos.webhooks.delivery(endpoint_id, "msg_x") is None

    def test_the_delivery_log_pages_without_gaps_or_repeats(self, world):
        endpoint_id = _id("we")
        names = [f"msg_{n:02d}" for n in range(7)]
        for n in names:
            world.repos.webhooks.add_delivery(self._delivery(endpoint_id, n))
        world.repos.webhooks.add_delivery(self._delivery(_id("we"), "msg_99"))  # another endpoint's
        seen, after, pages = [], None, 0
        while True:
            page, after = world.repos.webhooks.deliveries_page(endpoint_id, 3, after)
            assert len(page) <= 3
            seen += [d.message_id for d in page]
            pages += 1
            if after is None:
                break
        assert seen == sorted(names, reverse=True) and pages in (3, 4)

    def test_attempts_are_numbered_atomically(self, world):
        endpoint_id = _id("we")
        d = self._delivery(endpoint_id)
        world.repos.webhooks.add_delivery(d)
        numbers = []
        threads = [threading.Thread(target=lambda: numbers.append(
            world.repos.webhooks.claim_attempt(endpoint_id, d.message_id, final_states=("delivered", "failed"))))
            for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(numbers) == list(range(1, 11))
        assert world.repos.webhooks.claim_attempt(endpoint_id, _id("msg")) is None  # gone: nothing created

    def test_a_final_delivery_stays_final_whatever_a_late_attempt_reports(self, world):
        endpoint_id = _id("we")
        d = self._delivery(endpoint_id)
        world.repos.webhooks.add_delivery(d)
        ok = {"at": "2026-11-30T10:00:01+00:00", "status": 200, "error": None, "ms": 12}
        late = {"at": "2026-11-30T10:00:02+00:00", "status": 503, "error": "HTTP 503", "ms": 30}
        assert world.repos.webhooks.record_attempt(endpoint_id, d.message_id, 1, ok, status_code=200, error=None,
                                                   first_attempt_at=1000.0, new_status="delivered",
                                                   delivered_at="2026-11-30T10:00:01.000Z", unless_status=("delivered",))
        assert world.repos.webhooks.record_attempt(endpoint_id, d.message_id, 2, late, status_code=503,
                                                   error="HTTP 503", new_status="retrying",
                                                   unless_status=("delivered", "failed")) is False
        got = world.repos.webhooks.delivery(endpoint_id, d.message_id)
        assert (got.status, got.last_status_code, got.delivered_at, got.first_attempt_at) == \
            ("delivered", 200, "2026-11-30T10:00:01.000Z", 1000.0)
        assert got.attempt_log == {"1": ok, "2": late}  # the late attempt is still in the log
        assert world.repos.webhooks.claim_attempt(endpoint_id, d.message_id, final_states=("delivered",)) is None

    def test_a_redelivery_starts_a_fresh_window(self, world):
        endpoint_id = _id("we")
        d = self._delivery(endpoint_id, status="failed", attempts=7, first_attempt_at=1000.0)
        world.repos.webhooks.add_delivery(d)
        again = world.repos.webhooks.reset_for_redelivery(endpoint_id, d.message_id)
        assert (again.status, again.first_attempt_at, again.attempts) == ("pending", None, 7)
        with pytest.raises(ConditionFailed):
            world.repos.webhooks.reset_for_redelivery(endpoint_id, _id("msg"))

    # ---- sign-in codes, client counters, phone numbers, people ---------------------------------

    def _code(self, **over) -> SignInCodeRecord:
        values = dict(key=f"contract#customer#{uuid.uuid4().hex}@example.org", code_hash="hash-1",
                      expires_at=2_000_000_600, attempts=0, sends=1, last_sent_at=2_000_000_000.0,
                      window_ends=2_000_000_900.0, ip_key="ip#198.51.100.7#555")
        values.update(over)
        return SignInCodeRecord(**values)

    def test_a_code_window_starts_over_exactly_what_was_read(self, world):
        code = self._code()
        world.repos.signin.start_window(code, replacing=None, ttl=timedelta(hours=1))
        assert world.repos.signin.code(code.key) == code
        with pytest.raises(ConditionFailed):  # someone else started one meanwhile
            world.repos.signin.start_window(replace(code, code_hash="hash-x"), replacing=None, ttl=timedelta(hours=1))
        newer = replace(code, code_hash="hash-2", window_ends=2_000_002_000.0)
        world.repos.signin.start_window(newer, replacing=code, ttl=timedelta(hours=1))
        with pytest.raises(ConditionFailed):
            world.repos.signin.start_window(replace(code, code_hash="hash-3"), replacing=code, ttl=timedelta(hours=1))
        assert world.repos.signin.code(code.key).code_hash == "hash-2"

    def test_a_new_code_in_the_window_keeps_the_tries_used(self, world):
        code = self._code()
        world.repos.signin.start_window(code, replacing=None, ttl=timedelta(hours=1))
        world.repos.signin.take_try(code.key, max_attempts=5, now=2_000_000_100)
        world.repos.signin.resend(code, code_hash="hash-2", expires_at=2_000_000_700, at=2_000_000_100.0,
                                  ip_key="ip#x#1", ttl=timedelta(hours=1))
        got = world.repos.signin.code(code.key)
        assert (got.code_hash, got.sends, got.attempts, got.ip_key) == ("hash-2", 2, 1, "ip#x#1")
        with pytest.raises(ConditionFailed):  # read before the resend: stale
            world.repos.signin.resend(code, code_hash="hash-3", expires_at=2_000_000_700, at=2_000_000_101.0,
                                      ip_key="ip#x#1", ttl=timedelta(hours=1))

    def test_tries_run_out_even_when_ten_arrive_at_once(self, world):
        code = self._code()
        world.repos.signin.start_window(code, replacing=None, ttl=timedelta(hours=1))
        got, refused = [], []

        def guess():
            try:
                got.append(world.repos.signin.take_try(code.key, max_attempts=5, now=2_000_000_100).attempts)
            except ConditionFailed:
                refused.append(1)

        threads = [threading.Thread(target=guess) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert (sorted(got), len(refused)) == ([1, 2, 3, 4, 5], 5)
        assert world.repos.signin.code(code.key).attempts == 5

    def test_no_try_on_an_expired_or_missing_code_and_no_half_record(self, world):
        code = self._code()
        world.repos.signin.start_window(code, replacing=None, ttl=timedelta(hours=1))
        with pytest.raises(ConditionFailed):
            world.repos.signin.take_try(code.key, max_attempts=5, now=2_000_000_601)
        missing = f"contract#customer#{uuid.uuid4().hex}@example.org"
        with pytest.raises(ConditionFailed):
            world.repos.signin.take_try(missing, max_attempts=5, now=2_000_000_000)
        assert world.repos.signin.code(missing) is None

    def test_a_code_is_used_once(self, world):
        code = self._code()
        world.repos.signin.start_window(code, replacing=None, ttl=timedelta(hours=1))
        world.repos.signin.use(code)
        assert world.repos.signin.code(code.key) is None
        with pytest.raises(ConditionFailed):
            world.repos.signin.use(code)

    def test_a_client_address_is_charged_up_to_its_limit_and_refunded(self, world):
        ip_key = f"ip#contract-{uuid.uuid4().hex}#1"
        assert [world.repos.signin.charge_client(ip_key, limit=3, ttl=timedelta(hours=2)) for _ in range(4)] == \
            [True, True, True, False]
        world.repos.signin.refund_client(ip_key)
        assert world.repos.signin.outstanding(ip_key) == 2
        gone = f"ip#contract-{uuid.uuid4().hex}#1"
        world.repos.signin.refund_client(gone)  # nothing outstanding: nothing happens, nothing is created
        assert world.repos.signin.outstanding(gone) == 0

    def test_a_phone_number_is_verified_with_its_code_once(self, world):
        key = f"phone#customer#c_ct{uuid.uuid4().hex}"
        world.repos.signin.phone_code_sent(key, current=None, phone="+41791234567", code_hash="p-1",
                                           expires_at=2_000_000_600, at=2_000_000_000.0, window=3600,
                                           ttl=timedelta(hours=2))
        with pytest.raises(ConditionFailed):  # read as missing, but it is there now
            world.repos.signin.phone_code_sent(key, current=None, phone="+41791234567", code_hash="p-x",
                                               expires_at=2_000_000_600, at=2_000_000_000.0, window=3600,
                                               ttl=timedelta(hours=2))
        current = world.repos.signin.phone(key)
        world.repos.signin.phone_code_sent(key, current=current, phone="+41797654321", code_hash="p-2",
                                           expires_at=2_000_000_700, at=2_000_000_100.0, window=3600,
                                           ttl=timedelta(hours=2))
        tried = world.repos.signin.phone_try(key, max_attempts=5, now=2_000_000_200)
        assert (tried.pending_phone, tried.sends, tried.attempts) == ("+41797654321", 2, 1)
        done = world.repos.signin.phone_verified(tried, at=2_000_000_201.0)
        assert (done.verified_phone, done.pending_phone, done.code_hash) == ("+41797654321", None, None)
        with pytest.raises(ConditionFailed):
            world.repos.signin.phone_verified(tried, at=2_000_000_202.0)
        with pytest.raises(ConditionFailed):  # no code pending any more
            world.repos.signin.phone_try(key, max_attempts=5, now=2_000_000_300)

    def test_customers_are_created_once_and_helpers_and_staff_found_by_e_mail(self, world):
        customer = CustomerRecord(customer_id=_id("c"), tenant_id="contract", email="erika@example.org",
                                  created_at="2026-11-30T10:00:00.000Z", name="Erika Muster", language="fr")
        world.repos.people.add_customer(customer)
        with pytest.raises(AlreadyExists):
            world.repos.people.add_customer(replace(customer, name="Someone Else"))
        assert world.repos.people.customer(customer.customer_id) == customer
        helper = a_helper()
        world.given_helper(helper)
        assert world.repos.people.helper_id_by_email(helper.tenant_id, f"{helper.helper_id}@example.org") == \
            helper.helper_id
        assert world.repos.people.helper_id_by_email(helper.tenant_id, "nobody@example.org") is None
        staff = StaffRecord(email=f"ops-{uuid.uuid4().hex[:8]}@example.org", staff_id=_id("s"), name="Olga Ops",
                            role="ops", tenant_id="*")
        world.given_staff(staff)
        assert world.repos.people.staff(staff.email) == staff
        assert world.repos.people.staff("nobody@example.org") is None


# ---- payments, ledger, payout accounts, saved cards, bookings' transition write, claims (issue 18) --------

class PaymentsContract:
    """The payments side of the contract. A world also gives ``given_payout_account(record)``,
    ``given_card(record)`` and ``given_whole_booking(record)`` for the records these repositories
    read but do not create."""

    @staticmethod
    def a_payment(**over):
        from chalicelib.store.records import PaymentRecord

        values = dict(booking_id=_id("b"), tenant_id="contract", customer_id=_id("c"), currency="CHF",
                      created_at="2026-12-01T09:00:00.000Z", updated_at="2026-12-01T09:00:00.000Z")
        values.update(over)
        return PaymentRecord(**values)

    @staticmethod
    def a_booking(**over):
        from chalicelib.store.records import BookingRecord

        values = dict(booking_id=_id("b"), tenant_id="contract", customer_id=_id("c"), state="started",
                      created_at="2026-12-01T09:00:00.000Z", updated_at="2026-12-01T09:00:00.000Z",
                      category="printer", description="contract", mode="remote",
                      price_cap={"amount": 20000, "currency": "CHF"}, version=3)
        values.update(over)
        return BookingRecord(**values)

    def test_a_payment_is_created_once_and_reads_back_as_written(self, world):
        pay = self.a_payment(steps={"price": {"total": 9790}}, line_items=({"code": "time", "amount": 9790},))
        world.repos.payments.add(pay)
        with pytest.raises(AlreadyExists):
            world.repos.payments.add(replace(pay, currency="EUR"))
        assert world.repos.payments.get(pay.booking_id) == pay
        assert world.repos.payments.get(_id("b")) is None

    def test_a_write_at_the_version_read_changes_what_it_names_and_a_stale_one_is_refused(self, world):
        pay = self.a_payment(payment_intent_id=_id("pi"), hold_day="2031-01-02", auth_seq=1)
        world.repos.payments.add(pay)
        written = world.repos.payments.write(pay, {"status": "authorised", "facts": {"authorised": 20000},
                                                   "refunds": [{"seq": 0, "amount": 100}], "hold_day": None})
        assert (written.version, written.status, written.facts, written.refunds, written.hold_day) == \
            (2, "authorised", {"authorised": 20000}, ({"seq": 0, "amount": 100},), None)
        assert (written.payment_intent_id, written.auth_seq) == (pay.payment_intent_id, 1)
        assert world.repos.payments.get(pay.booking_id) == written
        with pytest.raises(ConditionFailed):
            world.repos.payments.write(pay, {"status": "captured"})
        assert world.repos.payments.get(pay.booking_id).status == "authorised"

    def test_an_update_re_reads_and_decides_again_after_a_lost_race(self, world):
        pay = self.a_payment(refund_reserved=0)
        world.repos.payments.add(pay)
        seen = []

        def reserve(p):
            seen.append(p.refund_reserved)
            if len(seen) == 1:  # a rival reserves between this read and this write
                world.repos.payments.write(p, {"refund_reserved": 700})
            return {"refund_reserved": int(p.refund_reserved or 0) + 100}
        assert world.repos.payments.update(pay.booking_id, reserve).refund_reserved == 800
        assert seen == [0, 700]
        assert world.repos.payments.update(pay.booking_id, lambda p: None).version == 3  # nothing to do

    def test_ten_concurrent_reservations_are_all_counted(self, world):
        pay = self.a_payment(refund_reserved=0)
        world.repos.payments.add(pay)

        def reserve():
            world.repos.payments.update(pay.booking_id, lambda p: {"refund_reserved": int(p.refund_reserved) + 1})
        threads = [threading.Thread(target=reserve) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert world.repos.payments.get(pay.booking_id).refund_reserved == 3

    def test_a_payment_is_found_by_its_intent_and_by_the_day_of_its_hold(self, world):
        day = f"2031-{uuid.uuid4().int % 12 + 1:02d}-{uuid.uuid4().int % 28 + 1:02d}"
        held = [self.a_payment(payment_intent_id=_id("pi"), hold_day=day) for _ in range(2)]
        for p in held:
            world.repos.payments.add(p)
        assert world.repos.payments.booking_for_intent(held[0].payment_intent_id) == held[0].booking_id
        assert world.repos.payments.booking_for_intent(_id("pi")) is None
        found = {p.booking_id for p in world.repos.payments.holding_on(day)}
        assert {p.booking_id for p in held} <= found

    def test_a_movement_is_booked_once_and_read_per_booking_and_per_account(self, world):
        from chalicelib.domain import ledger as L

        booking_id, helper_id = _id("b"), _id("h")
        parties = L.Parties(booking_id, "contract", _id("c"), helper_id, "CHF")
        capture = L.capture(parties, 10000)
        assert world.repos.ledger.post(capture) is True
        assert world.repos.ledger.post(capture) is False
        for m in L.divide(parties, 1500, 0, 8500):
            world.repos.ledger.post(m)
        rows = world.repos.ledger.of_booking(booking_id)
        assert sum(r.amount for r in rows) == 0 and {r.movement_id for r in rows} >= {capture.movement_id}
        earned = world.repos.ledger.of_account(L.helper(helper_id))
        assert [(r.amount, r.currency, r.booking_id) for r in earned] == [(8500, "CHF", booking_id)]
        assert world.repos.ledger.of_account(L.helper(_id("h"))) == []

    def test_of_concurrent_postings_of_one_movement_one_books_it(self, world):
        from chalicelib.domain import ledger as L

        booking_id = _id("b")
        capture = L.capture(L.Parties(booking_id, "contract", _id("c"), _id("h"), "CHF"), 12345)
        assert sorted(at_once(8, lambda i: world.repos.ledger.post(capture))) == [False] * 7 + [True]
        rows = world.repos.ledger.of_booking(booking_id)
        assert sorted((r.entry_id, r.amount) for r in rows) == [(f"{capture.movement_id}#0", -12345),
                                                                 (f"{capture.movement_id}#1", 12345)]

    def test_a_refund_is_found_by_every_account_it_moves_but_a_customers_only_by_booking(self, world):
        from chalicelib.domain import ledger as L
        from chalicelib.store.ledger_rows import NotIndexed, movements_of

        booking_id, helper_id, tenant = _id("b"), _id("h"), _id("t")
        parties = L.Parties(booking_id, tenant, _id("c"), helper_id, "EUR")
        moves = [L.capture(parties, 10000), *L.divide(parties, 1500, 1000, 7500),
                 *L.refund(parties, 1, L.allocate_refund(2000, 7500, 1500, 1000), helper_paid_out=False)]
        for m in moves:
            assert world.repos.ledger.post(m) is True
        rows = world.repos.ledger.of_booking(booking_id)
        assert len(rows) == 2 + 6 + 4 and sum(r.amount for r in rows) == 0
        by_id = lambda m: m.movement_id  # noqa: E731
        assert sorted(movements_of(rows), key=by_id) == sorted(moves, key=by_id)  # each whole, as booked
        for account, want in ((L.helper(helper_id), [7500, -1500]), (L.platform(tenant), [1500, -300]),
                              (L.partner(tenant), [1000, -200])):
            assert [r.amount for r in world.repos.ledger.of_account(account)] == want
        refund_rows = world.repos.ledger.of_account(L.platform(tenant), since=rows[0].created_at)
        assert [r.kind for r in refund_rows][-1] == "refund"
        assert world.repos.ledger.of_account(L.platform(tenant), until="0") == []
        with pytest.raises(NotIndexed):
            world.repos.ledger.of_account(L.customer(parties.customer_id))

    def test_a_payout_account_is_kept_once_and_a_late_status_is_refused(self, world):
        from chalicelib.store.records import PayoutAccountRecord

        helper = PayoutAccountRecord(helper_id=_id("h"), tenant_id="contract", first_name="Rita",
                                     email="rita@example.org", hourly_rate=6000)
        world.given_payout_account(helper)
        assert world.repos.payout_accounts.get(helper.helper_id, consistent=True) == helper
        world.repos.payout_accounts.set_account(helper.helper_id, "acct_1")
        with pytest.raises(ConditionFailed):
            world.repos.payout_accounts.set_account(helper.helper_id, "acct_2")
        world.repos.payout_accounts.set_payout_ready(helper.helper_id, True, 200)
        with pytest.raises(ConditionFailed):
            world.repos.payout_accounts.set_payout_ready(helper.helper_id, False, 100)
        got = world.repos.payout_accounts.get(helper.helper_id, consistent=True)
        assert (got.stripe_account_id, got.payout_ready, got.payout_status_at) == ("acct_1", True, 200)
        assert world.repos.payout_accounts.get(_id("h")) is None

    def test_a_saved_card_is_kept_on_the_customer(self, world):
        from chalicelib.store.records import SavedCardRecord

        card = SavedCardRecord(customer_id=_id("c"), tenant_id="contract", email="erika@example.org", name="Erika")
        world.given_card(card)
        world.repos.cards.set_stripe_customer(card.customer_id, "cus_1")
        world.repos.cards.save_card(card.customer_id, "pm_1", "4242")
        assert world.repos.cards.get(card.customer_id) == replace(card, stripe_customer_id="cus_1",
                                                                   default_payment_method="pm_1", card_last4="4242")
        with pytest.raises(ConditionFailed):
            world.repos.cards.save_card(_id("c"), "pm_1", "4242")

    def test_a_transition_is_written_from_the_state_and_version_read_and_appends_history(self, world):
        booking = self.a_booking()
        world.given_whole_booking(booking)
        read, stale = world.repos.bookings.load(booking.booking_id), world.repos.bookings.load(booking.booking_id)
        # a name no state table knows: on DynamoDB the bookings stream runs no effect for it
        entry = {"transition": "contract_step", "from": "started", "to": "completed", "actor": "helper",
                 "at": "2026-12-01T10:00:00.000Z", "v": 4}
        written = world.repos.bookings.write_transition(read, to_state="completed", entry=entry,
                                                        fields={"minutes_worked": 45})
        assert (written.state, written.version) == ("completed", 4)
        with pytest.raises(ConditionFailed):
            world.repos.bookings.write_transition(stale, to_state="cancelled", entry={**entry, "to": "cancelled"})
        got = world.repos.bookings.get(booking.booking_id)
        assert (got.state, got.version, got.minutes_worked, got.updated_at) == ("completed", 4, 45, entry["at"])
        assert got.history == (entry,)
        assert world.repos.bookings.get(_id("b")) is None and world.repos.bookings.load(_id("b")) is None

    def test_payments_copies_on_the_booking_only_in_the_state_named(self, world):
        booking = self.a_booking(state="completed", helper_id=_id("h"))
        world.given_whole_booking(booking)
        rows = [{"code": "time", "amount": 6000}]
        assert world.repos.bookings.copy(booking.booking_id, {"line_items": rows}, in_state="cancelled") is False
        assert world.repos.bookings.copy(booking.booking_id, {"line_items": rows}, in_state="completed") is True
        assert world.repos.bookings.get(booking.booking_id).line_items == tuple(rows)
        assert world.repos.bookings.copy(_id("b"), {"extra_approval": {"status": "pending"}}) is False
        assert world.repos.bookings.ids_for_helper(booking.helper_id) == [booking.booking_id]

    def test_a_claim_is_won_once_finished_once_and_free_again_when_released(self, world):
        from chalicelib.store.claims import BUSY, CLAIMED, DONE

        key = _id("claim")
        outcome, owner = world.repos.claims.claim(key, lease_seconds=60)
        assert outcome == CLAIMED and world.repos.claims.claim(key, lease_seconds=60) == (BUSY, None)
        world.repos.claims.release(key, owner)
        outcome, owner = world.repos.claims.claim(key, lease_seconds=60)
        assert outcome == CLAIMED
        assert world.repos.claims.finish(key, "someone-else") is False
        assert world.repos.claims.finish(key, owner) is True
        assert world.repos.claims.claim(key, lease_seconds=60) == (DONE, None)
# ---- notifications, offers, the helper as dispatch reads it (issue 18) ------------------------------

def a_log_row(**over) -> NotificationLogRecord:
    values = dict(scope=_id("b"), key=f"{_id('e')}|customer#c_1|email", tenant_id="contract", event_id=_id("e"),
                  event_type="booking_received", recipient_role="customer", recipient_id="c_1", channel="email",
                  status="sending", created_at="2026-11-30T10:00:00.000Z", claimed_at="2026-11-30T10:00:00.000Z",
                  language="fr", title="Votre demande", address="e***@example.org")
    values.update(over)
    return NotificationLogRecord(**values)


def an_offer(**over) -> OfferRecord:
    values = dict(booking_id=_id("b"), helper_id=_id("h"), tenant_id="contract", created_at="2026-11-30T10:00:00.000Z",
                  expires_at="2026-11-30T10:05:00.000Z", round=2, summary={"category": "printer", "city": "Zürich"},
                  score={"reason": "close by", "total": 0.8})
    values.update(over)
    return OfferRecord(**values)


def a_reach(**over) -> HelperReach:
    hid = over.pop("helper_id", _id("h"))
    values = dict(helper_id=hid, tenant_id=f"contract-{uuid.uuid4().hex[:6]}", status="active", first_name="Rita",
                  email=f"{hid}@example.org", phone="+41791234567", languages=("de", "fr"), on_call=True,
                  lat=47.3769, lon=8.5417, payout_ready=True, rating_count=2, rating_sum=9, skills={"printer": 2})
    values.update(over)
    return HelperReach(**values)


STALE = "2026-11-30T09:58:00.000Z"  # claims older than this are stale (their sender died)


def at_once(n: int, attempt) -> list:
    """Run ``attempt(i)`` for i in range(n) in n threads released together; their results. Any
    exception fails the test (a conflict or throttle must not pass for a lost race)."""
    results, errors, barrier = [], [], threading.Barrier(n)

    def run(i):
        barrier.wait()
        try:
            results.append(attempt(i))
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and len(results) == n
    return results


def withdrawn(world, offer) -> bool:
    try:
        world.repos.offers.withdraw(offer.booking_id, offer.helper_id)
        return True
    except ConditionFailed:
        return False


class NotificationsContract:
    """The notifications log, settings and push subscriptions; offers; busy marking."""

    # ---- notifications log ---------------------------------------------------------------------

    def test_a_channel_is_claimed_once_and_reads_back(self, world):
        row = a_log_row()
        assert world.repos.notification_log.claim(row, stale_before=STALE) == row.claimed_at
        assert world.repos.notification_log.claim(replace(row, claimed_at="2026-11-30T10:00:01.000Z"),
                                                  stale_before=STALE) is None
        (got,) = world.repos.notification_log.for_scope(row.scope)
        assert got == replace(row, attempts=1)

    def test_only_the_current_claim_records_the_outcome_and_a_sent_stays_sent(self, world):
        log = world.repos.notification_log
        row = a_log_row(claimed_at="2026-11-30T09:00:00.000Z")
        old = log.claim(row, stale_before=STALE)
        new = log.claim(replace(row, claimed_at="2026-11-30T10:00:00.000Z"), stale_before=STALE)  # took over
        assert (old, new) == ("2026-11-30T09:00:00.000Z", "2026-11-30T10:00:00.000Z")
        assert log.finish(row.scope, row.key, token=new, status="sent", at="2026-11-30T10:00:02.000Z",
                          provider_id="ses-1")
        assert not log.finish(row.scope, row.key, token=old, status="failed", error="TimeoutError: late")
        (got,) = log.for_scope(row.scope)
        assert (got.status, got.provider_id, got.sent_at, got.attempts, got.error) == \
            ("sent", "ses-1", "2026-11-30T10:00:02.000Z", 2, None)
        assert log.claim(replace(row, claimed_at="2026-11-30T11:00:00.000Z"), stale_before="2026-11-30T10:59:00.000Z") \
            is None  # sent: never claimed again

    def test_a_failed_channel_is_claimed_again_and_counts_its_attempts(self, world):
        log = world.repos.notification_log
        row = a_log_row()
        token = log.claim(row, stale_before=STALE)
        assert log.finish(row.scope, row.key, token=token, status="failed", error="ConnectionError: SES is down")
        again = log.claim(replace(row, claimed_at="2026-11-30T10:01:00.000Z"), stale_before=STALE)
        assert again == "2026-11-30T10:01:00.000Z"
        (got,) = log.for_scope(row.scope)
        assert (got.status, got.attempts, got.created_at) == ("sending", 2, row.created_at)

    def test_a_final_outcome_without_a_send_is_recorded_only_where_nothing_was(self, world):
        log = world.repos.notification_log
        skipped = a_log_row(status="skipped", error="quiet hours", channel="sms", key="k|helper#h|sms")
        assert log.claim(skipped, stale_before=STALE)
        assert log.claim(replace(skipped, status="sending", error=None), stale_before=STALE) is None
        (got,) = log.for_scope(skipped.scope)
        assert (got.status, got.error, got.attempts) == ("skipped", "quiet hours", 0)

    def test_of_ten_concurrent_claims_of_one_channel_one_wins(self, world):
        row = a_log_row()
        tokens = at_once(10, lambda i: world.repos.notification_log.claim(
            replace(row, claimed_at=f"2026-11-30T10:00:0{i}.000Z"), stale_before=STALE))
        assert len([t for t in tokens if t]) == 1
        assert world.repos.notification_log.for_scope(row.scope)[0].attempts == 1

    # ---- settings and push subscriptions -------------------------------------------------------

    def test_settings_read_back_and_are_replaced_as_a_whole(self, world):
        owner = f"helper#{_id('h')}"
        assert world.repos.notification_prefs.get(owner) is None
        prefs = NotificationPrefsRecord(owner=owner, tenant_id="contract", updated_at="2026-11-30T10:00:00.000Z",
                                        email=False, sms=True, phone="+41791234567", language="it",
                                        quiet_hours={"start": "22:00", "end": "06:30", "tz": "Europe/Zurich"})
        world.repos.notification_prefs.put(prefs)
        assert world.repos.notification_prefs.get(owner) == prefs
        plain = NotificationPrefsRecord(owner=owner, tenant_id="contract", updated_at="2026-11-30T11:00:00.000Z")
        world.repos.notification_prefs.put(plain)
        assert world.repos.notification_prefs.get(owner) == plain

    def test_push_subscriptions_are_kept_per_person_and_removed(self, world):
        owner = f"customer#{_id('c')}"
        subs = [PushSubscriptionRecord(owner=owner, subscription_id=f"ps_{n}", tenant_id="contract",
                                       endpoint=f"https://push.example.org/{n}", p256dh="key", auth="auth",
                                       created_at="2026-11-30T10:00:00.000Z", device=device)
                for n, device in (("a", "Phone"), ("b", None))]
        for sub in subs:
            world.repos.push_subscriptions.put(sub)
        assert world.repos.push_subscriptions.for_owner(owner) == subs
        assert world.repos.push_subscriptions.get(owner, "ps_a") == subs[0]
        world.repos.push_subscriptions.delete(owner, "ps_a")
        world.repos.push_subscriptions.delete(owner, "ps_a")  # gone already: nothing happens
        assert world.repos.push_subscriptions.for_owner(owner) == subs[1:]
        assert world.repos.push_subscriptions.get(owner, "ps_a") is None
        assert world.repos.push_subscriptions.for_owner(f"customer#{_id('c')}") == []

    # ---- offers ----------------------------------------------------------------------------------

    def test_offers_read_back_per_booking_and_withdraw_only_while_open(self, world):
        first = an_offer()
        second = an_offer(booking_id=first.booking_id, state="declined")
        world.given_offer(first)
        world.given_offer(second)
        assert world.repos.offers.get(first.booking_id, first.helper_id) == first
        assert world.repos.offers.get(first.booking_id, _id("h")) is None
        assert sorted(world.repos.offers.for_booking(first.booking_id), key=lambda o: o.helper_id) == \
            sorted([first, second], key=lambda o: o.helper_id)
        world.repos.offers.withdraw(first.booking_id, first.helper_id)
        assert world.repos.offers.get(first.booking_id, first.helper_id).state == "withdrawn"
        for helper_id in (first.helper_id, second.helper_id, _id("h")):  # withdrawn, declined, never made
            assert not withdrawn(world, replace(first, helper_id=helper_id))
        assert world.repos.offers.get(first.booking_id, second.helper_id).state == "declined"

    def test_of_concurrent_withdrawals_of_one_offer_exactly_one_wins(self, world):
        offer = an_offer()
        world.given_offer(offer)
        assert sorted(at_once(8, lambda i: withdrawn(world, offer))) == [False] * 7 + [True]
        assert world.repos.offers.get(offer.booking_id, offer.helper_id).state == "withdrawn"

    # ---- the helper as dispatch and notifications read it; busy marking -----------------------

    def test_a_helpers_reach_reads_back_and_a_missing_one_is_none(self, world):
        reach = a_reach()
        world.given_helper_reach(reach)
        assert world.repos.helpers.reach(reach.helper_id, consistent=True) == reach
        assert world.repos.helpers.reach(_id("h")) is None

    def test_a_photo_is_set_only_on_a_helper_who_exists(self, world):
        helper = a_helper()
        world.given_helper(helper)
        world.repos.helpers.set_photo(helper.helper_id, "photos/h/abc.jpg", True)
        got = world.repos.helpers.get(helper.helper_id, consistent=True)
        assert (got.photo_key, got.photo_public) == ("photos/h/abc.jpg", True)
        with pytest.raises(ConditionFailed):
            world.repos.helpers.set_photo(_id("h"), "photos/x.jpg", False)
        assert world.repos.helpers.get(_id("h")) is None

    def test_busy_is_marked_once_and_freed_only_from_the_booking_it_holds(self, world):
        reach = a_reach()
        world.given_helper_reach(reach)
        helpers, hid = world.repos.helpers, reach.helper_id
        guard = f"match#busy#{_id('b')}"
        assert helpers.mark_busy(guard, hid, "b_one", "2026-11-30T10:00:00.000Z")
        assert not helpers.mark_busy(guard, hid, "b_one", "2026-11-30T10:00:00.000Z")  # a redelivery
        assert helpers.reach(hid, consistent=True).busy_with == "b_one"
        assert not helpers.free(f"match#free#{_id('b')}", hid, "b_other")  # busy with another job
        assert helpers.reach(hid, consistent=True).busy_with == "b_one"
        free_guard = f"match#free#{_id('b')}"
        assert helpers.free(free_guard, hid, "b_one")
        assert not helpers.free(free_guard, hid, "b_one")
        assert helpers.reach(hid, consistent=True).busy_with is None
        assert not helpers.mark_busy(f"match#busy#{_id('b')}", _id("h"), "b_one", "2026-11-30T10:00:00.000Z")

    def test_a_late_accept_or_a_late_free_changes_nothing(self, world):
        reach = a_reach()
        world.given_helper_reach(reach)
        helpers, hid = world.repos.helpers, reach.helper_id
        assert helpers.mark_busy("g1", hid, "b_one", "2026-11-30T10:00:00.000Z")
        assert helpers.free("g2", hid, "b_one", "2026-11-30T11:00:00.000Z")  # the job ended
        assert helpers.mark_busy("g3", hid, "b_one", "2026-11-30T12:00:00.000Z")  # taken again later
        assert not helpers.free("g2", hid, "b_one", "2026-11-30T11:00:00.000Z")  # the first end, redelivered
        assert not helpers.mark_busy("g1", hid, "b_one", "2026-11-30T10:00:00.000Z")  # the first accept, too
        assert helpers.reach(hid, consistent=True).busy_with == "b_one"
        assert not helpers.mark_busy("g4", hid, "b_two", "2026-11-30T11:30:00.000Z")  # older than the last
        assert helpers.reach(hid, consistent=True).busy_with == "b_one"

    def test_of_concurrent_busy_markings_of_one_accept_one_counts(self, world):
        reach = a_reach()
        world.given_helper_reach(reach)
        guard = f"match#busy#{_id('b')}"

        def delivery(i):
            """One delivery of the accept's stream record; a transaction conflict (nothing decided)
            is delivered again, as the stream does."""
            from chalicelib.store.conditions import is_retryable

            for _ in range(50):
                try:
                    return world.repos.helpers.mark_busy(guard, reach.helper_id, "b_one", "2026-11-30T10:00:00.000Z")
                except Exception as exc:  # noqa: BLE001 — only a retryable outcome is tried again
                    if not is_retryable(exc):
                        raise
            raise AssertionError("still conflicting after 50 deliveries")

        assert sorted(at_once(8, delivery)) == [False] * 7 + [True]
        assert world.repos.helpers.reach(reach.helper_id, consistent=True).busy_with == "b_one"

    def test_index_keys_are_written_only_over_the_record_they_were_derived_from(self, world):
        from dataclasses import asdict

        from chalicelib.domain import geocells
        from chalicelib.services.matching import INDEX_SOURCES

        reach = a_reach(remote=True)
        world.given_helper_reach(reach)
        keys = geocells.index_fields(asdict(reach))
        derived_from = {name: getattr(reach, name) for name in INDEX_SOURCES}
        with pytest.raises(ConditionFailed):  # derived from an image that is not the record any more
            world.repos.helpers.sync_index_keys(reach.helper_id, keys, {**derived_from, "status": "suspended"})
        with pytest.raises(ConditionFailed):  # no such helper: nothing is created
            world.repos.helpers.sync_index_keys(_id("h"), keys, derived_from)
        world.repos.helpers.sync_index_keys(reach.helper_id, keys, derived_from)
        pages = list(world.repos.helper_index.cell_pages(keys["geo_pk"], keys["geo_sk"], keys["geo_sk"]))
        (item,) = [i for page, _ in pages for i in page]
        assert (item["geo_sk"], item["first_name"], item["skills"], item["payout_ready"]) == \
            (keys["geo_sk"], "Rita", {"printer": 2}, True)
        assert float(item["lat"]) == reach.lat
        remote = [i for page in world.repos.helper_index.remote_pages(reach.tenant_id, category="printer", language="fr")
                  for i in page]
        assert [i["remote_sk"] for i in remote] == [keys["remote_sk"]]
        assert [i for page in world.repos.helper_index.remote_pages(reach.tenant_id, category="printer",
                                                                    language="it") for i in page] == []

    def test_the_ops_staff_of_a_tenant_are_its_own_and_the_platforms(self, world):
        tenant = f"contract-{uuid.uuid4().hex[:6]}"
        mine = StaffRecord(email=f"ops-{uuid.uuid4().hex[:8]}@example.org", staff_id=_id("s"), name="Olga Ops",
                           role="ops", tenant_id=tenant)
        admin = StaffRecord(email=f"adm-{uuid.uuid4().hex[:8]}@example.org", staff_id=_id("s"), name="Ada Admin",
                            role="partner_admin", tenant_id=tenant)
        other = StaffRecord(email=f"ops-{uuid.uuid4().hex[:8]}@example.org", staff_id=_id("s"), name="Otto Ops",
                            role="ops", tenant_id=f"contract-{uuid.uuid4().hex[:6]}")
        for staff in (mine, admin, other):
            world.given_staff(staff)
        emails = {s.email for s in world.repos.people.ops_for(tenant)}
        assert mine.email in emails and admin.email not in emails and other.email not in emails
        assert all(s.tenant_id in ("*", tenant) for s in world.repos.people.ops_for(tenant))


class ReplayContract:
    """Stored Idempotency-Key answers (store/replays.py and its twin)."""

    def test_a_key_is_claimed_once_then_answered_and_read_back(self, world):
        r, key = world.repos.replays, _id("replay")
        outcome, owner, _ = r.claim(key, "h1", lease_seconds=60, ttl_seconds=3600)
        assert outcome == "claimed" and owner
        outcome, _, running = r.claim(key, "h1", lease_seconds=60, ttl_seconds=3600)
        assert outcome == "busy" and running.request_hash == "h1"
        assert r.finish(key, owner, 201, "sealed-answer")
        outcome, _, done = r.claim(key, "h2", lease_seconds=60, ttl_seconds=3600)
        assert outcome == "done" and (done.request_hash, done.status, done.sealed) == ("h1", 201, "sealed-answer")

    def test_a_released_claim_is_claimed_again_and_a_lost_claim_cannot_finish(self, world):
        r, key = world.repos.replays, _id("replay")
        _, owner, _ = r.claim(key, "h1", lease_seconds=60, ttl_seconds=3600)
        r.release(key, owner)
        assert r.get(key) is None
        outcome, second, _ = r.claim(key, "h1", lease_seconds=60, ttl_seconds=3600)
        assert outcome == "claimed" and not r.finish(key, owner, 200, "x") and r.finish(key, second, 200, "y")

    def test_ten_concurrent_claims_of_one_key_claim_once(self, world):
        r, key = world.repos.replays, _id("replay")
        outcomes, barrier = [], threading.Barrier(10)

        def go():
            barrier.wait()
            outcomes.append(r.claim(key, "h", lease_seconds=60, ttl_seconds=3600)[0])
        threads = [threading.Thread(target=go) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["busy"] * 9 + ["claimed"]

    def test_a_claim_whose_lease_ran_out_is_taken_over(self, world):
        r, key = world.repos.replays, _id("replay")
        _, dead, _ = r.claim(key, "h", lease_seconds=-1, ttl_seconds=3600)
        outcome, owner, _ = r.claim(key, "h", lease_seconds=60, ttl_seconds=3600)
        assert outcome == "claimed" and owner != dead and not r.finish(key, dead, 200, "late")


def an_invoice(tenant_id: str, number: int, period: str, **over):
    from chalicelib.store.records import InvoiceRecord
    values = dict(tenant_id=tenant_id, period=period, number=number, invoice_id=f"{tenant_id.upper()}-{number:06d}",
                  currency="CHF", country="CH", vat_rate_bp=810, gross=10000, commission=1000, net=9000, vat=729,
                  total=9729, lines=({"booking_id": "b_1", "external_ref": "ORD-1", "completed_at": "2026-11-03T10:00:00Z",
                                      "description": "printer, 60 min", "amount": 10000, "commission": 1000},),
                  issued_at="2026-12-01T00:00:00Z")
    values.update(over)
    return InvoiceRecord(**values)


class InvoiceContract:
    """Partner invoices (store/invoices.py and its twin): one per month, numbers without gaps."""

    def test_invoices_are_numbered_one_two_three_and_read_back(self, world):
        r, tid = world.repos.invoices, f"ct-{uuid.uuid4().hex[:8]}"
        assert r.last_number(tid) == 0
        for n, period in enumerate(("2026-09", "2026-10", "2026-11"), start=1):
            r.issue(an_invoice(tid, n, period), after=n - 1)
        assert r.last_number(tid) == 3 and [i.number for i in r.list(tid)] == [3, 2, 1]
        back = r.for_period(tid, "2026-10")
        assert back == an_invoice(tid, 2, "2026-10")

    def test_a_second_invoice_for_a_month_and_a_taken_number_are_refused(self, world):
        r, tid = world.repos.invoices, f"ct-{uuid.uuid4().hex[:8]}"
        r.issue(an_invoice(tid, 1, "2026-10"), after=0)
        with pytest.raises(AlreadyExists):
            r.issue(an_invoice(tid, 2, "2026-10"), after=1)
        with pytest.raises(ConditionFailed):
            r.issue(an_invoice(tid, 1, "2026-11"), after=0)
        assert r.last_number(tid) == 1 and r.for_period(tid, "2026-11") is None

    def test_an_invoice_is_marked_paid_once(self, world):
        r, tid = world.repos.invoices, f"ct-{uuid.uuid4().hex[:8]}"
        r.issue(an_invoice(tid, 1, "2026-10"), after=0)
        paid = r.mark_paid(tid, "2026-10", "2026-11-05T10:00:00.000Z", "BANK-1")
        assert (paid.paid_at, paid.paid_reference) == ("2026-11-05T10:00:00.000Z", "BANK-1")
        assert r.for_period(tid, "2026-10") == paid
        with pytest.raises(ConditionFailed):
            r.mark_paid(tid, "2026-10", "2026-11-06T10:00:00.000Z", "BANK-2")
        with pytest.raises(ConditionFailed):
            r.mark_paid(tid, "2026-09", "2026-11-06T10:00:00.000Z", "BANK-2")  # no such invoice
        assert r.for_period(tid, "2026-10").paid_reference == "BANK-1" and r.for_period(tid, "2026-09") is None

    def test_concurrent_issues_give_each_number_once_without_gaps(self, world):
        r, tid = world.repos.invoices, f"ct-{uuid.uuid4().hex[:8]}"
        periods = [f"2025-{m:02d}" for m in range(1, 9)]
        barrier = threading.Barrier(len(periods))

        def go(period):
            barrier.wait()
            for _ in range(40):  # what the billing service does: take the next number until it sticks
                after = r.last_number(tid)
                try:
                    r.issue(an_invoice(tid, after + 1, period), after=after)
                    return
                except AlreadyExists:
                    return
                except ConditionFailed:
                    continue
        threads = [threading.Thread(target=go, args=(p,)) for p in periods]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(i.number for i in r.list(tid)) == list(range(1, len(periods) + 1))
        assert sorted(i.period for i in r.list(tid)) == periods


# ---- attribution (issue 17.7) -------------------------------------------------------------------

class AttributionContract:
    """Counters per tenant, affiliate code and campaign: one event id counts once, concurrent
    events all count, a booking's link is written once."""

    def test_an_event_counts_once_per_event_id_and_per_campaign(self, world):
        from chalicelib.store.records import AttributionCounts
        a, tenant = world.repos.attribution, f"t-{uuid.uuid4().hex[:8]}"
        at = "2026-12-02T10:00:00Z"
        assert a.count(tenant, "landing_visits", "ev1", affiliate="shop7", campaign="winter", at=at)
        assert a.count(tenant, "landing_visits", "ev1", affiliate="shop7", campaign="winter", at=at) is False
        assert a.count(tenant, "call_clicks", "ev2", affiliate="shop7", campaign="winter", at=at)
        assert a.count(tenant, "widget_opens", "ev3", at=at)
        assert a.count(f"{tenant}-other", "widget_opens", "ev3", at=at)  # event ids are per tenant
        assert a.counts(tenant) == [
            AttributionCounts(tenant, "-", "-", widget_opens=1),
            AttributionCounts(tenant, "shop7", "winter", landing_visits=1, call_clicks=1)]
        with pytest.raises(ValueError):
            a.count(tenant, "page_views", "ev4", at=at)

    def test_ten_concurrent_events_all_count_and_a_replayed_one_does_not(self, world):
        a, tenant = world.repos.attribution, f"t-{uuid.uuid4().hex[:8]}"
        results, errors = [], []

        def hit(i):
            try:
                results.append(a.count(tenant, "bookings_started", f"e{i % 5}", campaign="c1", at="2026-12-02T10:00:00Z"))
            except Exception as exc:  # noqa: BLE001 — a conflict must not pass for a count
                errors.append(exc)

        threads = [threading.Thread(target=hit, args=(i,)) for i in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert results.count(True) == 5
        assert a.counts(tenant)[0].bookings_started == 5

    def test_a_beacon_window_takes_at_most_its_limit_even_when_raced(self, world):
        a, tenant = world.repos.attribution, f"t-{uuid.uuid4().hex[:8]}"
        results = []
        threads = [threading.Thread(target=lambda: results.append(a.take_beacon(tenant, "src#202612021000", 5)))
                   for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results.count(True) == 5 and results.count(False) == 7
        assert a.take_beacon(tenant, "src#202612021001", 5)  # the next minute is a new window
        assert a.take_beacon(f"{tenant}-b", "src#202612021000", 5)  # windows are per tenant

    def test_a_bookings_link_is_written_once(self, world):
        from chalicelib.store.records import AttributionLink
        a, booking = world.repos.attribution, _id("b")
        assert a.booking_link(booking) is None
        first = AttributionLink(booking_id=booking, tenant_id="acme", affiliate="shop7", campaign="winter",
                                utm_source="newsletter", utm_medium="email", utm_campaign="winter", channel="widget")
        a.link_booking(first)
        a.link_booking(replace(first, campaign="summer"))
        assert a.booking_link(booking) == first


# ---- tenants, API keys and rate buckets (issue 18) ----------------------------------------------

def a_tenant(**over):
    from chalicelib.store.records import TenantRecord
    values = dict(tenant_id=f"ct-{uuid.uuid4().hex[:10]}", name="Acme Tel", locale="fr", currency="EUR",
                  branding={"primary_color": "#123456"},
                  settings={"helper_pool": "own", "widget_origins": ["https://acme.example"],
                            "pricing": {"partner_share_percent": 10}},
                  created_at="2026-12-01T09:00:00.000Z")
    values.update(over)
    return TenantRecord(**values)


def an_api_key(tenant_id: str, **over):
    from chalicelib.store.records import ApiKeyRecord
    values = dict(key_hash=uuid.uuid4().hex * 2, key_id=_id("key"), tenant_id=tenant_id, name="shop server",
                  prefix="cfx_live_AbCd1234", environment="live", created_by="ops:ops_1",
                  created_at="2026-12-01T09:00:00.000Z", rate_per_second=2.5, burst=10)
    values.update(over)
    return ApiKeyRecord(**values)


def _race(n: int, go) -> tuple[list, list]:
    """``go()`` in ``n`` threads started together: what they returned and what they raised."""
    barrier, results, errors = threading.Barrier(n), [], []

    def run():
        barrier.wait()
        try:
            results.append(go())
        except Exception as exc:  # noqa: BLE001 — the test says which errors are the answer
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


class PartnersContract:
    """Tenants (store/tenants.py), API keys and rate buckets (store/api_keys.py) and their twins."""

    # ---- tenants -------------------------------------------------------------------------------

    def test_a_tenant_is_created_once_and_reads_back_as_written(self, world):
        r, tenant = world.repos.tenants, a_tenant()
        r.add(tenant)
        with pytest.raises(AlreadyExists):
            r.add(replace(tenant, name="Someone else"))
        assert r.get(tenant.tenant_id, consistent=True) == tenant
        assert r.get(f"{tenant.tenant_id}-missing", consistent=True) is None
        assert tenant.tenant_id in {t.tenant_id for t in r.all()}

    def test_an_update_sets_only_the_fields_it_names(self, world):
        r, tenant = world.repos.tenants, a_tenant()
        r.add(tenant)
        new = r.update(tenant.tenant_id, {"name": "Acme Telecom", "settings": {"helper_pool": "both"}})
        assert new == replace(tenant, name="Acme Telecom", settings={"helper_pool": "both"})
        assert r.get(tenant.tenant_id, consistent=True) == new

    def test_an_update_of_a_missing_tenant_creates_nothing(self, world):
        r, tenant_id = world.repos.tenants, f"ct-{uuid.uuid4().hex[:10]}"
        with pytest.raises(ConditionFailed):
            r.update(tenant_id, {"name": "Ghost"})
        assert r.get(tenant_id, consistent=True) is None

    def test_the_key_count_starts_once_and_never_passes_the_limit(self, world):
        r, tenant = world.repos.tenants, a_tenant()
        r.add(tenant)
        with pytest.raises(ConditionFailed):
            r.take_key_slot(tenant.tenant_id, 2)  # no count yet: the service starts it first
        r.start_key_count(tenant.tenant_id, 1)
        with pytest.raises(ConditionFailed):
            r.start_key_count(tenant.tenant_id, 0)
        r.take_key_slot(tenant.tenant_id, 2)
        with pytest.raises(ConditionFailed):
            r.take_key_slot(tenant.tenant_id, 2)
        assert r.get(tenant.tenant_id, consistent=True).api_keys_active == 2

    def test_a_key_slot_is_given_back_down_to_zero_only(self, world):
        r, tenant = world.repos.tenants, a_tenant()
        r.add(tenant)
        r.start_key_count(tenant.tenant_id, 1)
        assert r.give_key_slot(tenant.tenant_id) is True
        assert r.give_key_slot(tenant.tenant_id) is False
        assert r.get(tenant.tenant_id, consistent=True).api_keys_active == 0

    def test_no_key_count_is_started_for_a_missing_tenant(self, world):
        r, tenant_id = world.repos.tenants, f"ct-{uuid.uuid4().hex[:10]}"
        with pytest.raises(ConditionFailed):
            r.start_key_count(tenant_id, 0)
        assert r.get(tenant_id, consistent=True) is None

    def test_of_ten_concurrent_key_slots_only_the_limit_is_taken(self, world):
        r, tenant = world.repos.tenants, a_tenant()
        r.add(tenant)
        r.start_key_count(tenant.tenant_id, 0)
        results, errors = _race(10, lambda: r.take_key_slot(tenant.tenant_id, 3))
        assert len(results) == 3 and len(errors) == 7
        assert all(isinstance(e, ConditionFailed) for e in errors)
        assert r.get(tenant.tenant_id, consistent=True).api_keys_active == 3

    # ---- API keys ------------------------------------------------------------------------------

    def test_a_key_is_stored_once_and_found_by_hash_and_by_id(self, world):
        r, tenant_id = world.repos.api_keys, f"ct-{uuid.uuid4().hex[:10]}"
        older = an_api_key(tenant_id, created_at="2026-11-01T09:00:00.000Z")
        newer = an_api_key(tenant_id)
        r.add(older)
        r.add(newer)
        with pytest.raises(AlreadyExists):
            r.add(replace(older, key_id=_id("key")))
        assert r.get(older.key_hash, consistent=True) == older
        assert r.by_id(tenant_id, newer.key_id) == newer
        assert r.by_id(f"{tenant_id}-other", newer.key_id) is None
        assert [k.key_id for k in r.of_tenant(tenant_id)] == [newer.key_id, older.key_id]

    def test_a_key_is_revoked_once(self, world):
        r, key = world.repos.api_keys, an_api_key(f"ct-{uuid.uuid4().hex[:10]}")
        r.add(key)
        revoked = r.revoke(key, at="2026-12-02T10:00:00.000Z")
        assert revoked == replace(key, status="revoked", revoked_at="2026-12-02T10:00:00.000Z")
        with pytest.raises(ConditionFailed):
            r.revoke(key, at="2026-12-02T11:00:00.000Z")
        assert r.get(key.key_hash, consistent=True).revoked_at == "2026-12-02T10:00:00.000Z"

    def test_a_replacement_writes_the_new_key_and_revokes_the_old_together(self, world):
        r, old = world.repos.api_keys, an_api_key(f"ct-{uuid.uuid4().hex[:10]}")
        r.add(old)
        new = an_api_key(old.tenant_id)
        r.replace(new, old, at="2026-12-02T10:00:00.000Z")
        assert r.get(new.key_hash, consistent=True) == new
        assert r.get(old.key_hash, consistent=True).status == "revoked"

    def test_a_revoked_key_is_not_replaced_and_nothing_is_written(self, world):
        r, old = world.repos.api_keys, an_api_key(f"ct-{uuid.uuid4().hex[:10]}")
        r.add(old)
        r.revoke(old, at="2026-12-02T10:00:00.000Z")
        new = an_api_key(old.tenant_id)
        with pytest.raises(ConditionFailed):
            r.replace(new, old, at="2026-12-02T11:00:00.000Z")
        assert r.get(new.key_hash, consistent=True) is None

    def test_of_concurrent_replacements_of_one_key_one_wins(self, world):
        r, old = world.repos.api_keys, an_api_key(f"ct-{uuid.uuid4().hex[:10]}")
        r.add(old)
        news = [an_api_key(old.tenant_id) for _ in range(5)]
        queue = list(news)
        lock = threading.Lock()

        def replace_once():
            with lock:
                new = queue.pop()
            r.replace(new, old, at="2026-12-02T10:00:00.000Z")
            return new

        results, errors = _race(5, replace_once)
        assert len(results) == 1 and all(isinstance(e, ConditionFailed) for e in errors) and len(errors) == 4
        assert [n.key_id for n in news if r.get(n.key_hash, consistent=True) is not None] == [results[0].key_id]

    # ---- rate buckets --------------------------------------------------------------------------

    def test_a_bucket_is_started_once_and_reads_back(self, world):
        from chalicelib.store.records import RateBucketRecord
        r = world.repos.rate_buckets
        bucket = RateBucketRecord(bucket_id=_id("key"), tenant_id="contract", tokens=9.0, updated_at=1764669600.25)
        r.start(bucket)
        with pytest.raises(AlreadyExists):
            r.start(replace(bucket, tokens=1.0))
        assert r.get(bucket.bucket_id) == bucket
        assert r.get(_id("key")) is None

    def test_a_token_is_spent_only_from_the_values_read(self, world):
        from chalicelib.store.records import RateBucketRecord
        r = world.repos.rate_buckets
        read = RateBucketRecord(bucket_id=_id("key"), tenant_id="contract", tokens=9.0, updated_at=1764669600.25)
        r.start(read)
        r.spend(read, 8.0, 1764669600.5)
        with pytest.raises(ConditionFailed):
            r.spend(read, 8.0, 1764669600.75)  # stale: another request spent in between
        assert r.get(read.bucket_id) == replace(read, tokens=8.0, updated_at=1764669600.5)

    def test_of_ten_concurrent_spends_from_one_read_one_wins(self, world):
        from chalicelib.store.records import RateBucketRecord
        r = world.repos.rate_buckets
        read = RateBucketRecord(bucket_id=_id("key"), tenant_id="contract", tokens=9.0, updated_at=1764669600.25)
        r.start(read)
        results, errors = _race(10, lambda: r.spend(read, 8.0, 1764669601.0))
        assert len(results) == 1 and len(errors) == 9 and all(isinstance(e, ConditionFailed) for e in errors)
        assert r.get(read.bucket_id).tokens == 8.0

    # ---- helpers as the partner API reads them ---------------------------------------------------

    def _pool_helper(self, tenant_id: str, **over):
        from chalicelib.store.records import PoolHelperRecord
        values = dict(helper_id=_id("h"), tenant_id=tenant_id, status="active", first_name="Rita", name="Rita Contract",
                      city="Zürich", lat=47.3769, lon=8.5417, service_radius_km=12, hourly_rate=6500, currency="CHF",
                      languages=("de", "it"), remote=True, skills={"printer": 2}, on_call=True)
        values.update(over)
        return PoolHelperRecord(**values)

    def test_a_pool_helper_is_created_once_and_read_back_alone_and_by_status(self, world):
        r, tenant_id = world.repos.helper_pools, f"contract-{uuid.uuid4().hex[:6]}"
        active, simulated = self._pool_helper(tenant_id), self._pool_helper(tenant_id, status="simulated")
        for h in (active, simulated):
            r.add(h, email=f"{h.helper_id}@example.org", email_key=f"{h.helper_id}@example.org",
                  created_at="2026-12-01T09:00:00.000Z")
        with pytest.raises(AlreadyExists):
            r.add(replace(active, first_name="Other"), email="x@example.org", email_key="x@example.org",
                  created_at="2026-12-01T09:00:00.000Z")
        assert r.get(active.helper_id) == active and r.get(_id("h")) is None
        assert r.with_status(tenant_id, "active") == [replace(active, name=None)]  # the index has no full name
        assert r.with_status(tenant_id, "simulated") == [replace(simulated, name=None)]
        assert r.many([active.helper_id, _id("h")]) == {active.helper_id: active}

    # ---- a partner's bookings, listed ------------------------------------------------------------

    def _partner_booking(self, world, tenant_id: str, created_at: str, **over):
        from chalicelib.store.records import BookingRecord
        values = dict(booking_id=_id("b"), tenant_id=tenant_id, customer_id=_id("c"), state="completed",
                      created_at=created_at, updated_at=created_at, category="printer", description="contract",
                      partner_id=tenant_id, price_cap={"amount": 10000, "currency": "CHF"}, version=3)
        values.update(over)
        booking = BookingRecord(**values)
        world.given_whole_booking(booking)
        return booking

    def test_a_partners_bookings_page_newest_first_without_gaps_or_repeats(self, world):
        tenant_id = f"contract-{uuid.uuid4().hex[:6]}"
        made = [self._partner_booking(world, tenant_id, f"2026-11-0{d}T10:00:00.000Z") for d in (3, 1, 5, 2, 4)]
        self._partner_booking(world, f"{tenant_id}-other", "2026-11-06T10:00:00.000Z")
        seen, after = [], None
        for _ in range(5):
            page, after = world.repos.partner_bookings.page(tenant_id, external_ref=None, limit=2, after=after)
            assert len(page) <= 2
            seen += [b.booking_id for b in page]
            if after is None:
                break
        assert seen == [b.booking_id for b in sorted(made, key=lambda b: b.created_at, reverse=True)]

    def test_a_cursor_continues_only_its_own_listing(self, world):
        from chalicelib.store.partner_bookings import BadCursor
        tenant_id = f"contract-{uuid.uuid4().hex[:6]}"
        for d in (1, 2, 3):
            self._partner_booking(world, tenant_id, f"2026-11-0{d}T10:00:00.000Z")
        _, after = world.repos.partner_bookings.page(tenant_id, external_ref=None, limit=1, after=None)
        assert after is not None
        with pytest.raises(BadCursor):
            world.repos.partner_bookings.page(f"{tenant_id}-other", external_ref=None, limit=1, after=after)
        with pytest.raises(BadCursor):
            world.repos.partner_bookings.page(tenant_id, external_ref="ORDER-1", limit=1, after=after)

    def test_bookings_are_listed_by_the_partners_reference_and_by_month(self, world):
        tenant_id = f"contract-{uuid.uuid4().hex[:6]}"
        ref = self._partner_booking(world, tenant_id, "2026-11-02T10:00:00.000Z", external_ref="ORDER-7",
                                    partner_ref=f"{tenant_id}#ORDER-7")
        other = self._partner_booking(world, tenant_id, "2026-10-30T10:00:00.000Z")
        page, _ = world.repos.partner_bookings.page(tenant_id, external_ref="ORDER-7", limit=10, after=None)
        assert [b.booking_id for b in page] == [ref.booking_id]
        assert [b.booking_id for b in world.repos.partner_bookings.in_month(tenant_id, "2026-11")] == [ref.booking_id]
        assert [b.booking_id for b in world.repos.partner_bookings.in_month(tenant_id, "2026-10")] == [other.booking_id]


# ---- erasure (issue 18): what erasing a person rewrites -------------------------------------------

class ErasureContract:
    """store/erasure.py and its twin. The world provides ``given_person(record)`` (the person's
    own row) besides ``given_whole_booking`` and ``given_helper``."""

    def _customer(self, world, **over):
        from chalicelib.store.records import PersonRecord
        values = dict(kind="customer", person_id=_id("c"), tenant_id="contract", email=f"{_id('erika')}@example.org",
                      name="Erika Muster", phone="+41791234567", address={"street": "Seestrasse 1", "city": "Zürich"},
                      stripe_customer_id="cus_contract")
        values.update(over)
        person = PersonRecord(**values)
        world.given_person(person)
        return person

    def test_a_person_reads_back_and_only_the_changes_are_written(self, world):
        r, person = world.repos.erasure, self._customer(world)
        assert r.person("customer", person.person_id) == person
        assert r.person("customer", _id("c")) is None
        erased = f"erased+{person.person_id}@erased.invalid"
        assert r.rewrite_person(person, {"email": erased, "email_key": f"contract#{erased}", "name": None,
                                         "address": None}) == 1
        assert r.person("customer", person.person_id) == replace(person, email=erased, name=None, address=None)
        assert r.rewrite_person(person, {}) == 0

    def test_a_helper_reads_back_with_what_places_them_in_matching(self, world):
        r, helper = world.repos.erasure, a_helper()
        world.given_helper(helper)
        person = r.person("helper", helper.helper_id)
        assert (person.kind, person.tenant_id, person.first_name, person.status, person.bio) == (
            "helper", helper.tenant_id, helper.first_name, "active", helper.bio)
        r.rewrite_person(person, {"status": "suspended", "tenant_status": f"{helper.tenant_id}#suspended",
                                  "lat": 0, "lon": 0, "bio": None})
        after = r.person("helper", helper.helper_id)
        assert (after.status, after.lat, after.lon, after.bio) == ("suspended", 0, 0, None)

    def _booking(self, world, customer_id: str, **over):
        from chalicelib.store.records import BookingRecord
        values = dict(booking_id=_id("b"), tenant_id=f"contract-{uuid.uuid4().hex[:6]}", customer_id=customer_id,
                      state="completed", created_at="2026-11-02T10:00:00.000Z", updated_at="2026-11-02T12:00:00.000Z",
                      category="printer", description="Der Drucker von Erika Muster", version=4,
                      contact={"name": "Erika Muster", "phone": "+41791234567"},
                      price_cap={"amount": 10000, "currency": "CHF"})
        values.update(over)
        booking = BookingRecord(**values)
        world.given_whole_booking(booking)
        return booking

    def test_a_booking_is_rewritten_only_in_the_state_it_was_read_in(self, world):
        r, customer_id = world.repos.erasure, _id("c")
        made = self._booking(world, customer_id)
        [read] = r.bookings_of("customer", customer_id)
        assert (read.booking_id, read.description, read.contact["name"]) == (
            made.booking_id, made.description, "Erika Muster")
        with pytest.raises(ConditionFailed):
            r.rewrite_bookings([replace(read, state="started")], lambda b: {"description": "[erased]"})
        assert r.bookings_of("customer", customer_id)[0].description == made.description
        assert r.rewrite_bookings([read], lambda b: {"description": "[erased]", "contact": {}}) == 1
        after = r.bookings_of("customer", customer_id)[0]
        assert (after.description, after.contact, after.state, after.version) == ("[erased]", {}, "completed", 4)
        assert r.rewrite_bookings([after], lambda b: {}) == 0

    def test_failures_change_where_the_rule_says_and_are_counted(self, world):
        r, person_id = world.repos.erasure, _id("c")
        mine = self._failure_of(world, payload=f'{{"customer_id": "{person_id}"}}')
        other = self._failure_of(world)

        def rule(f):
            return {"payload": f.payload.replace(person_id, "[erased]")} if person_id in f.payload else {}

        assert r.rewrite_failures(rule) == 1
        assert world.repos.failures.get(mine.failure_id).payload == '{"customer_id": "[erased]"}'
        assert world.repos.failures.get(other.failure_id).payload == other.payload
        assert r.rewrite_failures(rule) == 0

    def _failure_of(self, world, **over) -> FailureRecord:
        values = dict(failure_id=_id("f"), unit=f"work#contract#{uuid.uuid4().hex}", kind="contract", name="contract",
                      error="RuntimeError: boom", first_failed_at="2026-11-30T10:00:00.000Z",
                      last_failed_at="2026-11-30T10:00:00.000Z", payload='{"x": 1}', attempts=4)
        values.update(over)
        failure = FailureRecord(**values)
        world.repos.failures.add(failure)
        return failure

    def test_a_helpers_reviews_lose_what_the_rule_removes(self, world):
        r, helper = world.repos.erasure, a_helper()
        world.given_helper(helper)
        review = a_review(helper_id=helper.helper_id, tenant_id=helper.tenant_id, comment="Rita war super")
        world.repos.reviews.add(review)
        rule = lambda rv: {"comment": None} if rv.comment else {}  # noqa: E731
        assert r.rewrite_reviews(helper_id=helper.helper_id, rewrite=rule) == 1
        assert world.repos.reviews.get(review.booking_id) == replace(review, comment=None)  # stars and version stay
        assert r.rewrite_reviews(booking_ids=[review.booking_id], rewrite=rule) == 0

    def test_a_persons_push_subscriptions_and_settings_are_deleted_once(self, world):
        r, owner = world.repos.erasure, f"customer#{_id('c')}"
        for n in ("a", "b"):
            world.repos.push_subscriptions.put(PushSubscriptionRecord(
                owner=owner, subscription_id=f"ps_{n}", tenant_id="contract", endpoint=f"https://push.example.org/{n}",
                p256dh="key", auth="auth", created_at="2026-11-30T10:00:00.000Z"))
        world.repos.notification_prefs.put(NotificationPrefsRecord(owner=owner, tenant_id="contract",
                                                                   updated_at="2026-11-30T10:00:00.000Z"))
        assert (r.delete_push_subscriptions(owner), r.delete_notification_prefs(owner)) == (2, 1)
        assert world.repos.push_subscriptions.for_owner(owner) == [] and world.repos.notification_prefs.get(owner) is None
        assert (r.delete_push_subscriptions(owner), r.delete_notification_prefs(owner)) == (0, 0)
        assert r.delete_signin_records(f"phone#{owner}", None) == 0


# ---- bookings: create, Idempotency-Key, lists, the stream image, joined writes; offers' answers;
# ---- the helper's own profile; a customer's details (issue 18) -----------------------------------

def a_whole_booking(**over):
    """A booking whose history names no transition of the state table (on DynamoDB the bookings
    stream runs no effect for it)."""
    from chalicelib.store.records import BookingRecord

    values = dict(booking_id=_id("b"), tenant_id="contract", customer_id=_id("c"), state="offered",
                  created_at="2026-12-01T09:00:00.000Z", updated_at="2026-12-01T09:00:00.000Z",
                  category="printer", description="contract", mode="onsite",
                  location={"lat": 47.3769, "lon": 8.5417, "postcode": "8001", "city": "Zürich"},
                  wanted={"asap": True}, contact={"name": "Erika", "phone": "+41791234567"},
                  price_cap={"amount": 20000, "currency": "CHF"}, version=1, asked_helpers=("h_x",),
                  history=({"transition": "contract_create", "from": None, "to": "offered", "actor": "customer",
                            "at": "2026-12-01T09:00:00.000Z", "v": 1},),
                  attribution={"utm_source": "newsletter", "channel": None})
    values.update(over)
    return BookingRecord(**values)


def a_profile(**over):
    from chalicelib.store.records import HelperProfileRecord

    hid = over.pop("helper_id", _id("h"))
    values = dict(helper_id=hid, tenant_id=f"contract-{uuid.uuid4().hex[:6]}", status="applied", first_name="Rita",
                  name="Rita Contract", email=f"{hid}@example.org", phone="+41791234567", bio="Drucker und WLAN.",
                  skills={"printer": 3}, qualifications=("printer level 3",), lat=47.3769, lon=8.5417, city="Zürich",
                  service_radius_km=12, hourly_rate=6000, currency="CHF", languages=("de", "en"), remote=True,
                  availability={"mon": [["09:00", "12:00"]]}, rating_count=2, rating_sum=9)
    values.update(over)
    return HelperProfileRecord(**values)


def a_step(booking, to_state: str, name: str = "contract_step") -> dict:
    """A history entry of a transition no state table knows (no effect runs for it)."""
    return {"transition": name, "from": booking.state, "to": to_state, "actor": "helper",
            "at": "2026-12-01T10:00:00.000Z", "v": booking.version + 1}


class BookingsContract:
    """Bookings as the booking use cases write and list them, the writes a transition joins, the
    helper's own profile and a customer's remembered details. A world also gives
    ``given_offer(record)`` and ``given_helper_profile(record)``."""

    # ---- create ------------------------------------------------------------------------------

    def test_a_created_booking_reads_back_as_written_and_its_id_is_taken(self, world):
        booking = a_whole_booking()
        world.repos.bookings.create(booking)
        assert world.repos.bookings.load(booking.booking_id) == booking
        assert world.repos.bookings.get(booking.booking_id) == booking
        with pytest.raises(AlreadyExists):
            world.repos.bookings.create(replace(booking, description="another"))
        assert world.repos.bookings.load(booking.booking_id).description == "contract"

    def test_a_create_with_a_new_key_writes_the_booking_and_remembers_the_key(self, world):
        from chalicelib.store.records import CreateKeyRecord

        booking, key = a_whole_booking(), _id("create-booking#contract")
        assert world.repos.bookings.create_once(booking, key=key, request_hash="h1", ttl_seconds=600) is None
        assert world.repos.bookings.load(booking.booking_id) == booking
        assert world.repos.bookings.create_key(key) == CreateKeyRecord(key, "h1", booking.booking_id)
        assert world.repos.bookings.create_key(_id("create-booking#contract")) is None

    def test_a_create_with_a_used_key_writes_nothing_and_names_the_first_booking(self, world):
        first, second, key = a_whole_booking(), a_whole_booking(), _id("create-booking#contract")
        world.repos.bookings.create_once(first, key=key, request_hash="h1", ttl_seconds=600)
        again = world.repos.bookings.create_once(second, key=key, request_hash="h2", ttl_seconds=600)
        assert (again.booking_id, again.request_hash) == (first.booking_id, "h1")
        assert world.repos.bookings.load(second.booking_id) is None

    # ---- lists and the stream image --------------------------------------------------------------

    def test_a_customers_bookings_come_newest_first_page_by_page(self, world):
        customer = _id("c")
        days = ["2026-11-02", "2026-11-04", "2026-11-01", "2026-11-03", "2026-11-05"]
        for day in days:
            world.repos.bookings.create(a_whole_booking(customer_id=customer, created_at=f"{day}T09:00:00.000Z"))
        world.repos.bookings.create(a_whole_booking())  # another customer's
        seen, after, pages = [], None, 0
        while True:
            page, after = world.repos.bookings.page("customer", customer, limit=2, after=after)
            assert len(page) <= 2
            seen += [b.created_at[:10] for b in page]
            pages += 1
            if after is None:
                break
        assert seen == sorted(days, reverse=True) and pages >= 3

    def test_a_helpers_bookings_are_listed_by_the_helper(self, world):
        helper = _id("h")
        mine = a_whole_booking(helper_id=helper, state="completed")
        world.repos.bookings.create(mine)
        world.repos.bookings.create(a_whole_booking(helper_id=_id("h")))
        page, _ = world.repos.bookings.page("helper", helper, limit=10)
        assert page == [mine]
        assert world.repos.bookings.page("helper", _id("h"), limit=10) == ([], None)

    def test_the_image_is_the_booking_as_its_stream_record_shows_it(self, world):
        booking = a_whole_booking()
        world.repos.bookings.create(booking)
        image = world.repos.bookings.image(booking.booking_id)
        assert image["history"] == [dict(booking.history[0])]  # a None inside a map stays
        assert image["attribution"] == {"utm_source": "newsletter", "channel": None}
        assert image["asked_helpers"] == ["h_x"] and image["version"] == 1 and image["line_items"] == []
        assert "helper_id" not in image and "minutes_worked" not in image  # None: absent
        assert image["location"]["lat"] == 47.3769
        assert world.repos.bookings.image(_id("b")) is None

    # ---- writes joined to a transition -------------------------------------------------------

    def test_a_transition_and_the_offer_it_answers_commit_together(self, world):
        from chalicelib.store.records import OfferAnswer

        booking = a_whole_booking()
        offer = an_offer(booking_id=booking.booking_id)
        world.repos.bookings.create(booking)
        world.given_offer(offer)
        written = world.repos.bookings.write_transition(
            booking, to_state="assigned", entry=a_step(booking, "assigned"), fields={"helper_id": offer.helper_id},
            also_in_transaction=[OfferAnswer(booking.booking_id, offer.helper_id, "accepted")])
        assert (written.state, written.version, written.helper_id) == ("assigned", 2, offer.helper_id)
        assert world.repos.bookings.load(booking.booking_id) == written
        assert world.repos.offers.get(booking.booking_id, offer.helper_id).state == "accepted"

    def test_a_transition_whose_offer_is_not_open_any_more_writes_nothing(self, world):
        from chalicelib.store.records import OfferAnswer

        booking = a_whole_booking()
        offer = an_offer(booking_id=booking.booking_id, state="withdrawn")
        world.repos.bookings.create(booking)
        world.given_offer(offer)
        with pytest.raises(ConditionFailed):
            world.repos.bookings.write_transition(
                booking, to_state="assigned", entry=a_step(booking, "assigned"),
                also_in_transaction=[OfferAnswer(booking.booking_id, offer.helper_id, "accepted")])
        assert world.repos.bookings.load(booking.booking_id) == booking
        assert world.repos.offers.get(booking.booking_id, offer.helper_id).state == "withdrawn"

    def test_new_offers_are_made_with_the_transition_and_counted_on_their_helpers(self, world):
        from chalicelib.store.records import NewOffer

        booking = a_whole_booking(state="requested")
        helper = a_profile()
        world.repos.bookings.create(booking)
        world.given_helper_profile(helper)
        offer = an_offer(booking_id=booking.booking_id, helper_id=helper.helper_id, round=1)
        world.repos.bookings.write_transition(booking, to_state="offered", entry=a_step(booking, "offered"),
                                              fields={"dispatch_round": 1, "asked_helpers": (helper.helper_id,)},
                                              also_in_transaction=[NewOffer(offer)])
        assert world.repos.offers.get(booking.booking_id, helper.helper_id) == offer
        assert world.repos.helper_profiles.get(helper.helper_id, consistent=True).offers_received == 1
        got = world.repos.bookings.load(booking.booking_id)
        assert (got.state, got.dispatch_round, got.asked_helpers) == ("offered", 1, (helper.helper_id,))

    def test_an_offer_made_twice_or_to_nobody_refuses_the_whole_transition(self, world):
        from chalicelib.store.records import NewOffer

        booking = a_whole_booking(state="requested")
        helper = a_profile()
        world.repos.bookings.create(booking)
        world.given_helper_profile(helper)
        made = an_offer(booking_id=booking.booking_id, helper_id=helper.helper_id)
        world.given_offer(made)
        for offers in ([NewOffer(replace(made, round=3))], [NewOffer(an_offer(booking_id=booking.booking_id))]):
            with pytest.raises(ConditionFailed):
                world.repos.bookings.write_transition(booking, to_state="offered", entry=a_step(booking, "offered"),
                                                      also_in_transaction=offers)
        assert world.repos.bookings.load(booking.booking_id) == booking
        assert world.repos.offers.get(booking.booking_id, helper.helper_id) == made
        assert world.repos.helper_profiles.get(helper.helper_id, consistent=True).offers_received == 0

    # ---- a helper's offers ---------------------------------------------------------------------

    def test_an_open_offer_is_answered_once(self, world):
        offer = an_offer()
        world.given_offer(offer)
        world.repos.offers.answer(offer.booking_id, offer.helper_id, "expired")
        assert world.repos.offers.get(offer.booking_id, offer.helper_id).state == "expired"
        with pytest.raises(ConditionFailed):
            world.repos.offers.answer(offer.booking_id, offer.helper_id, "declined")
        with pytest.raises(ConditionFailed):
            world.repos.offers.answer(offer.booking_id, _id("h"), "expired")  # never made: nothing is created
        assert world.repos.offers.get(offer.booking_id, offer.helper_id).state == "expired"

    def test_a_helpers_offers_come_newest_first(self, world):
        helper = _id("h")
        times = ["2026-11-30T10:02:00.000Z", "2026-11-30T10:01:00.000Z", "2026-11-30T10:03:00.000Z"]
        for at in times:
            world.given_offer(an_offer(helper_id=helper, created_at=at, state="declined"))
        world.given_offer(an_offer())  # another helper's
        assert [o.created_at for o in world.repos.offers.newest_for_helper(helper, 10)] == sorted(times, reverse=True)
        assert len(world.repos.offers.newest_for_helper(helper, 2)) == 2

    # ---- the helper's own profile --------------------------------------------------------------

    def test_a_profile_reads_back_and_a_missing_one_is_none(self, world):
        profile = a_profile()
        world.given_helper_profile(profile)
        assert world.repos.helper_profiles.get(profile.helper_id, consistent=True) == profile
        assert world.repos.helper_profiles.get(_id("h")) is None

    def test_a_profile_edit_at_the_status_read_changes_only_what_it_names(self, world):
        profile = a_profile()
        world.given_helper_profile(profile)
        new = world.repos.helper_profiles.update(profile, {"bio": None, "hourly_rate": 7000, "languages": ("fr",),
                                                           "availability": {"tue": [["08:00", "10:00"]]}})
        assert new == replace(profile, bio=None, hourly_rate=7000, languages=("fr",),
                              availability={"tue": [["08:00", "10:00"]]})
        assert world.repos.helper_profiles.get(profile.helper_id, consistent=True) == new

    def test_a_profile_edit_after_a_status_change_is_refused_and_changes_nothing(self, world):
        profile = a_profile()
        world.given_helper_profile(profile)
        with pytest.raises(ConditionFailed):
            world.repos.helper_profiles.update(replace(profile, status="active"), {"hourly_rate": 1})
        with pytest.raises(ConditionFailed):
            world.repos.helper_profiles.update(a_profile(), {"hourly_rate": 1})  # no such helper
        with pytest.raises(ValueError):
            world.repos.helper_profiles.update(profile, {"status": "active"})  # not the helper's to change
        assert world.repos.helper_profiles.get(profile.helper_id, consistent=True) == profile

    # ---- a customer's details for the next booking ---------------------------------------------

    def test_a_customers_details_are_kept_for_next_time(self, world):
        customer = CustomerRecord(customer_id=_id("c"), tenant_id="contract", email=f"{_id('e')}@example.org",
                                  created_at="2026-11-30T10:00:00.000Z", phone="+41790000000")
        world.repos.people.add_customer(customer)
        world.repos.people.remember_details(customer.customer_id, name="Erika Muster")
        assert world.repos.people.customer(customer.customer_id) == replace(customer, name="Erika Muster")
        address = {"address": "Bahnhofstrasse 1", "postcode": "8001", "city": "Zürich", "lat": 47.37, "lon": 8.54}
        world.repos.people.remember_details(customer.customer_id, name="Erika", phone="+41791111111", address=address)
        assert world.repos.people.customer(customer.customer_id) == replace(customer, name="Erika",
                                                                            phone="+41791111111", address=address)

    def test_the_details_of_a_customer_who_does_not_exist_create_nobody(self, world):
        missing = _id("c")
        with pytest.raises(ConditionFailed):
            world.repos.people.remember_details(missing, name="Nobody")
        assert world.repos.people.customer(missing) is None
