"""What the profile, quality and rating reads need of a helper, and the helper's status (``helpers``)."""
from __future__ import annotations



from chalicelib.store._dynamo import _get, _record, _update
from chalicelib.store import current
from chalicelib.store.conditions import ConditionFailed
from chalicelib.store.records import HelperReach, HelperRecord


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

    # ---- dispatch, notifications, photos and the busy flag -------------------------------------

    def reach(self, helper_id: str, consistent: bool = False) -> HelperReach | None:
        """How to reach the helper, where they are, and whether they can take work."""
        from chalicelib.models.helpers import Helper
        item = _get(Helper, helper_id, consistent=consistent)
        return _record(HelperReach, item) if item is not None else None

    def set_photo(self, helper_id: str, photo_key: str, public: bool) -> None:
        """The helper's photo (its S3 key) and whether it may be shown publicly; ConditionFailed if
        there is no such helper (nothing is created)."""
        from chalicelib.models.helpers import Helper
        _update(Helper(helper_id), actions=[Helper.photo_key.set(photo_key), Helper.photo_public.set(bool(public))],
                condition=Helper.helper_id.exists(), refused=f"helper {helper_id} does not exist")

    def sync_index_keys(self, helper_id: str, changes: dict, derived_from: dict) -> None:
        """Set (or, for None, remove) the matching index keys ``changes`` if the helper's record
        still has the values ``derived_from`` they were derived from; ConditionFailed if not (a
        newer write brings its own stream record)."""
        _sync_index_keys(helper_id, changes, derived_from)

    def mark_busy(self, guard_key: str, helper_id: str, booking_id: str, at: str) -> bool:
        """The helper took ``booking_id`` at ``at`` (the accept's time: out of the matching index
        via the stream), counted as an accepted offer, once: one conditional update that also
        records the accept (``last_accept = "<at>#<booking>"``) and applies only over an older one,
        so a redelivered accept, or an earlier one arriving after a later one, changes nothing.
        False then, or if the helper is gone. (``guard_key`` names the step in logs and twins.)"""
        from chalicelib.models.helpers import Helper
        mark = f"{at}#{booking_id}"
        return _conditional(helper_id, [Helper.busy_with.set(booking_id), Helper.offers_accepted.add(1),
                                        Helper.last_assigned_at.set(at), Helper.last_accept.set(mark)],
                            Helper.last_accept.does_not_exist() | (Helper.last_accept < mark))

    def free(self, guard_key: str, helper_id: str, booking_id: str, at: str | None = None) -> bool:
        """The helper is free again, but only if still busy with *this* booking (a helper holding
        two jobs stays busy with the other) and, given the time ``at`` the job ended, only from an
        accept before it (a late redelivery never frees the helper from the same booking taken
        again). One conditional update: a redelivery finds the helper free and changes nothing."""
        from chalicelib.models.helpers import Helper
        cond = Helper.busy_with == booking_id
        if at:
            cond &= Helper.last_accept.does_not_exist() | (Helper.last_accept < at)
        return _conditional(helper_id, [Helper.busy_with.remove()], cond)


def _sync_index_keys(helper_id: str, changes: dict, derived_from: dict) -> None:
    from chalicelib.models.helpers import Helper
    actions = [getattr(Helper, k).set(v) if v is not None else getattr(Helper, k).remove() for k, v in changes.items()]
    cond = Helper.helper_id.exists()
    for name, value in derived_from.items():
        attr = getattr(Helper, name)
        cond &= attr.does_not_exist() if value is None else (attr == value)
    _update(Helper(helper_id), actions=actions, condition=cond,
            refused=f"helper {helper_id} changed since its index keys were derived")


def _conditional(helper_id: str, actions: list, condition) -> bool:
    """One update of the helper on ``condition`` (and that the helper exists); False if refused."""
    from pynamodb.exceptions import UpdateError

    from chalicelib.models.helpers import Helper
    from chalicelib.store.conditions import is_condition_failure

    try:
        Helper(helper_id).update(actions=actions, condition=Helper.helper_id.exists() & condition)
        return True
    except UpdateError as exc:
        if is_condition_failure(exc):
            return False  # done before, or the helper is gone / not on this job any more
        raise


_helpers = Helpers()


def helpers() -> Helpers:
    """The helpers repository in force (DynamoDB unless a test put a twin in place)."""
    return current("helpers") or _helpers
