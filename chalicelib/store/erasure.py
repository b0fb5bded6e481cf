"""What erasing a person changes in each table: one method per aggregate that rewrites (or
deletes) the rows about the person, as the service's rules say.

The service decides (``services/erasure.py``: which values are personal, what replaces them);
a method here finds the rows, hands each to the service's ``rewrite`` as a record, and writes
only what came back changed, as a narrow update (a value sets the attribute, None removes it).
Every method returns how many rows it changed, so a second run changes (and returns) nothing.
This module imports the models of every table erasure reaches, and so does the erasure function's
IAM policy (``infra/derive.py`` reads the import graph).
"""
from __future__ import annotations

from typing import Callable, Iterable

from chalicelib.store import current
from chalicelib.store._dynamo import _deep_record, _get, _record, _set_or_remove, _update
from chalicelib.store.records import (BookingRecord, CustomerRatingRecord, FailureRecord, NotificationLogRecord,
                                      PaymentRecord, PersonRecord, QualityCaseRecord, ReviewRecord)

Changes = dict  # attribute -> new value (None: remove)

_PERSON_FIELDS = [f for f in PersonRecord.__dataclass_fields__ if f not in ("kind", "person_id")]


def _model(kind: str):
    if kind == "customer":
        from chalicelib.models.customers import Customer
        return Customer
    from chalicelib.models.helpers import Helper
    return Helper


def _write(item, model, changes: Changes, condition=None) -> None:
    _update(item, actions=_set_or_remove(model, changes), condition=condition,
            refused=f"{model.__name__} changed while it was being erased")


class Erasure:
    """DynamoDB repository."""

    # ---- the person and their bookings ---------------------------------------------------------

    def person(self, kind: str, person_id: str) -> PersonRecord | None:
        from chalicelib.store._dynamo import _deep

        model = _model(kind)
        item = _get(model, person_id, consistent=True)
        if item is None:
            return None
        values, attributes = {"kind": kind, "person_id": person_id}, model.get_attributes()
        for name in _PERSON_FIELDS:
            value = _deep(getattr(item, name)) if name in attributes else None
            if value is not None:
                values[name] = value
        return PersonRecord(**values)

    def rewrite_person(self, person: PersonRecord, changes: Changes) -> int:
        """Write ``changes`` (attribute names of the person's table, e.g. ``email_key``)."""
        if not changes:
            return 0
        model = _model(person.kind)
        _write(model(person.person_id), model, changes)
        return 1

    def bookings_of(self, kind: str, person_id: str) -> list[BookingRecord]:
        """Every booking of the customer (or assigned to the helper), whole."""
        from chalicelib.models.base import hydrate
        from chalicelib.models.bookings import Booking

        index = Booking.by_customer if kind == "customer" else Booking.by_helper
        return [_deep_record(BookingRecord, b) for b in hydrate(Booking, [k.booking_id for k in index.query(person_id)])]

    def rewrite_bookings(self, bookings: Iterable[BookingRecord], rewrite: Callable[[BookingRecord], Changes]) -> int:
        """Write each booking's changes on condition that it is still in the state read (an
        erasure is not a transition: state and version stay, so no effect runs again);
        ``ConditionFailed`` if one moved meanwhile."""
        from chalicelib.models.bookings import Booking

        n = 0
        for b in bookings:
            changes = rewrite(b)
            if changes:
                _write(Booking(b.booking_id), Booking, changes, condition=Booking.state == b.state)
                n += 1
        return n

    # ---- copies in other records ---------------------------------------------------------------

    def rewrite_webhook_payloads(self, tenant_id: str, rewrite: Callable[[str], str]) -> int:
        from chalicelib.models.partners import WebhookDelivery
        return _rewrite_text(WebhookDelivery.scan(WebhookDelivery.tenant_id == tenant_id), WebhookDelivery,
                             "payload", rewrite)

    def rewrite_idempotency_results(self, rewrite: Callable[[str], str]) -> int:
        from chalicelib.models.idempotency import IdempotencyRecord
        return _rewrite_text(IdempotencyRecord.scan(IdempotencyRecord.result.exists()), IdempotencyRecord,
                             "result", rewrite)

    def rewrite_failures(self, rewrite: Callable[[FailureRecord], Changes]) -> int:
        from chalicelib.models.failures import FailedUnit
        n = 0
        for f in FailedUnit.scan():
            changes = rewrite(_record(FailureRecord, f))
            if changes:
                _write(f, FailedUnit, changes)
                n += 1
        return n

    def rewrite_quality_cases(self, tenant_id: str, rewrite: Callable[[QualityCaseRecord], Changes]) -> int:
        from chalicelib.models.quality import QualityCase
        n = 0
        for c in QualityCase.scan(QualityCase.tenant_id == tenant_id):
            changes = rewrite(_record(QualityCaseRecord, c))
            if changes:
                _write(c, QualityCase, changes)
                n += 1
        return n

    def rewrite_notification_log(self, scopes: Iterable[str],
                                 rewrite: Callable[[NotificationLogRecord], Changes]) -> int:
        from chalicelib.models.notification_log import NotificationLog
        n = 0
        for scope in scopes:
            for r in NotificationLog.query(scope):
                changes = rewrite(_record(NotificationLogRecord, r))
                if changes:
                    _write(r, NotificationLog, changes)
                    n += 1
        return n

    def rewrite_reviews(self, *, booking_ids: list[str] | None = None, helper_id: str | None = None,
                        rewrite: Callable[[ReviewRecord], Changes]) -> int:
        """The reviews of ``booking_ids``, or of ``helper_id``. No version bump: the reviews stream
        turns versions into rating deltas, and the stars stay."""
        from chalicelib.models.reviews import Review
        rows = (list(Review.batch_get(booking_ids)) if booking_ids else []) if helper_id is None \
            else list(Review.by_helper.query(helper_id))
        n = 0
        for r in rows:
            changes = rewrite(_record(ReviewRecord, r))
            if changes:
                _write(r, Review, changes)
                n += 1
        return n

    def rewrite_customer_ratings(self, booking_ids: list[str],
                                 rewrite: Callable[[CustomerRatingRecord], Changes]) -> int:
        from chalicelib.models.customer_ratings import CustomerRating
        n = 0
        for r in (CustomerRating.batch_get(booking_ids) if booking_ids else []):
            changes = rewrite(_record(CustomerRatingRecord, r))
            if changes:
                _write(r, CustomerRating, changes)
                n += 1
        return n

    def rewrite_payments(self, booking_ids: list[str], rewrite: Callable[[PaymentRecord], Changes]) -> int:
        """Each payment's changes at the version read (and the version moved on, as every payment
        write does); ``ConditionFailed`` if the payment changed meanwhile."""
        from chalicelib.models.payments import Payment
        n = 0
        for p in (Payment.batch_get(booking_ids) if booking_ids else []):
            rec = _deep_record(PaymentRecord, p)
            changes = rewrite(rec)
            if changes:
                _update(p, actions=[*_set_or_remove(Payment, changes), Payment.version.add(1)],
                        condition=Payment.version == rec.version,
                        refused=f"payment {rec.booking_id} changed while it was being erased")
                n += 1
        return n

    def clear_offer_summaries(self, booking_ids: list[str]) -> int:
        """The offers of ``booking_ids`` lose the booking summary they carry (the customer's words)."""
        from chalicelib.models.offers import Offer
        n = 0
        for bid in booking_ids:
            for o in Offer.query(bid):
                if o.summary and (o.summary.as_dict() if hasattr(o.summary, "as_dict") else dict(o.summary)):
                    _write(o, Offer, {"summary": {}})
                    n += 1
        return n

    # ---- rows that go --------------------------------------------------------------------------

    def delete_push_subscriptions(self, owner: str) -> int:
        from chalicelib.models.push_subscriptions import PushSubscription
        rows = list(PushSubscription.query(owner))
        for r in rows:
            r.delete()
        return len(rows)

    def delete_notification_prefs(self, owner: str) -> int:
        from chalicelib.models.notification_prefs import NotificationPrefs
        item = _get(NotificationPrefs, owner, consistent=True)
        if item is None:
            return 0
        item.delete()
        return 1

    def delete_signin_records(self, phone_key: str, code_key: str | None) -> int:
        """The phone verification record and (with ``code_key``) the sign-in code record."""
        from chalicelib.models.signin import PhoneVerification, SignInCode
        n = 0
        for model, key in ((PhoneVerification, phone_key), (SignInCode, code_key)):
            item = _get(model, key, consistent=True) if key else None
            if item is not None:
                item.delete()
                n += 1
        return n


def _rewrite_text(items, model, attr: str, rewrite: Callable[[str], str]) -> int:
    n = 0
    for item in items:
        text = getattr(item, attr)
        cleaned = rewrite(text)
        if cleaned != text:
            _write(item, model, {attr: cleaned})
            n += 1
    return n


_erasure = Erasure()


def erasure() -> Erasure:
    """The erasure repository in force (DynamoDB unless a test put a twin in place)."""
    return current("erasure") or _erasure
