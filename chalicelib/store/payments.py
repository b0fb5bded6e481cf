"""The payment record of a booking (table ``payments``): read, create once, and change through the
one update-with-retry on ``version``.

A change is decided by the use case from the record it read (``change(record) -> {field: value}``,
None removes a field; nothing to do: an empty dict or None) and written on condition that the
version is still the one read, with ``version`` + 1 and ``updated_at``. That condition is what
serialises money: a refund's reservation, a capture's step, a new hold's sequence number are each
decided from the record as it is, never from a copy someone else changed meanwhile.
"""
from __future__ import annotations

from typing import Callable, Iterator

from chalicelib.domain.ids import now_iso
from chalicelib.store import current
from chalicelib.store._dynamo import _create, _deep_record, _fields, _get, _set_or_remove, _update
from chalicelib.store.records import PaymentRecord
from chalicelib.store.retry import PAYMENT_ATTEMPTS, payment_busy, update_with_retry

Change = Callable[[PaymentRecord], "dict | None"]


class Payments:
    def _model(self):
        from chalicelib.models.payments import Payment
        return Payment

    def get(self, booking_id: str) -> PaymentRecord | None:
        item = _get(self._model(), booking_id, consistent=True)
        return _deep_record(PaymentRecord, item) if item is not None else None

    def add(self, payment: PaymentRecord) -> None:
        """Create the record; ``AlreadyExists`` if the booking has one."""
        Payment = self._model()
        values = {k: (list(v) if isinstance(v, tuple) else v) for k, v in _fields(payment).items() if v is not None}
        _create(Payment(**values), Payment.booking_id)

    def write(self, payment: PaymentRecord, changes: dict) -> PaymentRecord:
        """Write ``changes`` if the record is still at ``payment.version``; ``ConditionFailed`` if not."""
        Payment = self._model()
        item = Payment(payment.booking_id)
        changes = {**changes, "version": payment.version + 1, "updated_at": now_iso()}
        _update(item, actions=_set_or_remove(Payment, changes), condition=Payment.version == payment.version,
                refused=f"payment {payment.booking_id} is not at version {payment.version}")
        return _deep_record(PaymentRecord, item)

    def update(self, booking_id: str, change: Change) -> PaymentRecord:
        """Read, decide, write on the version read; re-read and decide again on a lost race."""
        return update_with_retry(lambda: self.get(booking_id), change, self.write,
                                 attempts=PAYMENT_ATTEMPTS, busy=payment_busy)

    def booking_for_intent(self, payment_intent_id: str) -> str | None:
        Payment = self._model()
        return next((row.booking_id for row in Payment.by_intent.query(payment_intent_id, limit=1)), None)

    def holding_on(self, day: str) -> Iterator[PaymentRecord]:
        """The payments holding an uncaptured authorisation made on ``day`` (UTC, ``YYYY-MM-DD``)."""
        from chalicelib.models.base import hydrate

        Payment = self._model()
        keys = [row.booking_id for row in Payment.by_hold_day.query(day)]
        for item in hydrate(Payment, keys):
            yield _deep_record(PaymentRecord, item)


_payments = Payments()


def payments() -> Payments:
    """The payments repository in force (DynamoDB unless a test put a twin in place)."""
    return current("payments") or _payments
