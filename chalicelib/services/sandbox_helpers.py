"""The sandbox's simulated helpers (see ``services/sandbox.py``): who a test booking is offered
to. Apart from the sandbox use cases so that dispatch can ask it without importing them."""
from __future__ import annotations

from chalicelib.domain.ids import now_iso

SIMULATED = "simulated"
SIMULATED_HELPERS = (("Sam", "Sandbox"), ("Robin", "Testwell"), ("Kim", "Mockler"))


def simulated_helper_id(tenant_id: str, n: int) -> str:
    return f"h_sim_{tenant_id.replace('-', '_')}_{n}"


def simulated_helpers(tenant_id: str) -> list:
    """The tenant's simulated helpers, made on first use (a conditional put each, so concurrent
    first uses make each one once)."""
    from chalicelib.store.conditions import AlreadyExists
    from chalicelib.store.helper_pools import helper_pools
    from chalicelib.store.records import PoolHelperRecord

    pools = helper_pools()
    out = []
    for n, (first, last) in enumerate(SIMULATED_HELPERS, start=1):
        helper_id = simulated_helper_id(tenant_id, n)
        helper = pools.get(helper_id)
        if helper is not None:
            out.append(helper)
            continue
        email = f"{helper_id}@sandbox.crowdfix.invalid"
        helper = PoolHelperRecord(helper_id=helper_id, tenant_id=tenant_id, status=SIMULATED, first_name=first,
                                  name=f"{first} {last}", lat=47.3769, lon=8.5417, city="Sandbox", hourly_rate=6000,
                                  currency="CHF", languages=("de", "fr", "it", "en"), remote=True, skills={})
        try:
            pools.add(helper, email=email, email_key=email, created_at=now_iso())
        except AlreadyExists:
            helper = pools.get(helper_id)  # a concurrent first use made it
        out.append(helper)
    return out


def simulated_candidates(booking, *, exclude: set[str], limit: int) -> list[dict]:
    """Who a test booking is offered to: the tenant's simulated helpers not asked yet."""
    return [{"helper": h, "score": {"simulated": True, "reason": "simulated helper (sandbox)"}}
            for h in simulated_helpers(booking.tenant_id) if h.helper_id not in exclude][:max(1, limit)]


def is_simulated(helper_id: str | None) -> bool:
    return bool(helper_id) and helper_id.startswith("h_sim_")
