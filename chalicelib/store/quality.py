"""The ops quality list (``quality-cases``)."""
from __future__ import annotations

from pynamodb.exceptions import PutError

from chalicelib.store._dynamo import _fields, _get, _record, _update
from chalicelib.store import current
from chalicelib.store.conditions import ConditionFailed, is_condition_failure
from chalicelib.store.records import QualityCaseRecord


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
        item = _get(QualityCase, case_id, consistent=True)
        return _record(QualityCaseRecord, item) if item is not None else None

    def close(self, case: QualityCaseRecord, *, outcome: str, notes: str, resolved_by: str,
              at: str) -> QualityCaseRecord:
        """Mark an open case done; ConditionFailed if it is not open any more."""
        QualityCase = self._model()
        item = QualityCase(case.case_id)
        _update(item,
                actions=[
                    QualityCase.status.set("done"),
                    QualityCase.tenant_status.set(f"{case.tenant_id}#done"),
                    QualityCase.outcome.set(outcome),
                    QualityCase.notes.set(notes),
                    QualityCase.resolved_by.set(resolved_by),
                    QualityCase.resolved_at.set(at),
                ],
                condition=QualityCase.status == "open",
                refused=f"case {case.case_id} is not open")
        return _record(QualityCaseRecord, item)

    def listed(self, tenant_id: str, status: str, limit: int) -> list[QualityCaseRecord]:
        """The tenant's cases in ``status``, newest first (at most ``limit``)."""
        QualityCase = self._model()
        rows = QualityCase.by_tenant_status.query(f"{tenant_id}#{status}", scan_index_forward=False, limit=limit)
        return [_record(QualityCaseRecord, row) for row in rows]


_quality = QualityCases()


def quality() -> QualityCases:
    """The quality repository in force (DynamoDB unless a test put a twin in place)."""
    return current("quality") or _quality
