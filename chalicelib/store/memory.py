"""In-memory twins of the DynamoDB repositories, for use-case tests without the JVM.

Each twin keeps the same promises as its DynamoDB sibling — creates refuse an existing key,
conditional updates refuse a stale state, guarded counter transactions are all-or-nothing — and
``tests/contract/`` runs one suite against both, so a twin that drifts fails there. A lock per
store makes each operation atomic, as a single DynamoDB write is.
"""
from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from typing import Iterable, Iterator

from chalicelib.store.conditions import AlreadyExists, ConditionFailed
from chalicelib.store.records import (ALL_COUNTERS, BookingFacts, CustomerRatingRecord, FailureRecord,
                                      GeoHintRecord, HelperRecord, OfferRef, QualityCaseRecord, ReviewRecord,
                                      WebhookDeliveryRecord, WebhookEndpointRecord)


class World:
    """The shared state of one in-memory store (what the tables hold), with one lock."""

    def __init__(self):
        self.lock = threading.RLock()
        self.reviews: dict[str, ReviewRecord] = {}
        self.customer_ratings: dict[str, CustomerRatingRecord] = {}
        self.counters: dict[tuple[str, str], dict[str, int]] = {}
        self.guards: set[str] = set()
        self.cases: dict[str, QualityCaseRecord] = {}
        self.helpers: dict[str, HelperRecord] = {}
        self.bookings: dict[str, BookingFacts] = {}
        self.offers: list[OfferRef] = []
        self.failures: dict[str, FailureRecord] = {}
        self.geo_hints: dict[str, GeoHintRecord] = {}
        self.endpoints: dict[tuple[str, str], WebhookEndpointRecord] = {}
        self.deliveries: dict[tuple[str, str], WebhookDeliveryRecord] = {}


class Reviews:
    def __init__(self, world: World):
        self.w = world

    def add(self, review: ReviewRecord) -> None:
        with self.w.lock:
            if review.booking_id in self.w.reviews:
                raise AlreadyExists(f"review {review.booking_id} exists")
            self.w.reviews[review.booking_id] = review

    def get(self, booking_id: str) -> ReviewRecord | None:
        return self.w.reviews.get(booking_id)

    def update(self, booking_id: str, *, expected_version: int, changes: dict,
               editable_at: str | None = None) -> ReviewRecord:
        with self.w.lock:
            current = self.w.reviews.get(booking_id)
            if current is None or current.version != expected_version or (
                    editable_at is not None and not current.editable_until >= editable_at):
                raise ConditionFailed(f"review {booking_id} is not at version {expected_version}")
            new = replace(current, **changes)
            self.w.reviews[booking_id] = new
            return new

    def by_helper(self, helper_id: str, limit: int = 50) -> Iterator[ReviewRecord]:
        rows = sorted((r for r in self.w.reviews.values() if r.helper_id == helper_id),
                      key=lambda r: r.created_at, reverse=True)
        yield from rows[:limit]


class CustomerRatings:
    def __init__(self, world: World):
        self.w = world

    def add(self, rating: CustomerRatingRecord) -> None:
        with self.w.lock:
            if rating.booking_id in self.w.customer_ratings:
                raise AlreadyExists(f"customer rating {rating.booking_id} exists")
            self.w.customer_ratings[rating.booking_id] = rating

    def get(self, booking_id: str) -> CustomerRatingRecord | None:
        return self.w.customer_ratings.get(booking_id)


class RatingCounters:
    def __init__(self, world: World):
        self.w = world

    def add(self, guard_key: str, change: dict[str, int], targets: Iterable[tuple[str, str, str | None]], *,
            helper_id: str | None = None, guard_ttl: timedelta = timedelta(days=30)) -> bool:
        targets = list(targets)
        with self.w.lock:
            if guard_key in self.w.guards:
                return False
            helper = self.w.helpers.get(helper_id) if helper_id else None
            if helper_id and (change.get("count") or change.get("star_sum")) and helper is None:
                # DynamoDB cancels the whole transaction on the helper's exists-condition
                raise ConditionFailed(f"helper {helper_id} does not exist")
            self.w.guards.add(guard_key)
            for scope, bucket, _tenant in targets:
                row = self.w.counters.setdefault((scope, bucket), dict.fromkeys(ALL_COUNTERS, 0))
                for k, v in change.items():
                    row[k] += v
            if helper is not None:
                self.w.helpers[helper_id] = replace(helper, rating_count=helper.rating_count + change.get("count", 0),
                                                    rating_sum=helper.rating_sum + change.get("star_sum", 0))
            return True

    def totals(self, scope: str, bucket: str, consistent: bool = False) -> dict:
        return dict(self.w.counters.get((scope, bucket)) or dict.fromkeys(ALL_COUNTERS, 0))

    def between(self, scope: str, first_bucket: str, last_bucket: str) -> list[dict]:
        return [dict(row) for (s, b), row in sorted(self.w.counters.items())
                if s == scope and first_bucket <= b <= last_bucket]


class QualityCases:
    def __init__(self, world: World):
        self.w = world

    def open(self, case: QualityCaseRecord, reopen_done: bool = False) -> bool:
        with self.w.lock:
            existing = self.w.cases.get(case.case_id)
            if existing is not None and not (reopen_done and existing.status == "done"):
                return False
            self.w.cases[case.case_id] = case
            return True

    def log(self, case: QualityCaseRecord) -> None:
        with self.w.lock:
            self.w.cases[case.case_id] = case

    def get(self, case_id: str) -> QualityCaseRecord | None:
        return self.w.cases.get(case_id)

    def close(self, case: QualityCaseRecord, *, outcome: str, notes: str, resolved_by: str,
              at: str) -> QualityCaseRecord:
        with self.w.lock:
            current = self.w.cases.get(case.case_id)
            if current is None or current.status != "open":
                raise ConditionFailed(f"case {case.case_id} is not open")
            new = replace(current, status="done", outcome=outcome, notes=notes, resolved_by=resolved_by,
                          resolved_at=at)
            self.w.cases[case.case_id] = new
            return new

    def listed(self, tenant_id: str, status: str, limit: int) -> list[QualityCaseRecord]:
        rows = sorted((c for c in self.w.cases.values() if c.tenant_id == tenant_id and c.status == status),
                      key=lambda c: c.created_at, reverse=True)
        return rows[:limit]


class Helpers:
    def __init__(self, world: World):
        self.w = world

    def get(self, helper_id: str, consistent: bool = False) -> HelperRecord | None:
        return self.w.helpers.get(helper_id)

    def set_status(self, helper: HelperRecord, status: str) -> HelperRecord:
        with self.w.lock:
            current = self.w.helpers.get(helper.helper_id)
            if current is None or current.status != helper.status:
                raise ConditionFailed(f"helper {helper.helper_id} is not {helper.status} any more")
            new = replace(current, status=status)
            self.w.helpers[helper.helper_id] = new
            return new


class Bookings:
    def __init__(self, world: World):
        self.w = world

    def facts(self, booking_id: str) -> BookingFacts | None:
        return self.w.bookings.get(booking_id)


class Offers:
    def __init__(self, world: World):
        self.w = world

    def open_for_helper(self, helper_id: str) -> list[OfferRef]:
        return [o for o in self.w.offers if o.helper_id == helper_id and o.state == "open"]


class Failures:
    def __init__(self, world: World):
        self.w = world

    def add(self, failure: FailureRecord) -> None:
        with self.w.lock:
            if failure.failure_id in self.w.failures:
                raise AlreadyExists(f"failure {failure.failure_id} exists")
            self.w.failures[failure.failure_id] = failure

    def failed_again(self, failure_id: str, *, error: str, at: str, attempts: int, payload: str) -> None:
        with self.w.lock:
            current = self.w.failures.get(failure_id)
            if current is None:
                raise ConditionFailed(f"failure {failure_id} is not in the store")
            self.w.failures[failure_id] = replace(current, status="open", error=error, last_failed_at=at,
                                                  attempts=current.attempts + attempts, payload=payload,
                                                  version=current.version + 1)

    def get(self, failure_id: str) -> FailureRecord | None:
        return self.w.failures.get(failure_id)

    def listed(self, status: str, limit: int) -> list[FailureRecord]:
        rows = sorted((f for f in self.w.failures.values() if f.status == status),
                      key=lambda f: f.last_failed_at, reverse=True)
        return rows[:limit]

    def mark_replayed(self, failure: FailureRecord, *, by: str, at: str) -> FailureRecord:
        with self.w.lock:
            current = self.w.failures.get(failure.failure_id)
            if current is None or current.version != failure.version or current.status != "open":
                raise ConditionFailed(f"failure {failure.failure_id} changed since it was read")
            new = replace(current, status="replayed", replays=current.replays + 1, replayed_at=at, replayed_by=by,
                          version=current.version + 1)
            self.w.failures[failure.failure_id] = new
            return new


class Guards:
    def __init__(self, world: World):
        self.w = world

    def mark_once(self, key: str, ttl: timedelta) -> bool:
        with self.w.lock:
            if key in self.w.guards:
                return False
            self.w.guards.add(key)
            return True

    def seen(self, key: str) -> bool:
        return key in self.w.guards


class GeoHints:
    def __init__(self, world: World):
        self.w = world

    def get(self, key: str) -> GeoHintRecord | None:
        return self.w.geo_hints.get(key)

    def put(self, hint: GeoHintRecord, ttl: timedelta) -> None:
        with self.w.lock:
            self.w.geo_hints[hint.key] = hint


class Webhooks:
    def __init__(self, world: World):
        self.w = world

    def add_endpoint(self, ep: WebhookEndpointRecord) -> None:
        with self.w.lock:
            key = (ep.tenant_id, ep.endpoint_id)
            if key in self.w.endpoints:
                raise AlreadyExists(f"endpoint {ep.endpoint_id} exists")
            self.w.endpoints[key] = ep

    def endpoints(self, tenant_id: str) -> list[WebhookEndpointRecord]:
        return [ep for (t, _), ep in sorted(self.w.endpoints.items()) if t == tenant_id]

    def endpoint(self, tenant_id: str, endpoint_id: str) -> WebhookEndpointRecord | None:
        return self.w.endpoints.get((tenant_id, endpoint_id))

    def delete_endpoint(self, tenant_id: str, endpoint_id: str) -> None:
        with self.w.lock:
            self.w.endpoints.pop((tenant_id, endpoint_id), None)

    def add_delivery(self, d: WebhookDeliveryRecord) -> None:
        with self.w.lock:
            key = (d.endpoint_id, d.message_id)
            if key in self.w.deliveries:
                raise AlreadyExists(f"delivery {d.message_id} exists")
            self.w.deliveries[key] = d

    def delivery(self, endpoint_id: str, message_id: str) -> WebhookDeliveryRecord | None:
        d = self.w.deliveries.get((endpoint_id, message_id))
        return replace(d, attempt_log=dict(d.attempt_log)) if d else None

    def deliveries(self, endpoint_id: str, limit: int) -> list[WebhookDeliveryRecord]:
        rows = [d for (e, _), d in sorted(self.w.deliveries.items(), reverse=True) if e == endpoint_id]
        return rows[:limit]

    def reset_for_redelivery(self, endpoint_id: str, message_id: str) -> WebhookDeliveryRecord:
        with self.w.lock:
            d = self.w.deliveries.get((endpoint_id, message_id))
            if d is None:
                raise ConditionFailed(f"delivery {message_id} is not in the log")
            new = replace(d, status="pending", first_attempt_at=None)
            self.w.deliveries[(endpoint_id, message_id)] = new
            return new

    def claim_attempt(self, endpoint_id: str, message_id: str, *, final_states: tuple[str, ...] = ()) -> int | None:
        with self.w.lock:
            d = self.w.deliveries.get((endpoint_id, message_id))
            if d is None or d.status in final_states:
                return None
            self.w.deliveries[(endpoint_id, message_id)] = replace(d, attempts=d.attempts + 1)
            return d.attempts + 1

    def record_attempt(self, endpoint_id: str, message_id: str, attempt: int, entry: dict, *,
                       status_code: int | None, error: str | None, first_attempt_at: float | None = None,
                       new_status: str | None = None, delivered_at: str | None = None,
                       unless_status: tuple[str, ...] = ()) -> bool:
        with self.w.lock:
            d = self.w.deliveries.get((endpoint_id, message_id))
            if d is None:
                return False
            log = {**d.attempt_log, str(attempt): dict(entry)}
            if d.status in unless_status:
                self.w.deliveries[(endpoint_id, message_id)] = replace(d, attempt_log=log)
                return False
            changes = {"attempt_log": log, "last_status_code": status_code, "last_error": error or None}
            if first_attempt_at is not None:
                changes["first_attempt_at"] = first_attempt_at
            if new_status is not None:
                changes["status"] = new_status
            if delivered_at is not None:
                changes["delivered_at"] = delivered_at
            self.w.deliveries[(endpoint_id, message_id)] = replace(d, **changes)
            return True
