"""What the profile, quality and rating reads need of a helper, and the helper's status (``helpers``)."""
from __future__ import annotations



from chalicelib.store._dynamo import _get, _record, _update
from chalicelib.store import current
from chalicelib.store.conditions import ConditionFailed
from chalicelib.store.records import HelperRecord


class Helpers:
    def get(self, helper_id: str, consistent: bool = False) -> HelperRecord | None:
        from chalicelib.models.helpers import Helper
        item = _get(Helper, helper_id, consistent=consistent)
        return _record(HelperRecord, item) if item is not None else None

    def set_status(self, helper: HelperRecord, status: str) -> HelperRecord:
        """Move the helper to ``status`` (and its matching index key with it) if it is still in the
        status it was read with; ConditionFailed otherwise."""
        from chalicelib.models.helpers import Helper
        item = Helper(helper.helper_id)
        _update(item,
                actions=[Helper.status.set(status), Helper.tenant_status.set(f"{helper.tenant_id}#{status}")],
                condition=Helper.status == helper.status,
                refused=f"helper {helper.helper_id} is not {helper.status} any more")
        return _record(HelperRecord, item)


_helpers = Helpers()


def helpers() -> Helpers:
    """The helpers repository in force (DynamoDB unless a test put a twin in place)."""
    return current("helpers") or _helpers
