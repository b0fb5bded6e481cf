"""Tenants (``tenants``): read, created once, changed by named fields, and the count of each
tenant's active API keys (conditional ADDs that never pass the tenant's limit)."""
from __future__ import annotations

from typing import Iterator

from chalicelib.store import current
from chalicelib.store._dynamo import _create, _get, _record, _set_or_remove, _update
from chalicelib.store.records import TenantRecord

EDITABLE = ("name", "locale", "currency", "branding", "settings")


class Tenants:
    """DynamoDB repository (``models.tenants``)."""

    def get(self, tenant_id: str, consistent: bool = False) -> TenantRecord | None:
        from chalicelib.models.tenants import Tenant
        item = _get(Tenant, tenant_id, consistent=consistent)
        return _record(TenantRecord, item, deep=True) if item is not None else None

    def add(self, tenant: TenantRecord) -> None:
        """Create the tenant; ``AlreadyExists`` if its id is taken."""
        from chalicelib.models.tenants import Tenant
        _create(Tenant(tenant_id=tenant.tenant_id, name=tenant.name, locale=tenant.locale, currency=tenant.currency,
                       branding=dict(tenant.branding), settings=dict(tenant.settings), created_at=tenant.created_at),
                Tenant.tenant_id)

    def update(self, tenant_id: str, changes: dict) -> TenantRecord:
        """Set the named fields (of ``EDITABLE``) of an existing tenant; returns it as written.
        ``ConditionFailed`` if there is no such tenant (nothing is created)."""
        from chalicelib.models.tenants import Tenant
        if set(changes) - set(EDITABLE):
            raise ValueError(f"a tenant's {sorted(set(changes) - set(EDITABLE))} are not changed this way")
        item = _update(Tenant(tenant_id), actions=_set_or_remove(Tenant, {k: (dict(v) if isinstance(v, dict) else v)
                                                                          for k, v in changes.items()}),
                       condition=Tenant.tenant_id.exists(), refused=f"tenant {tenant_id} does not exist")
        return _record(TenantRecord, item, deep=True)

    def all(self) -> Iterator[TenantRecord]:
        """Every tenant (a scan: tens of rows, read by the monthly schedule)."""
        from chalicelib.models.tenants import Tenant
        for item in Tenant.scan():
            yield _record(TenantRecord, item, deep=True)

    # ---- the count of active API keys ----------------------------------------------------------

    def take_key_slot(self, tenant_id: str, most: int) -> None:
        """Count one more active key; ``ConditionFailed`` if the count is at ``most`` already or
        the tenant has no count yet (``start_key_count``)."""
        from chalicelib.models.tenants import Tenant
        _update(Tenant(tenant_id), actions=[Tenant.api_keys_active.add(1)],
                condition=Tenant.api_keys_active.exists() & (Tenant.api_keys_active < most),
                refused=f"tenant {tenant_id} has no key count or {most} keys already")

    def give_key_slot(self, tenant_id: str) -> bool:
        """Count one active key less; False if the count is at 0 (or not there)."""
        from chalicelib.models.tenants import Tenant
        from chalicelib.store.conditions import ConditionFailed
        try:
            _update(Tenant(tenant_id), actions=[Tenant.api_keys_active.add(-1)], condition=Tenant.api_keys_active > 0,
                    refused=f"tenant {tenant_id} counts no active key")
            return True
        except ConditionFailed:
            return False

    def start_key_count(self, tenant_id: str, active: int) -> None:
        """Start the count of a tenant from before the counter at ``active``; ``ConditionFailed``
        if it has a count already (or there is no such tenant)."""
        from chalicelib.models.tenants import Tenant
        _update(Tenant(tenant_id), actions=[Tenant.api_keys_active.set(active)],
                condition=Tenant.tenant_id.exists() & Tenant.api_keys_active.does_not_exist(),
                refused=f"tenant {tenant_id} counts its keys already")


_tenants = Tenants()


def tenants() -> Tenants:
    """The tenants repository in force (DynamoDB unless a test put a twin in place)."""
    return current("tenants") or _tenants
