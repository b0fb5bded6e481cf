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
    # quality: share of completed bookings drawn at random for an ops follow-up call
    "spot_check_rate": 0.10,
}


def effective(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    merged = dict(PLATFORM_DEFAULTS)
    for k, v in (settings or {}).items():
        if v is not None:
            merged[k] = v
    return merged
