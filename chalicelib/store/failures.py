"""The failure store (``failures``)."""
from __future__ import annotations



from chalicelib.store._dynamo import _create, _fields, _get, _record, _update
from chalicelib.store import current
from chalicelib.store.conditions import ConditionFailed
from chalicelib.store.records import FailureRecord


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
        _update(FailedUnit(failure_id=failure_id),
                actions=[
                    FailedUnit.status.set("open"),
                    FailedUnit.error.set(error),
                    FailedUnit.last_failed_at.set(at),
                    FailedUnit.attempts.add(attempts),
                    FailedUnit.payload.set(payload),
                    FailedUnit.version.add(1),
                ],
                condition=FailedUnit.failure_id.exists(),
                refused=f"failure {failure_id} is not in the store")

    def get(self, failure_id: str) -> FailureRecord | None:
        FailedUnit = self._model()
        item = _get(FailedUnit, failure_id, consistent=True)
        return _record(FailureRecord, item) if item is not None else None

    def listed(self, status: str, limit: int) -> list[FailureRecord]:
        """Failures in ``status``, the most recently failed first."""
        FailedUnit = self._model()
        return [_record(FailureRecord, row)
                for row in FailedUnit.by_status.query(status, scan_index_forward=False, limit=limit)]

    def mark_replayed(self, failure: FailureRecord, *, by: str, at: str) -> FailureRecord:
        """Open -> replayed, if nobody changed it since it was read; ConditionFailed otherwise."""
        FailedUnit = self._model()
        item = FailedUnit(failure_id=failure.failure_id)
        _update(item,
                actions=[
                    FailedUnit.status.set("replayed"),
                    FailedUnit.replays.add(1),
                    FailedUnit.replayed_at.set(at),
                    FailedUnit.replayed_by.set(by),
                    FailedUnit.version.add(1),
                ],
                condition=(FailedUnit.version == failure.version) & (FailedUnit.status == "open"),
                refused=f"failure {failure.failure_id} changed since it was read")
        return _record(FailureRecord, item)


_failures = Failures()


def failures() -> Failures:
    """The failures repository in force (DynamoDB unless a test put a twin in place)."""
    return current("failures") or _failures
