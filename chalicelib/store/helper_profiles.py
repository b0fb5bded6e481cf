"""A helper's own profile (table ``helpers``): as the helper reads and edits it, and as a booking
shows the helper who took it. Edits are conditional on the status read, so a concurrent status
change by operations is never overwritten, and rewrite the status index key from the stored tenant
and status with them."""
from __future__ import annotations

from chalicelib.store import current
from chalicelib.store._dynamo import _deep_record, _get, _set_or_remove, _update
from chalicelib.store.records import PROFILE_EDITABLE, HelperProfileRecord


class HelperProfiles:
    def get(self, helper_id: str, consistent: bool = False) -> HelperProfileRecord | None:
        from chalicelib.models.helpers import Helper
        item = _get(Helper, helper_id, consistent=consistent)
        return _deep_record(HelperProfileRecord, item) if item is not None else None

    def update(self, helper: HelperProfileRecord, changes: dict) -> HelperProfileRecord:
        """Set ``changes`` (fields of ``PROFILE_EDITABLE``; None removes) on condition that the
        helper is still in the status it was read with; ConditionFailed if not (or not there)."""
        from chalicelib.models.helpers import Helper
        unknown = set(changes) - set(PROFILE_EDITABLE)
        if unknown:
            raise ValueError(f"not a field a helper edits: {sorted(unknown)}")
        item = Helper(helper.helper_id)
        _update(item, actions=_set_or_remove(Helper, changes) + [
                    Helper.tenant_status.set(f"{helper.tenant_id}#{helper.status}")],
                condition=Helper.status == helper.status,
                refused=f"helper {helper.helper_id} is not {helper.status} any more")
        return _deep_record(HelperProfileRecord, item)


_profiles = HelperProfiles()


def helper_profiles() -> HelperProfiles:
    """The helper profiles repository in force (DynamoDB unless a test put a twin in place)."""
    return current("helper_profiles") or _profiles
