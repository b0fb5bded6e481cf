"""Tenant policy with platform defaults. A tenant's ``settings`` map overrides any key."""
from __future__ import annotations

from typing import Any, Mapping

PLATFORM_DEFAULTS: dict[str, Any] = {
    # matching
    "offers_per_round": 3,
    "offer_expiry_seconds": 120,
    "max_rounds": 3,
    "radius_widening_km": [0, 5, 15],  # added to each helper's own service radius, per round
    # price cap when the customer does not give one: two hours at the top rate plus travel
    "default_price_cap_minor": 25000,
    # pricing (domain/pricing.py): time is billed in blocks after a minimum, on-site adds travel
    "min_billable_minutes": 30,
    "billing_block_minutes": 15,
    "travel_fee_minor": 2500,
    "default_hourly_rate_minor": 6000,  # when the helper has none
    # settlement (domain/ledger.py): basis points of the service amount (tips go wholly to the helper)
    "platform_fee_bps": 1500,
    "partner_share_bps": 0,  # a partner tenant sets its revenue share here
    # cancellations: free until a helper is assigned, then this fee goes to the helper
    "late_cancel_fee_minor": 2000,
    # card authorisations are held ~7 days: renew (or release) after this many hours
    "authorisation_renew_after_hours": 144,
    # only helpers who can be paid out (Stripe Connect) are offered paid jobs
    "require_payout_ready": True,
    "ops_email": "ops@crowdfix.local",
}


def effective(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    merged = dict(PLATFORM_DEFAULTS)
    for k, v in (settings or {}).items():
        if v is not None:
            merged[k] = v
    return merged
