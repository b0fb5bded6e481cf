"""Rating counters per scope and bucket (``rating-aggregates``), moved with their guard
(``idempotency``) and the helper's totals (``helpers``)."""
from __future__ import annotations

from datetime import timedelta
from typing import Iterable

from pynamodb.exceptions import TransactWriteError

from chalicelib.store import current
from chalicelib.store.conditions import ConditionFailed, cancellation_codes
from chalicelib.store.records import ALL_COUNTERS


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


_counters = RatingCounters()


def counters() -> RatingCounters:
    """The counters repository in force (DynamoDB unless a test put a twin in place)."""
    return current("counters") or _counters
