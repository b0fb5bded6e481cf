"""Tenant look-ups with a per-container cache (tenants change rarely)."""
from __future__ import annotations

import time

from chalicelib.domain import policy
from chalicelib.domain.errors import NotFound
from chalicelib.models.tenants import Tenant

_cache: dict[str, tuple[float, Tenant]] = {}
_TTL = 60.0


def get_tenant(tenant_id: str) -> Tenant:
    hit = _cache.get(tenant_id)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    try:
        tenant = Tenant.get(tenant_id)
    except Tenant.DoesNotExist:
        raise NotFound(f"tenant {tenant_id} is not known", field="tenant") from None
    _cache[tenant_id] = (time.monotonic() + _TTL, tenant)
    return tenant


def tenant_policy(tenant_id: str) -> dict:
    settings = get_tenant(tenant_id).settings
    return policy.effective(settings.as_dict() if settings else {})


def clear_cache() -> None:
    _cache.clear()
