"""In-memory twins of the DynamoDB repositories, for use-case tests without the JVM.

Each twin keeps the same promises as its DynamoDB sibling — creates refuse an existing key,
conditional updates refuse a stale state, guarded counter transactions are all-or-nothing — and
``tests/contract/`` runs one suite against both, so a twin that drifts fails there. A lock per
store makes each operation atomic, as a single DynamoDB write is.
"""
from __future__ import annotations

import threading
from copy import deepcopy
from dataclasses import replace
from datetime import timedelta
from typing import Iterable, Iterator

from chalicelib.store.conditions import AlreadyExists, ConditionFailed
from chalicelib.store.records import (ALL_COUNTERS, BookingFacts, CustomerRatingRecord, FailureRecord,
                                      GeoHintRecord, HelperRecord, OfferRef, QualityCaseRecord, ReviewRecord,
                                      WebhookDeliveryRecord, WebhookEndpointRecord, SignInCodeRecord,
                                      PhoneVerificationRecord, StaffRecord, CustomerRecord)
from chalicelib.store.records import (BookingRecord, LedgerEntryRecord, PaymentRecord, PayoutAccountRecord,
                                      SavedCardRecord)
from chalicelib.store.records import (HelperReach, NotificationLogRecord, NotificationPrefsRecord, OfferRecord,
                                      PushSubscriptionRecord)


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
        self.codes: dict[str, SignInCodeRecord] = {}
        self.client_counts: dict[str, int] = {}
        self.phones: dict[str, PhoneVerificationRecord] = {}
        self.customers: dict[str, CustomerRecord] = {}
        self.helper_emails: dict[tuple[str, str], str] = {}
        self.staff: dict[str, StaffRecord] = {}
        # notifications, dispatch and the helper as they read it
        self.notification_log: dict[tuple[str, str], NotificationLogRecord] = {}
        self.notification_prefs: dict[str, NotificationPrefsRecord] = {}
        self.push_subscriptions: dict[tuple[str, str], PushSubscriptionRecord] = {}
        self.offer_records: dict[tuple[str, str], OfferRecord] = {}
        self.helper_reach: dict[str, HelperReach] = {}
        self.helper_photos: dict[str, tuple[str, bool]] = {}
        self.index_items: dict[str, dict] = {}  # helper id -> its matching index item (projection + keys)


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

    def reach(self, helper_id: str, consistent: bool = False) -> HelperReach | None:
        return self.w.helper_reach.get(helper_id)

    def set_photo(self, helper_id: str, photo_key: str, public: bool) -> None:
        with self.w.lock:
            if helper_id not in self.w.helpers and helper_id not in self.w.helper_reach:
                raise ConditionFailed(f"helper {helper_id} does not exist")
            self.w.helper_photos[helper_id] = (photo_key, bool(public))
            if helper_id in self.w.helpers:
                self.w.helpers[helper_id] = replace(self.w.helpers[helper_id], photo_key=photo_key,
                                                    photo_public=bool(public))

    def sync_index_keys(self, helper_id: str, changes: dict, derived_from: dict) -> None:
        with self.w.lock:
            helper = self.w.helper_reach.get(helper_id)
            if helper is None or any(getattr(helper, k) != v for k, v in derived_from.items()):
                raise ConditionFailed(f"helper {helper_id} changed since its index keys were derived")
            # the index projection of the helper, with the keys it carries now
            item = {**self.w.index_items.get(helper_id, {}), **changes,
                    **{k: getattr(helper, k) for k in ("helper_id", "tenant_id", "first_name", "lat", "lon", "languages",
                                                       "on_call", "rating_count", "rating_sum", "remote",
                                                       "payout_ready", "skills")}}
            self.w.index_items[helper_id] = {k: v for k, v in item.items() if v is not None}

    def mark_busy(self, guard_key: str, helper_id: str, booking_id: str, at: str) -> bool:
        accepts = _table(self.w, "helper_last_accept")  # as DynamoDB: only over an older accept
        with self.w.lock:
            helper = self.w.helper_reach.get(helper_id)
            mark = f"{at}#{booking_id}"
            if helper is None or (helper_id in accepts and not accepts[helper_id] < mark):
                return False
            accepts[helper_id] = mark
            self.w.helper_reach[helper_id] = replace(helper, busy_with=booking_id)
            return True

    def free(self, guard_key: str, helper_id: str, booking_id: str, at: str | None = None) -> bool:
        accepts = _table(self.w, "helper_last_accept")
        with self.w.lock:
            helper = self.w.helper_reach.get(helper_id)
            if helper is None or helper.busy_with != booking_id:
                return False
            if at and helper_id in accepts and not accepts[helper_id] < at:
                return False
            self.w.helper_reach[helper_id] = replace(helper, busy_with=None)
            return True


class Bookings:
    def __init__(self, world: World):
        self.w = world
        self.records: dict[str, BookingRecord] = _table(world, "booking_records")

    def facts(self, booking_id: str) -> BookingFacts | None:
        found = self.w.bookings.get(booking_id)
        if found is None and booking_id in self.records:
            b = self.records[booking_id]
            done = next((e.get("at") for e in reversed(b.history) if e.get("transition") == "complete"), None)
            found = BookingFacts(booking_id=b.booking_id, tenant_id=b.tenant_id, customer_id=b.customer_id,
                                 state=b.state, updated_at=b.updated_at, helper_id=b.helper_id, language=b.language,
                                 contact_name=(b.contact or {}).get("name"), completed_at=done,
                                 partner_id=b.partner_id, external_ref=b.external_ref)
        return found

    # ---- the whole booking, payments' copies, the transition write (issue 18) ----------------

    def get(self, booking_id: str) -> BookingRecord | None:
        return self.records.get(booking_id)

    def copy(self, booking_id: str, fields: dict, *, in_state: str | None = None) -> bool:
        with self.w.lock:
            b = self.records.get(booking_id)
            if b is None or (in_state is not None and b.state != in_state):
                return False
            self.records[booking_id] = replace(b, **_plain_changes(BookingRecord, fields))
            return True

    def ids_for_helper(self, helper_id: str) -> list[str]:
        return sorted(b.booking_id for b in self.records.values() if b.helper_id == helper_id)

    def load(self, booking_id: str, consistent: bool = True) -> BookingRecord | None:
        return self.records.get(booking_id)

    def write_transition(self, booking: BookingRecord, *, to_state: str, entry: dict, fields=None,
                         also_in_transaction=()) -> BookingRecord:
        if fields and not isinstance(fields, dict):
            raise TypeError("a transition's fields are {field: value} changes (None removes one)")
        joined = list(also_in_transaction or ())
        with self.w.lock:
            b = self.records.get(booking.booking_id)
            if b is None or b.state != booking.state or b.version != booking.version:
                raise ConditionFailed(f"booking {booking.booking_id} is not {booking.state} at version "
                                      f"{booking.version} any more")
            for write in joined:  # every condition first: all or nothing, as a transaction
                _check_joined(self.w, write)
            new = replace(b, state=to_state, version=b.version + 1, history=b.history + (deepcopy(entry),),
                          updated_at=entry["at"], **_plain_changes(BookingRecord, fields or {}))
            self.records[booking.booking_id] = new
            for write in joined:
                _apply_joined(self.w, write)
            return new

    # ---- create, lists, the stream image (issue 18) --------------------------------------------

    def create(self, booking: BookingRecord) -> None:
        with self.w.lock:
            if booking.booking_id in self.records:
                raise AlreadyExists(f"booking {booking.booking_id} exists")
            self.records[booking.booking_id] = booking

    def create_once(self, booking: BookingRecord, *, key: str, request_hash: str, ttl_seconds: int):
        from chalicelib.store.records import CreateKeyRecord

        keys = _table(self.w, "create_keys")
        with self.w.lock:
            if key in keys:
                return keys[key]
            if booking.booking_id in self.records:
                raise ConditionFailed(f"booking {booking.booking_id} exists")  # DynamoDB: not the key's doing
            keys[key] = CreateKeyRecord(key=key, request_hash=request_hash, booking_id=booking.booking_id)
            self.records[booking.booking_id] = booking
            return None

    def create_key(self, key: str):
        return _table(self.w, "create_keys").get(key)

    def page(self, by: str, owner_id: str, *, limit: int, after: dict | None = None):
        field = {"customer": "customer_id", "helper": "helper_id"}[by]
        rows = sorted((b for b in self.records.values() if getattr(b, field) == owner_id),
                      key=lambda b: (b.created_at, b.booking_id), reverse=True)
        if after:
            at = (after["created_at"]["S"], after["booking_id"]["S"])
            rows = [b for b in rows if (b.created_at, b.booking_id) < at]
        page = rows[:limit]
        last = page[-1] if len(page) == limit else None  # a full page: DynamoDB says where it stopped
        return page, ({"booking_id": {"S": last.booking_id}, "created_at": {"S": last.created_at},
                       field: {"S": owner_id}} if last else None)

    def image(self, booking_id: str) -> dict | None:
        import dataclasses

        b = self.records.get(booking_id)
        return _json_image(dataclasses.asdict(b)) if b is not None else None


def _json_image(fields: dict) -> dict:
    """A record's fields as a stream image holds them: an attribute that is None is absent (a
    None inside a map stays), tuples are lists."""
    return {k: _json_value(v) for k, v in fields.items() if v is not None}


def _json_value(value):
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return value


def _helper_exists(world: World, helper_id: str) -> bool:
    return (helper_id in world.helpers or helper_id in world.helper_reach
            or helper_id in _table(world, "helper_profiles"))


def _check_joined(world: World, write) -> None:
    from chalicelib.store.records import NewOffer, OfferAnswer

    if isinstance(write, OfferAnswer):
        offer = world.offer_records.get((write.booking_id, write.helper_id))
        if offer is None or offer.state != "open":
            raise ConditionFailed(f"offer {write.booking_id}/{write.helper_id} is not open")
    elif isinstance(write, NewOffer):
        o = write.offer
        if (o.booking_id, o.helper_id) in world.offer_records or not _helper_exists(world, o.helper_id):
            raise ConditionFailed(f"offer {o.booking_id}/{o.helper_id} exists or the helper does not")
    else:
        raise TypeError(f"not a write a transition can join: {write!r}")


def _apply_joined(world: World, write) -> None:
    from chalicelib.store.records import NewOffer

    if isinstance(write, NewOffer):
        o = write.offer
        world.offer_records[(o.booking_id, o.helper_id)] = o
        profiles = _table(world, "helper_profiles")
        if o.helper_id in profiles:
            profiles[o.helper_id] = replace(profiles[o.helper_id],
                                            offers_received=profiles[o.helper_id].offers_received + 1)
    else:
        key = (write.booking_id, write.helper_id)
        world.offer_records[key] = replace(world.offer_records[key], state=write.state)


class Offers:
    def __init__(self, world: World):
        self.w = world

    def open_for_helper(self, helper_id: str) -> list[OfferRef]:
        return [o for o in self.w.offers if o.helper_id == helper_id and o.state == "open"]

    def get(self, booking_id: str, helper_id: str, consistent: bool = True) -> OfferRecord | None:
        return self.w.offer_records.get((booking_id, helper_id))

    def for_booking(self, booking_id: str) -> list[OfferRecord]:
        return [o for (b, _), o in sorted(self.w.offer_records.items()) if b == booking_id]

    def withdraw(self, booking_id: str, helper_id: str) -> None:
        with self.w.lock:
            offer = self.w.offer_records.get((booking_id, helper_id))
            if offer is None or offer.state != "open":
                raise ConditionFailed(f"offer {booking_id}/{helper_id} is not open")
            self.w.offer_records[(booking_id, helper_id)] = replace(offer, state="withdrawn")

    def answer(self, booking_id: str, helper_id: str, state: str) -> None:
        with self.w.lock:
            offer = self.w.offer_records.get((booking_id, helper_id))
            if offer is None or offer.state != "open":
                raise ConditionFailed(f"offer {booking_id}/{helper_id} is not open")
            self.w.offer_records[(booking_id, helper_id)] = replace(offer, state=state)

    def newest_for_helper(self, helper_id: str, limit: int) -> list[OfferRecord]:
        rows = sorted((o for (_, h), o in self.w.offer_records.items() if h == helper_id),
                      key=lambda o: o.created_at, reverse=True)
        return rows[:limit]


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

    def deliveries_page(self, endpoint_id: str, limit: int,
                        after: str | None = None) -> tuple[list[WebhookDeliveryRecord], str | None]:
        rows = [d for (e, m), d in sorted(self.w.deliveries.items(), reverse=True)
                if e == endpoint_id and (after is None or m < after)]
        page = rows[:limit]
        return page, (page[-1].message_id if len(rows) > limit else None)

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


class SignIn:
    def __init__(self, world: World):
        self.w = world

    def code(self, key: str) -> SignInCodeRecord | None:
        return self.w.codes.get(key)

    def start_window(self, record: SignInCodeRecord, *, replacing: SignInCodeRecord | None, ttl: timedelta) -> None:
        with self.w.lock:
            current = self.w.codes.get(record.key)
            if (current is None) != (replacing is None) or (
                    current is not None and current.code_hash != replacing.code_hash):
                raise ConditionFailed(f"sign-in code {record.key} changed since it was read")
            self.w.codes[record.key] = record

    def resend(self, current: SignInCodeRecord, *, code_hash: str, expires_at: float, at: float, ip_key: str,
               ttl: timedelta) -> None:
        with self.w.lock:
            now = self.w.codes.get(current.key)
            if now is None or now.sends != current.sends or now.window_ends != current.window_ends:
                raise ConditionFailed(f"sign-in code {current.key} changed since it was read")
            self.w.codes[current.key] = replace(now, code_hash=code_hash, expires_at=expires_at, last_sent_at=at,
                                                sends=now.sends + 1, ip_key=ip_key)

    def take_try(self, key: str, *, max_attempts: int, now: float) -> SignInCodeRecord:
        with self.w.lock:
            r = self.w.codes.get(key)
            if r is None or r.attempts >= max_attempts or r.expires_at is None or r.expires_at < int(now):
                raise ConditionFailed(f"no try left for {key}")
            r = replace(r, attempts=r.attempts + 1)
            self.w.codes[key] = r
            return r

    def use(self, record: SignInCodeRecord) -> None:
        with self.w.lock:
            r = self.w.codes.get(record.key)
            if r is None or r.code_hash != record.code_hash:
                raise ConditionFailed(f"code {record.key} was already used")
            del self.w.codes[record.key]

    def charge_client(self, ip_key: str, *, limit: int, ttl: timedelta) -> bool:
        with self.w.lock:
            n = self.w.client_counts.get(ip_key, 0)
            if n >= limit:
                return False
            self.w.client_counts[ip_key] = n + 1
            return True

    def refund_client(self, ip_key: str) -> None:
        with self.w.lock:
            if self.w.client_counts.get(ip_key, 0) > 0:
                self.w.client_counts[ip_key] -= 1

    def outstanding(self, ip_key: str) -> int:
        return self.w.client_counts.get(ip_key, 0)

    def phone(self, key: str) -> PhoneVerificationRecord | None:
        return self.w.phones.get(key)

    def phone_code_sent(self, key: str, *, current: PhoneVerificationRecord | None, phone: str, code_hash: str,
                        expires_at: float, at: float, window: float, ttl: timedelta) -> None:
        with self.w.lock:
            now = self.w.phones.get(key)
            if current is None:
                if now is not None:
                    raise ConditionFailed(f"phone verification {key} changed since it was read")
                self.w.phones[key] = PhoneVerificationRecord(key=key, pending_phone=phone, code_hash=code_hash,
                                                             expires_at=expires_at, attempts=0, sends=1,
                                                             last_sent_at=at, window_ends=at + window)
                return
            if now is None:
                raise ConditionFailed(f"phone verification {key} changed since it was read")
            changes = dict(pending_phone=phone, code_hash=code_hash, expires_at=expires_at, last_sent_at=at)
            if current.window_ends is not None and current.window_ends > at:
                if now.sends != current.sends:
                    raise ConditionFailed(f"phone verification {key} changed since it was read")
                changes["sends"] = now.sends + 1
            else:
                if now.window_ends != current.window_ends:
                    raise ConditionFailed(f"phone verification {key} changed since it was read")
                changes.update(sends=1, attempts=0, window_ends=at + window)
            self.w.phones[key] = replace(now, **changes)

    def phone_try(self, key: str, *, max_attempts: int, now: float) -> PhoneVerificationRecord:
        with self.w.lock:
            r = self.w.phones.get(key)
            if r is None or r.code_hash is None or r.attempts >= max_attempts or r.expires_at is None \
                    or r.expires_at < int(now):
                raise ConditionFailed(f"no phone try left for {key}")
            r = replace(r, attempts=r.attempts + 1)
            self.w.phones[key] = r
            return r

    def phone_verified(self, record: PhoneVerificationRecord, at: float) -> PhoneVerificationRecord:
        with self.w.lock:
            r = self.w.phones.get(record.key)
            if r is None or r.code_hash != record.code_hash or r.code_hash is None:
                raise ConditionFailed(f"phone code {record.key} was already used")
            r = replace(r, verified_phone=record.pending_phone, verified_at=at, pending_phone=None, code_hash=None,
                        expires_at=None, attempts=0)
            self.w.phones[record.key] = r
            return r


class People:
    def __init__(self, world: World):
        self.w = world

    def customer(self, customer_id: str) -> CustomerRecord | None:
        return self.w.customers.get(customer_id)

    def add_customer(self, customer: CustomerRecord) -> None:
        with self.w.lock:
            if customer.customer_id in self.w.customers:
                raise AlreadyExists(f"customer {customer.customer_id} exists")
            self.w.customers[customer.customer_id] = customer

    def helper_id_by_email(self, tenant_id: str, email: str) -> str | None:
        return self.w.helper_emails.get((tenant_id, email))

    def staff(self, email: str) -> StaffRecord | None:
        return self.w.staff.get(email)

    def ops_for(self, tenant_id: str) -> list[StaffRecord]:
        return [s for s in self.w.staff.values() if s.role == "ops" and s.tenant_id in ("*", tenant_id)]

    def add_staff(self, staff: StaffRecord, created_at: str) -> None:  # issue 18: partner admins
        with self.w.lock:
            if staff.email in self.w.staff:
                raise AlreadyExists(f"staff {staff.email} exists")
            self.w.staff[staff.email] = staff

    def remember_details(self, customer_id: str, *, name: str, phone: str | None = None,
                         address: dict | None = None) -> None:
        with self.w.lock:
            c = self.w.customers.get(customer_id)
            if c is None:
                raise ConditionFailed(f"customer {customer_id} is not there")
            self.w.customers[customer_id] = replace(c, name=name, phone=phone or c.phone,
                                                    address=deepcopy(address) if address is not None else c.address)


# ---- payments, ledger, payout accounts, saved cards (issue 18) -----------------------------------

def _table(world: World, name: str) -> dict:
    """One of this block's tables in the shared world (made on first use)."""
    with world.lock:
        return world.__dict__.setdefault(name, {})


def _plain_changes(cls, changes: dict) -> dict:
    """Changes as DynamoDB would hand them back: copies, lists of a tuple field as tuples."""
    tuples = {n for n, f in cls.__dataclass_fields__.items() if f.default == ()}
    return {k: (tuple(deepcopy(v)) if k in tuples and v is not None else deepcopy(v)) for k, v in changes.items()}


class Payments:
    def __init__(self, world: World):
        self.w = world
        self.rows: dict[str, PaymentRecord] = _table(world, "payments")

    def get(self, booking_id: str) -> PaymentRecord | None:
        return self.rows.get(booking_id)

    def add(self, payment: PaymentRecord) -> None:
        with self.w.lock:
            if payment.booking_id in self.rows:
                raise AlreadyExists(f"payment {payment.booking_id} exists")
            self.rows[payment.booking_id] = payment

    def write(self, payment: PaymentRecord, changes: dict) -> PaymentRecord:
        from chalicelib.domain.ids import now_iso

        with self.w.lock:
            stored = self.rows.get(payment.booking_id)
            if stored is None or stored.version != payment.version:
                raise ConditionFailed(f"payment {payment.booking_id} is not at version {payment.version}")
            new = replace(stored, **_plain_changes(PaymentRecord, changes), version=stored.version + 1,
                          updated_at=now_iso())
            self.rows[payment.booking_id] = new
            return new

    def update(self, booking_id: str, change) -> PaymentRecord:
        from chalicelib.store.retry import PAYMENT_ATTEMPTS, payment_busy, update_with_retry

        return update_with_retry(lambda: self.get(booking_id), change, self.write, attempts=PAYMENT_ATTEMPTS,
                                 busy=payment_busy)

    def booking_for_intent(self, payment_intent_id: str) -> str | None:
        return next((p.booking_id for p in self.rows.values() if p.payment_intent_id == payment_intent_id), None)

    def holding_on(self, day: str) -> Iterator[PaymentRecord]:
        yield from sorted((p for p in self.rows.values() if p.hold_day == day), key=lambda p: p.booking_id)


class Ledger:
    """One item per movement, as on DynamoDB (``store.ledger_rows.item_of``)."""

    def __init__(self, world: World):
        self.w = world
        self.items: dict[tuple[str, str], dict] = _table(world, "ledger")

    @property
    def rows(self) -> dict[str, LedgerEntryRecord]:
        """Every entry row, by entry id."""
        from chalicelib.store.ledger_rows import rows_of
        return {r.entry_id: r for item in list(self.items.values()) for r in rows_of(item)}

    def post(self, m) -> bool:
        from chalicelib.domain.ids import now_iso
        from chalicelib.store.ledger_rows import item_of

        with self.w.lock:
            item = item_of(m, now_iso())
            key = (item["booking_id"], item["movement_id"])
            if key in self.items:
                return False
            self.items[key] = item
            return True

    def of_booking(self, booking_id: str) -> list[LedgerEntryRecord]:
        from chalicelib.store.ledger_rows import rows_of
        return [r for key in sorted(k for k in self.items if k[0] == booking_id) for r in rows_of(self.items[key])]

    def of_account(self, account: str, since: str | None = None, until: str | None = None) -> list[LedgerEntryRecord]:
        from chalicelib.store.ledger_rows import check_indexed, rows_of

        check_indexed(account)
        found = [item for item in list(self.items.values())
                 if account in {item.get(f"acct_{i}") for i in (1, 2, 3)}
                 and (since is None or item["sort_key"] >= since) and (until is None or item["sort_key"] <= until)]
        return sorted((r for item in found for r in rows_of(item, account)), key=lambda e: e.sort_key)


class PayoutAccounts:
    def __init__(self, world: World):
        self.w = world
        self.rows: dict[str, PayoutAccountRecord] = _table(world, "payout_accounts")

    def get(self, helper_id: str, consistent: bool = False) -> PayoutAccountRecord | None:
        return self.rows.get(helper_id)

    def set_account(self, helper_id: str, account_id: str) -> None:
        with self.w.lock:
            h = self.rows.get(helper_id)
            if h is None or h.stripe_account_id is not None:
                raise ConditionFailed(f"helper {helper_id} has a payout account already")
            self.rows[helper_id] = replace(h, stripe_account_id=account_id)

    def set_payout_ready(self, helper_id: str, ready: bool, at: int) -> None:
        with self.w.lock:
            h = self.rows.get(helper_id)
            if h is None or (h.payout_status_at is not None and h.payout_status_at > at):
                raise ConditionFailed(f"a newer payout status of helper {helper_id} was applied already")
            self.rows[helper_id] = replace(h, payout_ready=ready, payout_status_at=at)


class Cards:
    def __init__(self, world: World):
        self.w = world
        self.rows: dict[str, SavedCardRecord] = _table(world, "cards")

    def get(self, customer_id: str) -> SavedCardRecord | None:
        return self.rows.get(customer_id)

    def set_stripe_customer(self, customer_id: str, stripe_customer_id: str) -> None:
        self._change(customer_id, stripe_customer_id=stripe_customer_id)

    def save_card(self, customer_id: str, payment_method: str, last4: str | None) -> None:
        self._change(customer_id, default_payment_method=payment_method, card_last4=last4)

    def _change(self, customer_id: str, **changes) -> None:
        with self.w.lock:
            c = self.rows.get(customer_id)
            if c is None:
                raise ConditionFailed(f"customer {customer_id} is not there")
            self.rows[customer_id] = replace(c, **changes)


CLAIMED, DONE, BUSY = "claimed", "done", "busy"  # store.claims' outcomes (the contract compares them)


class Claims:
    """Atomic claims (``store.claims``): one winner per key, a lease a dead worker's claim runs out by."""

    def __init__(self, world: World):
        self.w = world
        self.rows: dict[str, dict] = _table(world, "claims")

    def claim(self, key: str, *, lease_seconds: int = 120, ttl_seconds: int = 0) -> tuple[str, str | None]:
        import secrets
        import time

        with self.w.lock:
            now = time.time()
            row = self.rows.get(key)
            if row is None or (row["state"] == "running" and row["lease_until"] < now):
                owner = secrets.token_hex(8)
                self.rows[key] = {"state": "running", "owner": owner, "lease_until": now + lease_seconds}
                return CLAIMED, owner
            return (BUSY if row["state"] == "running" else DONE), None

    def finish(self, key: str, owner: str) -> bool:
        with self.w.lock:
            row = self.rows.get(key)
            if row is None or row["owner"] != owner:
                return False
            self.rows[key] = {"state": "done", "owner": owner, "lease_until": None}
            return True

    def release(self, key: str, owner: str) -> None:
        with self.w.lock:
            row = self.rows.get(key)
            if row is not None and row["owner"] == owner and row["state"] == "running":
                del self.rows[key]


# ---- notifications: the log, settings and push subscriptions ------------------------------------

class NotificationLog:
    def __init__(self, world: World):
        self.w = world

    def claim(self, row: NotificationLogRecord, *, stale_before: str) -> str | None:
        with self.w.lock:
            have = self.w.notification_log.get((row.scope, row.key))
            if row.status == "sending":
                if have is not None and not (have.status == "failed" or (
                        have.status == "sending" and (have.claimed_at or "") < stale_before)):
                    return None
                attempts = (have.attempts if have else 0) + 1
                error = have.error if have else None
            else:
                if have is not None:
                    return None
                attempts, error = 0, row.error or row.status
            self.w.notification_log[(row.scope, row.key)] = replace(
                row, title=(row.title or "")[:200], attempts=attempts, error=error,
                created_at=have.created_at if have else row.created_at,
                address=row.address or (have.address if have else None),
                provider_id=have.provider_id if have else None, sent_at=have.sent_at if have else None)
            return row.claimed_at

    def finish(self, scope: str, key: str, *, token: str, status: str, at: str | None = None,
               provider_id: str | None = None, error: str | None = None) -> bool:
        with self.w.lock:
            have = self.w.notification_log.get((scope, key))
            if have is None or have.status != "sending" or have.claimed_at != token:
                return False
            changes: dict = {"status": status}
            if status == "sent":
                changes.update(sent_at=at, error=None)
            if provider_id:
                changes["provider_id"] = str(provider_id)[:200]
            if error:
                changes["error"] = error[:500]
            self.w.notification_log[(scope, key)] = replace(have, **changes)
            return True

    def for_scope(self, scope: str) -> list[NotificationLogRecord]:
        return [r for (s, _), r in sorted(self.w.notification_log.items()) if s == scope]


class NotificationPrefs:
    def __init__(self, world: World):
        self.w = world

    def get(self, owner: str) -> NotificationPrefsRecord | None:
        return self.w.notification_prefs.get(owner)

    def put(self, prefs: NotificationPrefsRecord) -> None:
        with self.w.lock:
            self.w.notification_prefs[prefs.owner] = prefs


class PushSubscriptions:
    def __init__(self, world: World):
        self.w = world

    def for_owner(self, owner: str) -> list[PushSubscriptionRecord]:
        return [s for (o, _), s in sorted(self.w.push_subscriptions.items()) if o == owner]

    def get(self, owner: str, subscription_id: str) -> PushSubscriptionRecord | None:
        return self.w.push_subscriptions.get((owner, subscription_id))

    def put(self, sub: PushSubscriptionRecord) -> None:
        with self.w.lock:
            self.w.push_subscriptions[(sub.owner, sub.subscription_id)] = sub

    def delete(self, owner: str, subscription_id: str) -> None:
        with self.w.lock:
            self.w.push_subscriptions.pop((owner, subscription_id), None)


class HelperIndex:
    """The matching indexes over ``World.index_items`` (an item carries the keys its helper has)."""

    def __init__(self, world: World):
        self.w = world

    def cell_pages(self, geo_pk: str, sk_lo: str, sk_hi: str, table: str | None = None):
        items = sorted((dict(i) for i in self.w.index_items.values()
                        if i.get("geo_pk") == geo_pk and sk_lo <= i.get("geo_sk", "") <= sk_hi),
                       key=lambda i: i["geo_sk"])
        yield items, 0.0

    def remote_pages(self, pool: str, *, category: str, language: str):
        items = sorted((dict(i) for i in self.w.index_items.values()
                        if i.get("remote_pool") == pool and language in (i.get("languages") or ())
                        and category in (i.get("skills") or {})), key=lambda i: i["remote_sk"])
        for start in range(0, max(len(items), 1), 200):
            yield items[start:start + 200]


# ---------------------------------------------------------------------------------------------
# stored answers to Idempotency-Key requests (twin of store/replays.py)

class Replays:
    """In-memory twin of ``store.replays.Replays``: one claim per key, answers kept, leases expire."""

    def __init__(self, world: World):
        self.w = world
        if not hasattr(world, "replays"):
            world.replays = {}  # key -> (ReplayRecord, owner, lease_until)

    def claim(self, key: str, request_hash: str, *, lease_seconds: int, ttl_seconds: int):
        import secrets
        import time

        from chalicelib.store.records import ReplayRecord
        with self.w.lock:
            now = time.time()
            held = self.w.replays.get(key)
            if held is not None and not (held[0].state == "running" and held[2] < now):
                return ("busy" if held[0].state == "running" else "done"), None, held[0]
            owner = secrets.token_hex(8)
            self.w.replays[key] = (ReplayRecord(key=key, request_hash=request_hash), owner, now + lease_seconds)
            return "claimed", owner, None

    def finish(self, key: str, owner: str, status: int, sealed: str) -> bool:
        with self.w.lock:
            held = self.w.replays.get(key)
            if held is None or held[1] != owner:
                return False
            self.w.replays[key] = (replace(held[0], state="done", status=int(status), sealed=sealed), owner, 0.0)
            return True

    def release(self, key: str, owner: str) -> None:
        with self.w.lock:
            held = self.w.replays.get(key)
            if held is not None and held[1] == owner and held[0].state == "running":
                del self.w.replays[key]

    def get(self, key: str):
        with self.w.lock:
            held = self.w.replays.get(key)
            return held[0] if held else None


# ---------------------------------------------------------------------------------------------
# partner invoices (twin of store/invoices.py)

class Invoices:
    """In-memory twin of ``store.invoices.Invoices``: one invoice per month, numbers without gaps."""

    def __init__(self, world: World):
        self.w = world
        if not hasattr(world, "invoices"):
            world.invoices = {}  # (tenant, period) -> InvoiceRecord
            world.invoice_counters = {}  # tenant -> last number

    def last_number(self, tenant_id: str) -> int:
        return self.w.invoice_counters.get(tenant_id, 0)

    def issue(self, invoice, *, after: int):
        if invoice.number != after + 1:
            raise ValueError("an invoice takes the number after the last one")
        with self.w.lock:
            if (invoice.tenant_id, invoice.period) in self.w.invoices:
                raise AlreadyExists(f"{invoice.tenant_id} has an invoice for {invoice.period}")
            if self.w.invoice_counters.get(invoice.tenant_id, 0) != after:
                raise ConditionFailed(f"invoice number {invoice.number} of {invoice.tenant_id} was taken")
            self.w.invoices[(invoice.tenant_id, invoice.period)] = invoice
            self.w.invoice_counters[invoice.tenant_id] = invoice.number
            return invoice

    def for_period(self, tenant_id: str, period: str):
        return self.w.invoices.get((tenant_id, period))

    def list(self, tenant_id: str) -> list:
        return sorted((i for (t, _), i in self.w.invoices.items() if t == tenant_id), key=lambda r: -r.number)

    def mark_paid(self, tenant_id: str, period: str, paid_at: str, reference: str):
        import dataclasses
        with self.w.lock:
            found = self.w.invoices.get((tenant_id, period))
            if found is None or found.paid_at is not None:
                raise ConditionFailed(f"invoice {period} of {tenant_id} is paid already or does not exist")
            found = dataclasses.replace(found, paid_at=paid_at, paid_reference=reference)
            self.w.invoices[(tenant_id, period)] = found
            return found


# ---- attribution (issue 17.7): its own state on the shared world ------------------------------

class Attribution:
    NONE = "-"  # as store.attribution.NONE (not imported: the twins import no repository)

    def __init__(self, world: World):
        self.w = world
        with world.lock:
            if not hasattr(world, "attribution"):
                world.attribution = {"events": set(), "counts": {}, "links": {}}
        self.s = world.attribution

    def count(self, tenant_id: str, kind: str, event_id: str, *, affiliate: str | None = None,
              campaign: str | None = None, at: str) -> bool:
        from chalicelib.store.records import ATTRIBUTION_KINDS, AttributionCounts
        NONE = self.NONE
        if kind not in ATTRIBUTION_KINDS:
            raise ValueError(f"unknown attribution event {kind}")
        with self.w.lock:
            if (tenant_id, event_id) in self.s["events"]:
                return False
            self.s["events"].add((tenant_id, event_id))
            key = (tenant_id, affiliate or NONE, campaign or NONE)
            row = self.s["counts"].get(key) or AttributionCounts(tenant_id, key[1], key[2])
            self.s["counts"][key] = replace(row, **{kind: getattr(row, kind) + 1})
            return True

    def take_beacon(self, tenant_id: str, window: str, limit: int, ttl=None) -> bool:
        with self.w.lock:
            windows = self.s.setdefault("windows", {})
            if windows.get((tenant_id, window), 0) >= limit:
                return False
            windows[(tenant_id, window)] = windows.get((tenant_id, window), 0) + 1
            return True

    def counts(self, tenant_id: str):
        return sorted((c for (t, _, _), c in self.s["counts"].items() if t == tenant_id),
                      key=lambda c: (c.affiliate, c.campaign))

    def link_booking(self, link) -> None:
        with self.w.lock:
            self.s["links"].setdefault(link.booking_id, link)

    def booking_link(self, booking_id: str):
        return self.s["links"].get(booking_id)


# ---- tenants, API keys and rate buckets (issue 18; twins of store/tenants.py, store/api_keys.py) --

class Tenants:
    EDITABLE = ("name", "locale", "currency", "branding", "settings")  # as store.tenants.EDITABLE

    def __init__(self, world: World):
        self.w = world
        with world.lock:
            if not hasattr(world, "tenants"):
                world.tenants = {}  # tenant id -> TenantRecord
        self.rows = world.tenants

    def get(self, tenant_id: str, consistent: bool = False):
        return self.rows.get(tenant_id)

    def add(self, tenant) -> None:
        with self.w.lock:
            if tenant.tenant_id in self.rows:
                raise AlreadyExists(f"tenant {tenant.tenant_id} exists")
            self.rows[tenant.tenant_id] = replace(tenant, api_keys_active=None)

    def update(self, tenant_id: str, changes: dict):
        if set(changes) - set(self.EDITABLE):
            raise ValueError(f"a tenant's {sorted(set(changes) - set(self.EDITABLE))} are not changed this way")
        with self.w.lock:
            found = self.rows.get(tenant_id)
            if found is None:
                raise ConditionFailed(f"tenant {tenant_id} does not exist")
            self.rows[tenant_id] = found = replace(found, **changes)
            return found

    def all(self):
        return iter(list(self.rows.values()))

    def take_key_slot(self, tenant_id: str, most: int) -> None:
        with self.w.lock:
            found = self.rows.get(tenant_id)
            if found is None or found.api_keys_active is None or not found.api_keys_active < most:
                raise ConditionFailed(f"tenant {tenant_id} has no key count or {most} keys already")
            self.rows[tenant_id] = replace(found, api_keys_active=found.api_keys_active + 1)

    def give_key_slot(self, tenant_id: str) -> bool:
        with self.w.lock:
            found = self.rows.get(tenant_id)
            if found is None or not (found.api_keys_active or 0) > 0:
                return False
            self.rows[tenant_id] = replace(found, api_keys_active=found.api_keys_active - 1)
            return True

    def start_key_count(self, tenant_id: str, active: int) -> None:
        with self.w.lock:
            found = self.rows.get(tenant_id)
            if found is None or found.api_keys_active is not None:
                raise ConditionFailed(f"tenant {tenant_id} counts its keys already")
            self.rows[tenant_id] = replace(found, api_keys_active=active)


class ApiKeys:
    def __init__(self, world: World):
        self.w = world
        with world.lock:
            if not hasattr(world, "api_keys"):
                world.api_keys = {}  # key hash -> ApiKeyRecord
        self.rows = world.api_keys

    def get(self, key_hash: str, consistent: bool = False):
        return self.rows.get(key_hash)

    def of_tenant(self, tenant_id: str) -> list:
        return sorted((k for k in self.rows.values() if k.tenant_id == tenant_id),
                      key=lambda k: k.created_at, reverse=True)

    def by_id(self, tenant_id: str, key_id: str):
        return next((k for k in self.of_tenant(tenant_id) if k.key_id == key_id), None)

    def add(self, key) -> None:
        with self.w.lock:
            if key.key_hash in self.rows:
                raise AlreadyExists(f"API key {key.key_id} exists")
            self.rows[key.key_hash] = key

    def _revoke(self, key, at: str):
        found = self.rows.get(key.key_hash)
        if found is None or found.tenant_id != key.tenant_id or found.status != "active":
            raise ConditionFailed(f"API key {key.key_id} is not active")
        return replace(found, status="revoked", revoked_at=at)

    def revoke(self, key, at: str):
        with self.w.lock:
            self.rows[key.key_hash] = revoked = self._revoke(key, at)
            return revoked

    def replace(self, new, old, at: str) -> None:
        with self.w.lock:  # all or nothing, as the transaction
            revoked = self._revoke(old, at)
            if new.key_hash in self.rows:
                raise ConditionFailed(f"API key {new.key_id} exists")
            self.rows[old.key_hash] = revoked
            self.rows[new.key_hash] = new


class RateBuckets:
    def __init__(self, world: World):
        self.w = world
        with world.lock:
            if not hasattr(world, "rate_buckets"):
                world.rate_buckets = {}  # bucket id -> RateBucketRecord
        self.rows = world.rate_buckets

    def get(self, bucket_id: str):
        return self.rows.get(bucket_id)

    def start(self, bucket) -> None:
        with self.w.lock:
            if bucket.bucket_id in self.rows:
                raise AlreadyExists(f"bucket {bucket.bucket_id} exists")
            self.rows[bucket.bucket_id] = bucket

    def spend(self, read, tokens: float, updated_at: float) -> None:
        with self.w.lock:
            found = self.rows.get(read.bucket_id)
            if found is None or (found.tokens, found.updated_at) != (read.tokens, read.updated_at):
                raise ConditionFailed(f"bucket {read.bucket_id} changed since it was read")
            self.rows[read.bucket_id] = replace(found, tokens=tokens, updated_at=updated_at)


class HelperPools:
    """Twin of ``store.helper_pools.HelperPools``."""

    def __init__(self, world: World):
        self.w = world
        with world.lock:
            if not hasattr(world, "pool_helpers"):
                world.pool_helpers = {}  # helper id -> PoolHelperRecord
        self.rows = world.pool_helpers

    def with_status(self, tenant_id: str, status: str = "active") -> list:
        return sorted((replace(h, name=None) for h in self.rows.values()
                       if h.tenant_id == tenant_id and h.status == status), key=lambda h: h.helper_id)

    def get(self, helper_id: str):
        return self.rows.get(helper_id)

    def many(self, helper_ids: list[str]) -> dict:
        return {i: self.rows[i] for i in helper_ids if i in self.rows}

    def add(self, helper, *, email: str, email_key: str, created_at: str) -> None:
        with self.w.lock:
            if helper.helper_id in self.rows:
                raise AlreadyExists(f"helper {helper.helper_id} exists")
            self.rows[helper.helper_id] = helper


class PartnerBookings:
    """Twin of ``store.partner_bookings.PartnerBookings``, over the whole bookings the bookings
    twin keeps; its keys have DynamoDB's shape, so a cursor reads the same on both."""

    def __init__(self, world: World):
        self.w = world
        self.records = _table(world, "booking_records")

    def page(self, tenant_id: str, *, external_ref, limit: int, after):
        from chalicelib.store.conditions import BadCursor
        hash_name, hash_value = (("partner_ref", f"{tenant_id}#{external_ref}") if external_ref
                                 else ("tenant_id", tenant_id))
        start = (after or {}).get(hash_name)
        if after is not None and (not isinstance(start, dict) or start.get("S") != hash_value):
            raise BadCursor("the cursor is not valid for this listing")
        rows = sorted((b for b in self.records.values() if getattr(b, hash_name) == hash_value),
                      key=lambda b: (b.created_at, b.booking_id), reverse=True)
        if after is not None:
            try:
                mark = (after["created_at"]["S"], after["booking_id"]["S"])
            except (KeyError, TypeError):
                raise BadCursor("the cursor is not valid") from None
            rows = [b for b in rows if (b.created_at, b.booking_id) < mark]
        page = rows[:limit]
        last = page[-1] if len(rows) > limit else None
        key = None if last is None else {hash_name: {"S": hash_value}, "created_at": {"S": last.created_at},
                                         "booking_id": {"S": last.booking_id}}
        return page, key

    def in_month(self, tenant_id: str, period: str) -> list:
        return [b for b in self.records.values() if b.tenant_id == tenant_id and b.created_at.startswith(period)]


# ---- erasure (issue 18; twin of store/erasure.py): rewrites the other twins' rows --------------

class Erasure:
    """Twin of ``store.erasure.Erasure`` over the shared world: each method rewrites the rows the
    other twins keep, as the DynamoDB one rewrites their tables. Persons live in ``persons``
    (kind, id) -> PersonRecord (a customer the people twin knows reads from there too)."""

    _PERSON_ONLY = ("email_key", "tenant_status")  # attributes of the table, not of the record

    def __init__(self, world: World):
        self.w = world
        self.persons = _table(world, "persons")
        self.idempotency_results = _table(world, "idempotency_results")  # key -> stored JSON answer

    def _change(self, record, changes: dict):
        return replace(record, **_plain_changes(type(record), changes))

    def person(self, kind: str, person_id: str):
        from chalicelib.store.records import PersonRecord
        found = self.persons.get((kind, person_id))
        if found is None and kind == "customer" and person_id in self.w.customers:
            c = self.w.customers[person_id]
            found = PersonRecord(kind=kind, person_id=person_id, tenant_id=c.tenant_id, email=c.email, name=c.name,
                                 phone=c.phone, address=deepcopy(c.address), stripe_customer_id=c.stripe_customer_id,
                                 default_payment_method=c.default_payment_method)
        if found is None and kind == "helper" and person_id in self.w.helpers:
            h = self.w.helpers[person_id]
            found = PersonRecord(kind=kind, person_id=person_id, tenant_id=h.tenant_id, first_name=h.first_name,
                                 name=h.first_name, photo_url=h.photo_url, bio=h.bio, city=h.city, status=h.status,
                                 email=next((e for (t, e), i in self.w.helper_emails.items() if i == person_id), None))
        return found

    def rewrite_person(self, person, changes: dict) -> int:
        if not changes:
            return 0
        with self.w.lock:
            current = self.person(person.kind, person.person_id)
            self.persons[(person.kind, person.person_id)] = self._change(
                current, {k: v for k, v in changes.items() if k not in self._PERSON_ONLY})
            twin = self.w.customers if person.kind == "customer" else self.w.helpers
            if person.person_id in twin:  # the people or helpers twin's row changes with it
                row = twin[person.person_id]
                twin[person.person_id] = self._change(
                    row, {k: v for k, v in changes.items() if k in row.__dataclass_fields__})
        return 1

    def _bookings(self) -> dict:
        return _table(self.w, "booking_records")

    def bookings_of(self, kind: str, person_id: str) -> list:
        field = "customer_id" if kind == "customer" else "helper_id"
        return sorted((b for b in self._bookings().values() if getattr(b, field) == person_id),
                      key=lambda b: b.created_at)

    def rewrite_bookings(self, bookings, rewrite) -> int:
        n, rows = 0, self._bookings()
        for b in bookings:
            changes = rewrite(b)
            if not changes:
                continue
            with self.w.lock:
                current = rows.get(b.booking_id)
                if current is None or current.state != b.state:
                    raise ConditionFailed(f"booking {b.booking_id} changed while it was being erased")
                rows[b.booking_id] = self._change(current, changes)
            n += 1
        return n

    def _rewrite(self, rows: dict, keys, rewrite) -> int:
        n = 0
        for key in keys:
            with self.w.lock:
                current = rows.get(key)
                changes = rewrite(current) if current is not None else None
                if changes:
                    rows[key] = self._change(current, changes)
                    n += 1
        return n

    def rewrite_webhook_payloads(self, tenant_id: str, rewrite) -> int:
        keys = [k for k, d in list(self.w.deliveries.items()) if d.tenant_id == tenant_id]
        return self._rewrite(self.w.deliveries, keys,
                             lambda d: {"payload": new} if (new := rewrite(d.payload)) != d.payload else None)

    def rewrite_idempotency_results(self, rewrite) -> int:
        n = 0
        with self.w.lock:
            for key, text in list(self.idempotency_results.items()):
                if (new := rewrite(text)) != text:
                    self.idempotency_results[key] = new
                    n += 1
        return n

    def rewrite_failures(self, rewrite) -> int:
        return self._rewrite(self.w.failures, list(self.w.failures), rewrite)

    def rewrite_quality_cases(self, tenant_id: str, rewrite) -> int:
        return self._rewrite(self.w.cases, [k for k, c in list(self.w.cases.items()) if c.tenant_id == tenant_id],
                             rewrite)

    def rewrite_notification_log(self, scopes, rewrite) -> int:
        scopes = set(scopes)
        return self._rewrite(self.w.notification_log, [k for k in list(self.w.notification_log) if k[0] in scopes],
                             rewrite)

    def rewrite_reviews(self, *, booking_ids=None, helper_id=None, rewrite) -> int:
        keys = list(booking_ids or []) if helper_id is None else [
            k for k, r in list(self.w.reviews.items()) if r.helper_id == helper_id]
        return self._rewrite(self.w.reviews, keys, rewrite)

    def rewrite_customer_ratings(self, booking_ids, rewrite) -> int:
        return self._rewrite(self.w.customer_ratings, list(booking_ids), rewrite)

    def rewrite_payments(self, booking_ids, rewrite) -> int:
        rows = _table(self.w, "payments")

        def with_version(p):
            changes = rewrite(p)
            return {**changes, "version": p.version + 1} if changes else None
        return self._rewrite(rows, list(booking_ids), with_version)

    def clear_offer_summaries(self, booking_ids) -> int:
        ids = set(booking_ids)
        return self._rewrite(self.w.offer_records, [k for k in list(self.w.offer_records) if k[0] in ids],
                             lambda o: {"summary": {}} if o.summary else None)

    def delete_push_subscriptions(self, owner: str) -> int:
        with self.w.lock:
            keys = [k for k in self.w.push_subscriptions if k[0] == owner]
            for k in keys:
                del self.w.push_subscriptions[k]
            return len(keys)

    def delete_notification_prefs(self, owner: str) -> int:
        with self.w.lock:
            return 1 if self.w.notification_prefs.pop(owner, None) is not None else 0

    def delete_signin_records(self, phone_key: str, code_key: str | None) -> int:
        with self.w.lock:
            n = 1 if self.w.phones.pop(phone_key, None) is not None else 0
            if code_key:
                n += 1 if self.w.codes.pop(code_key, None) is not None else 0
            return n

# ---- a helper's own profile (twin of store/helper_profiles.py, issue 18) -------------------------

class HelperProfiles:
    def __init__(self, world: World):
        self.w = world
        self.rows = _table(world, "helper_profiles")

    def get(self, helper_id: str, consistent: bool = False):
        return self.rows.get(helper_id)

    def update(self, helper, changes: dict):
        from chalicelib.store.records import PROFILE_EDITABLE, HelperProfileRecord

        unknown = set(changes) - set(PROFILE_EDITABLE)
        if unknown:
            raise ValueError(f"not a field a helper edits: {sorted(unknown)}")
        with self.w.lock:
            h = self.rows.get(helper.helper_id)
            if h is None or h.status != helper.status:
                raise ConditionFailed(f"helper {helper.helper_id} is not {helper.status} any more")
            new = replace(h, **_plain_changes(HelperProfileRecord, {
                k: (HelperProfileRecord.__dataclass_fields__[k].default if v is None else v)
                for k, v in changes.items()}))
            self.rows[helper.helper_id] = new
            return new
