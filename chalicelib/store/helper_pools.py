"""Helpers as the partner API and the sandbox read them (``helpers``): a tenant's active pool,
a few by id, and the sandbox's simulated helpers, each created once."""
from __future__ import annotations

from chalicelib.store import current
from chalicelib.store._dynamo import _create, _deep_record, _get
from chalicelib.store.records import PoolHelperRecord


class HelperPools:
    """DynamoDB repository (``models.helpers``)."""

    def with_status(self, tenant_id: str, status: str = "active") -> list[PoolHelperRecord]:
        """The tenant's helpers in ``status`` (the status index: eventually consistent; it does not
        carry the full ``name``, which reads as None)."""
        from chalicelib.models.helpers import Helper
        return [_deep_record(PoolHelperRecord, h) for h in Helper.by_tenant_status.query(f"{tenant_id}#{status}")]

    def get(self, helper_id: str) -> PoolHelperRecord | None:
        from chalicelib.models.helpers import Helper
        item = _get(Helper, helper_id, consistent=True)
        return _deep_record(PoolHelperRecord, item) if item is not None else None

    def many(self, helper_ids: list[str]) -> dict[str, PoolHelperRecord]:
        """The helpers of ``helper_ids`` that exist, by id."""
        from chalicelib.models.helpers import Helper
        if not helper_ids:
            return {}
        return {h.helper_id: _deep_record(PoolHelperRecord, h) for h in Helper.batch_get(list(dict.fromkeys(helper_ids)))}

    def add(self, helper: PoolHelperRecord, *, email: str, email_key: str, created_at: str) -> None:
        """Create the helper; ``AlreadyExists`` if the id is taken."""
        from chalicelib.models.helpers import Helper
        values = {k: v for k, v in vars(helper).items()}
        values.update(languages=list(helper.languages), skills=dict(helper.skills), email=email, email_key=email_key,
                      tenant_status=f"{helper.tenant_id}#{helper.status}", created_at=created_at)
        _create(Helper(**values), Helper.helper_id)


_pools = HelperPools()


def helper_pools() -> HelperPools:
    """The helper pools repository in force (DynamoDB unless a test put a twin in place)."""
    return current("helper_pools") or _pools
