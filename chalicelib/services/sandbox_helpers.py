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
    from pynamodb.exceptions import PutError

    from chalicelib.models.helpers import Helper

    out = []
    for n, (first, last) in enumerate(SIMULATED_HELPERS, start=1):
        helper_id = simulated_helper_id(tenant_id, n)
        try:
            out.append(Helper.get(helper_id, consistent_read=True))
            continue
        except Helper.DoesNotExist:
            pass
        email = f"{helper_id}@sandbox.crowdfix.invalid"
        helper = Helper(helper_id=helper_id, tenant_id=tenant_id, email=email, email_key=email,
                        name=f"{first} {last}", first_name=first, lat=47.3769, lon=8.5417, city="Sandbox",
                        hourly_rate=6000, currency="CHF", languages=["de", "fr", "it", "en"], remote=True,
                        skills={}, status=SIMULATED, tenant_status=f"{tenant_id}#{SIMULATED}", created_at=now_iso())
        try:
            helper.save(condition=Helper.helper_id.does_not_exist())
        except PutError:
            helper = Helper.get(helper_id, consistent_read=True)
        out.append(helper)
    return out


def simulated_candidates(booking, *, exclude: set[str], limit: int) -> list[dict]:
    """Who a test booking is offered to: the tenant's simulated helpers not asked yet."""
    return [{"helper": h, "score": {"simulated": True, "reason": "simulated helper (sandbox)"}}
            for h in simulated_helpers(booking.tenant_id) if h.helper_id not in exclude][:max(1, limit)]


def is_simulated(helper_id: str | None) -> bool:
    return bool(helper_id) and helper_id.startswith("h_sim_")
