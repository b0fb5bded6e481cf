"""What the profile, quality and rating reads need of a helper, and the helper's status (``helpers``)."""
from __future__ import annotations

from pynamodb.exceptions import UpdateError

from chalicelib.store._dynamo import _record
from chalicelib.store import current
from chalicelib.store.conditions import ConditionFailed, is_condition_failure
from chalicelib.store.records import HelperRecord


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


_helpers = Helpers()


def helpers() -> Helpers:
    """The helpers repository in force (DynamoDB unless a test put a twin in place)."""
    return current("helpers") or _helpers
