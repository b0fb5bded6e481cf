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
        """The helper took ``booking_id`` (out of the matching index via the stream), counted as an
        accepted offer: once per ``guard_key``, atomically with the guard. False if done before
        or the helper is gone."""
        from chalicelib.models.helpers import Helper
        return _once(guard_key, helper_id,
                     [Helper.busy_with.set(booking_id), Helper.offers_accepted.add(1), Helper.last_assigned_at.set(at)])

    def free(self, guard_key: str, helper_id: str, booking_id: str) -> bool:
        """The helper is free again, but only if still busy with *this* booking (a helper holding
        two jobs stays busy with the other); once per ``guard_key``. False if nothing changed."""
        from chalicelib.models.helpers import Helper
        return _once(guard_key, helper_id, [Helper.busy_with.remove()], condition=Helper.busy_with == booking_id)


def _sync_index_keys(helper_id: str, changes: dict, derived_from: dict) -> None:
    from chalicelib.models.helpers import Helper
    actions = [getattr(Helper, k).set(v) if v is not None else getattr(Helper, k).remove() for k, v in changes.items()]
    cond = Helper.helper_id.exists()
    for name, value in derived_from.items():
        attr = getattr(Helper, name)
        cond &= attr.does_not_exist() if value is None else (attr == value)
    _update(Helper(helper_id), actions=actions, condition=cond,
            refused=f"helper {helper_id} changed since its index keys were derived")


def _once(key: str, helper_id: str, actions: list, condition=None) -> bool:
    """A helper update together with an idempotency record, in one transaction: a redelivered
    stream record finds the record and changes nothing."""
    from datetime import timedelta

    from pynamodb.exceptions import TransactWriteError
    from pynamodb.transactions import TransactWrite

    from chalicelib.aws import tx_connection
    from chalicelib.models.helpers import Helper
    from chalicelib.models.idempotency import IdempotencyRecord
    from chalicelib.store.conditions import is_condition_failure

    record = IdempotencyRecord(key=key, ttl=timedelta(days=30))
    cond = Helper.helper_id.exists() if condition is None else (Helper.helper_id.exists() & condition)
    try:
        with TransactWrite(connection=tx_connection()) as tx:
            tx.save(record, condition=IdempotencyRecord.key.does_not_exist())
            tx.update(Helper(helper_id), actions=actions, condition=cond)
        return True
    except TransactWriteError as exc:
        if is_condition_failure(exc):
            return False  # done before, or the helper is gone / not on this job any more
        raise


_helpers = Helpers()


def helpers() -> Helpers:
    """The helpers repository in force (DynamoDB unless a test put a twin in place)."""
    return current("helpers") or _helpers
