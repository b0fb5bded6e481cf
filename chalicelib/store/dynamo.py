"""The DynamoDB implementation of the repositories (through the pynamodb models).

This is the only place the reviews and quality services' data meets pynamodb: every write is
narrow and conditional, every refused condition comes out as :class:`ConditionFailed` (or
:class:`AlreadyExists` for a create), read by the one reader in ``store.conditions``.
"""
from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any, Iterable, Iterator

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError

from chalicelib.store.conditions import AlreadyExists, ConditionFailed, cancellation_codes, is_condition_failure
from chalicelib.store.records import (ALL_COUNTERS, BookingFacts, CustomerRatingRecord, FailureRecord,
                                      GeoHintRecord, HelperRecord, OfferRef, QualityCaseRecord, ReviewRecord,
                                      WebhookDeliveryRecord, WebhookEndpointRecord, SignInCodeRecord,
                                      PhoneVerificationRecord, StaffRecord, CustomerRecord)


def _plain(value: Any) -> Any:
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _record(cls, item) -> Any:
    """A record of ``cls`` from a pynamodb item: the record's fields, read by name."""
    values = {}
    for f in dataclasses.fields(cls):
        if not hasattr(item, f.name):
            continue
        value = _plain(getattr(item, f.name))
        if value is None and f.default is not dataclasses.MISSING:
            value = f.default
        elif isinstance(value, list):
            value = tuple(value)
        values[f.name] = value
    return cls(**values)


def _fields(record) -> dict:
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}


def _create(item, key_attr) -> None:
    try:
        item.save(condition=key_attr.does_not_exist())
    except PutError as exc:
        if is_condition_failure(exc):
            raise AlreadyExists(str(exc)) from None
        raise


class Reviews:
    def _model(self):
        from chalicelib.models.reviews import Review
        return Review

    def add(self, review: ReviewRecord) -> None:
        Review = self._model()
        _create(Review(**_fields(review)), Review.booking_id)

    def get(self, booking_id: str) -> ReviewRecord | None:
        Review = self._model()
        try:
            return _record(ReviewRecord, Review.get(booking_id, consistent_read=True))
        except Review.DoesNotExist:
            return None

    def update(self, booking_id: str, *, expected_version: int, changes: dict,
               editable_at: str | None = None) -> ReviewRecord:
        """Set ``changes`` (a value of None removes the attribute) if the review is still at
        ``expected_version`` (and, with ``editable_at``, still editable then)."""
        Review = self._model()
        item = Review(booking_id)
        actions = [getattr(Review, name).remove() if value is None else getattr(Review, name).set(value)
                   for name, value in changes.items()]
        condition = Review.version == expected_version
        if editable_at is not None:
            condition &= Review.editable_until >= editable_at
        try:
            item.update(actions=actions, condition=condition)
        except UpdateError as exc:
            if is_condition_failure(exc):
                raise ConditionFailed(f"review {booking_id} is not at version {expected_version}") from None
            raise
        return _record(ReviewRecord, item)

    def by_helper(self, helper_id: str, limit: int = 50) -> Iterator[ReviewRecord]:
        """The helper's reviews, newest first."""
        Review = self._model()
        for item in Review.by_helper.query(helper_id, scan_index_forward=False, limit=limit):
            yield _record(ReviewRecord, item)


class CustomerRatings:
    def add(self, rating: CustomerRatingRecord) -> None:
        from chalicelib.models.customer_ratings import CustomerRating
        _create(CustomerRating(**_fields(rating)), CustomerRating.booking_id)

    def get(self, booking_id: str) -> CustomerRatingRecord | None:
        from chalicelib.models.customer_ratings import CustomerRating
        try:
            return _record(CustomerRatingRecord, CustomerRating.get(booking_id, consistent_read=True))
        except CustomerRating.DoesNotExist:
            return None


class RatingCounters:
    """Counters per (scope, bucket), only ever moved by ``ADD`` in a guarded transaction."""

    @staticmethod
    def _attr(counter: str):
        from chalicelib.models.rating_aggregates import RatingAggregate
        return getattr(RatingAggregate, "reviews" if counter == "count" else counter)

    def add(self, guard_key: str, change: dict[str, int], targets: Iterable[tuple[str, str, str | None]], *,
            helper_id: str | None = None, guard_ttl: timedelta = timedelta(days=30)) -> bool:
        """One transaction: the guard ``guard_key`` (must not exist), an ``ADD`` of ``change`` on
        every (scope, bucket, tenant) target, and the helper's ``rating_count``/``rating_sum``
        (from ``count``/``star_sum``). False, and nothing moved, if the guard existed."""
        from pynamodb.transactions import TransactWrite

        from chalicelib.aws import tx_connection
        from chalicelib.models.helpers import Helper
        from chalicelib.models.idempotency import IdempotencyRecord
        from chalicelib.models.rating_aggregates import RatingAggregate

        try:
            with TransactWrite(connection=tx_connection()) as tx:
                tx.save(IdempotencyRecord(key=guard_key, ttl=guard_ttl),
                        condition=IdempotencyRecord.key.does_not_exist())
                for scope, bucket, tenant in targets:
                    actions = [self._attr(k).add(v) for k, v in change.items()]
                    if tenant:
                        actions.append(RatingAggregate.tenant_id.set(tenant))
                    tx.update(RatingAggregate(scope, bucket), actions=actions)
                helper_actions = []
                if helper_id and change.get("count"):
                    helper_actions.append(Helper.rating_count.add(change["count"]))
                if helper_id and change.get("star_sum"):
                    helper_actions.append(Helper.rating_sum.add(change["star_sum"]))
                if helper_actions:
                    tx.update(Helper(helper_id), actions=helper_actions, condition=Helper.helper_id.exists())
        except TransactWriteError as exc:
            codes = cancellation_codes(exc)
            if codes and codes[0] == "ConditionalCheckFailed":
                return False  # the guard: this change was counted before
            if "ConditionalCheckFailed" in codes:
                raise ConditionFailed(f"helper {helper_id} does not exist") from None
            raise
        return True

    @staticmethod
    def _totals(item) -> dict:
        return {k: int(getattr(item, "reviews" if k == "count" else k) or 0) for k in ALL_COUNTERS}

    def totals(self, scope: str, bucket: str, consistent: bool = False) -> dict:
        from chalicelib.models.rating_aggregates import RatingAggregate
        try:
            return self._totals(RatingAggregate.get(scope, bucket, consistent_read=consistent))
        except RatingAggregate.DoesNotExist:
            return dict.fromkeys(ALL_COUNTERS, 0)

    def between(self, scope: str, first_bucket: str, last_bucket: str) -> list[dict]:
        """Totals of every bucket of ``scope`` from ``first_bucket`` to ``last_bucket`` (inclusive)."""
        from chalicelib.models.rating_aggregates import RatingAggregate
        rows = RatingAggregate.query(scope, RatingAggregate.bucket.between(first_bucket, last_bucket))
        return [self._totals(row) for row in rows]


class QualityCases:
    @staticmethod
    def _model():
        from chalicelib.models.quality import QualityCase
        return QualityCase

    def _item(self, case: QualityCaseRecord):
        return self._model()(**_fields(case), tenant_status=f"{case.tenant_id}#{case.status}")

    def open(self, case: QualityCaseRecord, reopen_done: bool = False) -> bool:
        """Create ``case`` unless it exists (or, with ``reopen_done``, exists but is done).
        True if it was written."""
        QualityCase = self._model()
        condition = QualityCase.case_id.does_not_exist()
        if reopen_done:
            condition |= QualityCase.status == "done"
        try:
            self._item(case).save(condition=condition)
        except PutError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def log(self, case: QualityCaseRecord) -> None:
        """Write a case that is unique by construction (an action with its own time in the id)."""
        self._item(case).save()

    def get(self, case_id: str) -> QualityCaseRecord | None:
        QualityCase = self._model()
        try:
            return _record(QualityCaseRecord, QualityCase.get(case_id, consistent_read=True))
        except QualityCase.DoesNotExist:
            return None

    def close(self, case: QualityCaseRecord, *, outcome: str, notes: str, resolved_by: str,
              at: str) -> QualityCaseRecord:
        """Mark an open case done; ConditionFailed if it is not open any more."""
        QualityCase = self._model()
        item = QualityCase(case.case_id)
        try:
            item.update(actions=[QualityCase.status.set("done"),
                                 QualityCase.tenant_status.set(f"{case.tenant_id}#done"),
                                 QualityCase.outcome.set(outcome), QualityCase.notes.set(notes),
                                 QualityCase.resolved_by.set(resolved_by), QualityCase.resolved_at.set(at)],
                        condition=QualityCase.status == "open")
        except UpdateError as exc:
            if is_condition_failure(exc):
                raise ConditionFailed(f"case {case.case_id} is not open") from None
            raise
        return _record(QualityCaseRecord, item)

    def listed(self, tenant_id: str, status: str, limit: int) -> list[QualityCaseRecord]:
        """The tenant's cases in ``status``, newest first (at most ``limit``)."""
        QualityCase = self._model()
        rows = QualityCase.by_tenant_status.query(f"{tenant_id}#{status}", scan_index_forward=False, limit=limit)
        return [_record(QualityCaseRecord, row) for row in rows]


class Helpers:
    def get(self, helper_id: str, consistent: bool = False) -> HelperRecord | None:
        from chalicelib.models.helpers import Helper
        try:
            return _record(HelperRecord, Helper.get(helper_id, consistent_read=consistent))
        except Helper.DoesNotExist:
            return None

    def set_status(self, helper: HelperRecord, status: str) -> HelperRecord:
        """Move the helper to ``status`` (and its matching index key with it) if it is still in the
        status it was read with; ConditionFailed otherwise."""
        from chalicelib.models.helpers import Helper
        item = Helper(helper.helper_id)
        try:
            item.update(actions=[Helper.status.set(status), Helper.tenant_status.set(f"{helper.tenant_id}#{status}")],
                        condition=Helper.status == helper.status)
        except UpdateError as exc:
            if is_condition_failure(exc):
                raise ConditionFailed(f"helper {helper.helper_id} is not {helper.status} any more") from None
            raise
        return _record(HelperRecord, item)


class Bookings:
    """Read-only facts of a booking (written only through ``services.transitions``)."""

    def facts(self, booking_id: str) -> BookingFacts | None:
        from chalicelib.models.bookings import Booking
        try:
            booking = Booking.get(booking_id, consistent_read=True)
        except Booking.DoesNotExist:
            return None
        completed = None
        for entry in reversed(booking.history or []):
            e = entry.as_dict() if hasattr(entry, "as_dict") else entry
            if e.get("transition") == "complete":
                completed = e.get("at")
                break
        contact = booking.contact.as_dict() if booking.contact else {}
        return BookingFacts(booking_id=booking.booking_id, tenant_id=booking.tenant_id,
                            customer_id=booking.customer_id, state=booking.state, updated_at=booking.updated_at,
                            helper_id=booking.helper_id, language=booking.language or "de",
                            contact_name=contact.get("name"), completed_at=completed,
                            partner_id=booking.partner_id, external_ref=booking.external_ref)


class Offers:
    def open_for_helper(self, helper_id: str) -> list[OfferRef]:
        from chalicelib.models.offers import Offer
        return [OfferRef(booking_id=o.booking_id, helper_id=helper_id, state=o.state)
                for o in Offer.by_helper.query(helper_id) if o.state == "open"]


class Failures:
    """The failure store (``models.failures``)."""

    @staticmethod
    def _model():
        from chalicelib.models.failures import FailedUnit
        return FailedUnit

    def add(self, failure: FailureRecord) -> None:
        FailedUnit = self._model()
        _create(FailedUnit(**_fields(failure)), FailedUnit.failure_id)

    def failed_again(self, failure_id: str, *, error: str, at: str, attempts: int, payload: str) -> None:
        """A unit that is in the store failed again (after a replay): open again, newest error,
        attempts added. ConditionFailed if it is not in the store."""
        FailedUnit = self._model()
        try:
            FailedUnit(failure_id=failure_id).update(actions=[
                FailedUnit.status.set("open"), FailedUnit.error.set(error), FailedUnit.last_failed_at.set(at),
                FailedUnit.attempts.add(attempts), FailedUnit.payload.set(payload), FailedUnit.version.add(1)],
                condition=FailedUnit.failure_id.exists())
        except UpdateError as exc:
            if is_condition_failure(exc):
                raise ConditionFailed(f"failure {failure_id} is not in the store") from None
            raise

    def get(self, failure_id: str) -> FailureRecord | None:
        FailedUnit = self._model()
        try:
            return _record(FailureRecord, FailedUnit.get(failure_id, consistent_read=True))
        except FailedUnit.DoesNotExist:
            return None

    def listed(self, status: str, limit: int) -> list[FailureRecord]:
        """Failures in ``status``, the most recently failed first."""
        FailedUnit = self._model()
        return [_record(FailureRecord, row)
                for row in FailedUnit.by_status.query(status, scan_index_forward=False, limit=limit)]

    def mark_replayed(self, failure: FailureRecord, *, by: str, at: str) -> FailureRecord:
        """Open -> replayed, if nobody changed it since it was read; ConditionFailed otherwise."""
        FailedUnit = self._model()
        item = FailedUnit(failure_id=failure.failure_id)
        try:
            item.update(actions=[FailedUnit.status.set("replayed"), FailedUnit.replays.add(1),
                                 FailedUnit.replayed_at.set(at), FailedUnit.replayed_by.set(by),
                                 FailedUnit.version.add(1)],
                        condition=(FailedUnit.version == failure.version) & (FailedUnit.status == "open"))
        except UpdateError as exc:
            if is_condition_failure(exc):
                raise ConditionFailed(f"failure {failure.failure_id} changed since it was read") from None
            raise
        return _record(FailureRecord, item)


class Guards:
    """First-writer-wins markers (``models.idempotency``): a processed event, a counted change."""

    def mark_once(self, key: str, ttl: timedelta) -> bool:
        from chalicelib.models.idempotency import IdempotencyRecord
        try:
            _create(IdempotencyRecord(key=key, ttl=ttl), IdempotencyRecord.key)
            return True
        except AlreadyExists:
            return False

    def seen(self, key: str) -> bool:
        from chalicelib.models.idempotency import IdempotencyRecord
        try:
            IdempotencyRecord.get(key, consistent_read=True)
            return True
        except IdempotencyRecord.DoesNotExist:
            return False


class GeoHints:
    """Density hints every container reads (``models.geo_hints``); they expire after ``ttl``."""

    def get(self, key: str) -> GeoHintRecord | None:
        from chalicelib.models.geo_hints import GeoHint
        try:
            row = GeoHint.get(key)
        except GeoHint.DoesNotExist:
            return None
        return GeoHintRecord(key=key, density=float(row.density), updated_at=float(row.updated_at),
                             read_density=float(row.read_density) if row.read_density is not None else None)

    def put(self, hint: GeoHintRecord, ttl: timedelta) -> None:
        from chalicelib.models.geo_hints import GeoHint
        GeoHint(hint.key, density=hint.density, read_density=hint.read_density, updated_at=hint.updated_at,
                ttl=ttl).save()


def _endpoint(item) -> WebhookEndpointRecord:
    events = item.events.as_dict() if hasattr(item.events, "as_dict") else dict(item.events or {})
    return WebhookEndpointRecord(tenant_id=item.tenant_id, endpoint_id=item.endpoint_id, url=item.url,
                                 secret=item.secret, created_at=item.created_at,
                                 events=tuple(sorted(k for k, v in events.items() if v)),
                                 description=item.description, status=item.status or "enabled")


class Webhooks:
    """Partner webhook endpoints and their delivery log (``models.partners``)."""

    @staticmethod
    def _models():
        from chalicelib.models.partners import WebhookDelivery, WebhookEndpoint
        return WebhookEndpoint, WebhookDelivery

    # endpoints
    def add_endpoint(self, ep: WebhookEndpointRecord) -> None:
        WebhookEndpoint, _ = self._models()
        item = WebhookEndpoint(tenant_id=ep.tenant_id, endpoint_id=ep.endpoint_id, url=ep.url, secret=ep.secret,
                               events={e: True for e in ep.events}, description=ep.description, status=ep.status,
                               created_at=ep.created_at)
        _create(item, WebhookEndpoint.endpoint_id)

    def endpoints(self, tenant_id: str) -> list[WebhookEndpointRecord]:
        WebhookEndpoint, _ = self._models()
        return [_endpoint(item) for item in WebhookEndpoint.query(tenant_id, consistent_read=True)]

    def endpoint(self, tenant_id: str, endpoint_id: str) -> WebhookEndpointRecord | None:
        WebhookEndpoint, _ = self._models()
        try:
            return _endpoint(WebhookEndpoint.get(tenant_id, endpoint_id, consistent_read=True))
        except WebhookEndpoint.DoesNotExist:
            return None

    def delete_endpoint(self, tenant_id: str, endpoint_id: str) -> None:
        WebhookEndpoint, _ = self._models()
        WebhookEndpoint(tenant_id, endpoint_id).delete()

    # deliveries
    def add_delivery(self, d: WebhookDeliveryRecord) -> None:
        _, WebhookDelivery = self._models()
        _create(WebhookDelivery(**_fields(d)), WebhookDelivery.message_id)

    def delivery(self, endpoint_id: str, message_id: str) -> WebhookDeliveryRecord | None:
        _, WebhookDelivery = self._models()
        try:
            return _record(WebhookDeliveryRecord, WebhookDelivery.get(endpoint_id, message_id, consistent_read=True))
        except WebhookDelivery.DoesNotExist:
            return None

    def deliveries(self, endpoint_id: str, limit: int) -> list[WebhookDeliveryRecord]:
        _, WebhookDelivery = self._models()
        return [_record(WebhookDeliveryRecord, row)
                for row in WebhookDelivery.query(endpoint_id, scan_index_forward=False, limit=limit)]

    def reset_for_redelivery(self, endpoint_id: str, message_id: str) -> WebhookDeliveryRecord:
        """Pending again, with a fresh retry window (``first_attempt_at`` removed)."""
        _, WebhookDelivery = self._models()
        item = WebhookDelivery(endpoint_id, message_id)
        try:
            item.update(actions=[WebhookDelivery.status.set("pending"), WebhookDelivery.first_attempt_at.remove()],
                        condition=WebhookDelivery.message_id.exists())
        except UpdateError as exc:
            if is_condition_failure(exc):
                raise ConditionFailed(f"delivery {message_id} is not in the log") from None
            raise
        return _record(WebhookDeliveryRecord, item)

    def claim_attempt(self, endpoint_id: str, message_id: str, *, final_states: tuple[str, ...] = ()) -> int | None:
        """Count one attempt atomically and return its number; None if the delivery is gone or in
        one of ``final_states``."""
        _, WebhookDelivery = self._models()
        item = WebhookDelivery(endpoint_id, message_id)
        condition = WebhookDelivery.message_id.exists()
        if final_states:
            condition &= ~WebhookDelivery.status.is_in(*final_states)
        try:
            item.update(actions=[WebhookDelivery.attempts.add(1)], condition=condition)
        except UpdateError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return int(item.attempts)

    def record_attempt(self, endpoint_id: str, message_id: str, attempt: int, entry: dict, *,
                       status_code: int | None, error: str | None, first_attempt_at: float | None = None,
                       new_status: str | None = None, delivered_at: str | None = None,
                       unless_status: tuple[str, ...] = ()) -> bool:
        """Log attempt ``attempt`` and its outcome. The outcome (status, codes, times) is written
        only if the delivery is not in one of ``unless_status``; if a concurrent outcome won, only
        the log line is kept and False is returned."""
        _, WebhookDelivery = self._models()
        log_line = WebhookDelivery.attempt_log[str(attempt)].set(entry)
        actions = [log_line,
                   WebhookDelivery.last_status_code.set(status_code) if status_code is not None
                   else WebhookDelivery.last_status_code.remove(),
                   WebhookDelivery.last_error.set(error) if error else WebhookDelivery.last_error.remove()]
        if first_attempt_at is not None:
            actions.append(WebhookDelivery.first_attempt_at.set(first_attempt_at))
        if new_status is not None:
            actions.append(WebhookDelivery.status.set(new_status))
        if delivered_at is not None:
            actions.append(WebhookDelivery.delivered_at.set(delivered_at))
        condition = WebhookDelivery.message_id.exists()
        if unless_status:
            condition &= ~WebhookDelivery.status.is_in(*unless_status)
        try:
            WebhookDelivery(endpoint_id, message_id).update(actions=actions, condition=condition)
            return True
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise
        try:  # the outcome lost, but the attempt's log line is kept
            WebhookDelivery(endpoint_id, message_id).update(actions=[log_line],
                                                            condition=WebhookDelivery.message_id.exists())
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise
        return False


class SignIn:
    """Sign-in codes, per-client-address counters and phone verifications (one table,
    ``signin-codes``). Every update of a record that must exist says so: no half items."""

    @staticmethod
    def _code_model():
        from chalicelib.models.signin import SignInCode
        return SignInCode

    @staticmethod
    def _phone_model():
        from chalicelib.models.signin import PhoneVerification
        return PhoneVerification

    # e-mailed codes
    def code(self, key: str) -> SignInCodeRecord | None:
        SignInCode = self._code_model()
        try:
            return _record(SignInCodeRecord, SignInCode.get(key, consistent_read=True))
        except SignInCode.DoesNotExist:
            return None

    def start_window(self, record: SignInCodeRecord, *, replacing: SignInCodeRecord | None, ttl: timedelta) -> None:
        """Write a fresh code and window over exactly what was read (nothing, or an old record)."""
        SignInCode = self._code_model()
        if replacing is None:
            condition = SignInCode.key.does_not_exist()
        elif replacing.code_hash is None:
            condition = SignInCode.code_hash.does_not_exist()
        else:
            condition = SignInCode.code_hash == replacing.code_hash
        try:
            SignInCode(**_fields(record), ttl=ttl).save(condition=condition)
        except PutError as exc:
            if is_condition_failure(exc):
                raise ConditionFailed(f"sign-in code {record.key} changed since it was read") from None
            raise

    def resend(self, current: SignInCodeRecord, *, code_hash: str, expires_at: float, at: float, ip_key: str,
               ttl: timedelta) -> None:
        """A new code in the same window: the tries used stay; only if nothing changed since read."""
        SignInCode = self._code_model()
        try:
            SignInCode(key=current.key).update(
                actions=[SignInCode.code_hash.set(code_hash), SignInCode.expires_at.set(expires_at),
                         SignInCode.last_sent_at.set(at), SignInCode.sends.add(1), SignInCode.ip_key.set(ip_key),
                         SignInCode.ttl.set(ttl)],
                condition=SignInCode.key.exists() & (SignInCode.sends == current.sends)
                & (SignInCode.window_ends == current.window_ends))
        except UpdateError as exc:
            if is_condition_failure(exc):
                raise ConditionFailed(f"sign-in code {current.key} changed since it was read") from None
            raise

    def take_try(self, key: str, *, max_attempts: int, now: float) -> SignInCodeRecord:
        """Count one try if the code exists, has tries left and has not expired; the record after it.
        ConditionFailed otherwise (nothing written)."""
        SignInCode = self._code_model()
        item = SignInCode(key=key)
        try:
            item.update(actions=[SignInCode.attempts.add(1)],
                        condition=SignInCode.key.exists() & (SignInCode.attempts < max_attempts)
                        & (SignInCode.expires_at >= int(now)))
        except UpdateError as exc:
            if is_condition_failure(exc):
                raise ConditionFailed(f"no try left for {key}") from None
            raise
        return _record(SignInCodeRecord, item)

    def use(self, record: SignInCodeRecord) -> None:
        """The code worked: remove it, once (ConditionFailed if it was used or replaced meanwhile)."""
        SignInCode = self._code_model()
        from pynamodb.exceptions import DeleteError
        try:
            SignInCode(key=record.key).delete(condition=SignInCode.code_hash == record.code_hash)
        except DeleteError as exc:
            if is_condition_failure(exc):
                raise ConditionFailed(f"code {record.key} was already used") from None
            raise

    # per client address
    def charge_client(self, ip_key: str, *, limit: int, ttl: timedelta) -> bool:
        """One more unused code for this client address; False if it has ``limit`` already. The
        counter item is created by its first update (complete with count and ttl)."""
        from chalicelib.models.signin import SignInLimit
        try:
            SignInLimit(key=ip_key).update(
                actions=[SignInLimit.outstanding.add(1), SignInLimit.ttl.set(ttl)],
                condition=SignInLimit.outstanding.does_not_exist() | (SignInLimit.outstanding < limit))
        except UpdateError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def refund_client(self, ip_key: str) -> None:
        """A code was used (or not sent): one fewer outstanding; nothing if the hour is over."""
        from chalicelib.models.signin import SignInLimit
        try:
            SignInLimit(key=ip_key).update(actions=[SignInLimit.outstanding.add(-1)],
                                           condition=SignInLimit.key.exists() & (SignInLimit.outstanding > 0))
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise

    def outstanding(self, ip_key: str) -> int:
        from chalicelib.models.signin import SignInLimit
        try:
            return int(SignInLimit.get(ip_key, consistent_read=True).outstanding or 0)
        except SignInLimit.DoesNotExist:
            return 0

    # phone numbers
    def phone(self, key: str) -> PhoneVerificationRecord | None:
        PV = self._phone_model()
        try:
            return _record(PhoneVerificationRecord, PV.get(key, consistent_read=True))
        except PV.DoesNotExist:
            return None

    def phone_code_sent(self, key: str, *, current: PhoneVerificationRecord | None, phone: str, code_hash: str,
                        expires_at: float, at: float, window: float, ttl: timedelta) -> None:
        """Record a code texted to ``phone``: a new record, a new code in the open window (tries
        kept), or a new window; each only over exactly what was read (ConditionFailed otherwise)."""
        PV = self._phone_model()
        try:
            if current is None:
                PV(key=key, pending_phone=phone, code_hash=code_hash, expires_at=expires_at, attempts=0, sends=1,
                   last_sent_at=at, window_ends=at + window, ttl=ttl).save(condition=PV.key.does_not_exist())
                return
            actions = [PV.pending_phone.set(phone), PV.code_hash.set(code_hash), PV.expires_at.set(expires_at),
                       PV.last_sent_at.set(at)]
            if current.window_ends is not None and current.window_ends > at:
                actions.append(PV.sends.add(1))
                condition = PV.key.exists() & (PV.sends == current.sends)
            else:
                actions += [PV.sends.set(1), PV.attempts.set(0), PV.window_ends.set(at + window)]
                condition = PV.key.exists() & (PV.window_ends.does_not_exist() if current.window_ends is None
                                               else PV.window_ends == current.window_ends)
            if current.verified_phone is None:
                actions.append(PV.ttl.set(ttl))
            PV(key=key).update(actions=actions, condition=condition)
        except (PutError, UpdateError) as exc:
            if is_condition_failure(exc):
                raise ConditionFailed(f"phone verification {key} changed since it was read") from None
            raise

    def phone_try(self, key: str, *, max_attempts: int, now: float) -> PhoneVerificationRecord:
        PV = self._phone_model()
        item = PV(key=key)
        try:
            item.update(actions=[PV.attempts.add(1)],
                        condition=PV.key.exists() & PV.code_hash.exists() & (PV.attempts < max_attempts)
                        & (PV.expires_at >= int(now)))
        except UpdateError as exc:
            if is_condition_failure(exc):
                raise ConditionFailed(f"no phone try left for {key}") from None
            raise
        return _record(PhoneVerificationRecord, item)

    def phone_verified(self, record: PhoneVerificationRecord, at: float) -> PhoneVerificationRecord:
        """The pending number becomes the verified one, once (ConditionFailed if the code changed)."""
        PV = self._phone_model()
        item = PV(key=record.key)
        try:
            item.update(actions=[PV.verified_phone.set(record.pending_phone), PV.verified_at.set(at),
                                 PV.pending_phone.remove(), PV.code_hash.remove(), PV.expires_at.remove(),
                                 PV.attempts.set(0), PV.ttl.remove()],
                        condition=PV.key.exists() & (PV.code_hash == record.code_hash))
        except UpdateError as exc:
            if is_condition_failure(exc):
                raise ConditionFailed(f"phone code {record.key} was already used") from None
            raise
        return _record(PhoneVerificationRecord, item)


class People:
    """Who may sign in: customers (created on first use), helpers by e-mail, staff."""

    def customer(self, customer_id: str) -> CustomerRecord | None:
        from chalicelib.models.customers import Customer
        try:
            return _record(CustomerRecord, Customer.get(customer_id, consistent_read=True))
        except Customer.DoesNotExist:
            return None

    def add_customer(self, customer: CustomerRecord) -> None:
        from chalicelib.models.customers import Customer
        _create(Customer(**{k: v for k, v in _fields(customer).items() if v is not None},
                         email_key=f"{customer.tenant_id}#{customer.email}"), Customer.customer_id)

    def helper_id_by_email(self, tenant_id: str, email: str) -> str | None:
        from chalicelib.models.helpers import Helper
        return next((h.helper_id for h in Helper.by_email.query(f"{tenant_id}#{email}", limit=1)), None)

    def staff(self, email: str) -> StaffRecord | None:
        from chalicelib.models.staff import Staff
        try:
            return _record(StaffRecord, Staff.get(email))
        except Staff.DoesNotExist:
            return None
