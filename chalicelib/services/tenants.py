"""Tenant look-ups with a per-container cache (tenants change rarely)."""
from __future__ import annotations

import time
from copy import deepcopy

from chalicelib.domain import policy
from chalicelib.domain.errors import NotFound
from chalicelib.store.records import TenantRecord
from chalicelib.store.tenants import tenants

# tenant id -> (until, the repository read from, the tenant): a test's in-memory store never answers
# from a tenant another store put in the cache
_cache: dict[str, tuple[float, object, TenantRecord]] = {}
_TTL = 60.0


def get_tenant(tenant_id: str, fresh: bool = False) -> TenantRecord:
    """The tenant, from this container's cache for up to a minute; ``fresh`` reads the table
    (consistently) and refreshes the cache. A booking copies its terms from a fresh read, so a
    change of terms counts from the next booking on, whichever container made the change."""
    repo = tenants()
    hit = None if fresh else _cache.get(tenant_id)
    if hit and hit[0] > time.monotonic() and hit[1] is repo:
        return hit[2]
    tenant = repo.get(tenant_id, consistent=fresh)
    if tenant is None:
        raise NotFound(f"tenant {tenant_id} is not known", field="tenant")
    _cache[tenant_id] = (time.monotonic() + _TTL, repo, tenant)
    return tenant


def tenant_policy(tenant_id: str) -> dict:
    values = deepcopy(dict(get_tenant(tenant_id).settings or {}))  # the cached record's maps stay as read
    pol = bounded(policy.effective(values))
    from chalicelib.settings import get_settings

    if tenant_id != get_settings().default_tenant:  # a partner: its tariff prices every booking
        from chalicelib.domain.pricing import with_partner_tariff
        pol = with_partner_tariff(pol, values.get("pricing"))
    return pol


def bounded(pol: dict) -> dict:
    """Settings stored before their bounds existed are read within the one that can hang dispatch:
    a round never plans a ring wider than ``MAX_WIDENING_KM`` beyond a helper's radius."""
    from chalicelib.domain.partners import MAX_WIDENING_KM

    widening = pol.get("radius_widening_km")
    if isinstance(widening, (list, tuple)):
        pol["radius_widening_km"] = [min(max(int(km), 0), MAX_WIDENING_KM) for km in list(widening)[:10]] or [0]
    return pol


def clear_cache() -> None:
    _cache.clear()


def pool_tenants(tenant_id: str) -> list[str]:
    """Tenants whose helpers may serve this tenant's bookings: a partner's own helpers, the open
    crowd (the default tenant's helpers) or both, per the tenant's ``helper_pool`` setting."""
    from chalicelib.settings import get_settings

    crowd = get_settings().default_tenant
    if tenant_id == crowd:
        return [crowd]
    pool = tenant_policy(tenant_id).get("helper_pool", "crowd")
    return {"own": [tenant_id], "crowd": [crowd], "both": [tenant_id, crowd]}.get(pool, [crowd])
