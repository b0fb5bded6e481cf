"""Tenant policy with platform defaults. A tenant's ``settings`` map overrides any key."""
from __future__ import annotations

from typing import Any, Mapping

PLATFORM_DEFAULTS: dict[str, Any] = {
    # matching
    "offers_per_round": 3,
    "offer_expiry_seconds": 120,
    "max_rounds": 3,
    "radius_widening_km": [0, 5, 15],  # added to each helper's own service radius, per round
    # geo search radius of round 1; each round adds its widening (10, 15, 25 km by default)
    "search_radius_km": 10,
    # candidates fetched per offer slot before ranking (the ring search stops once it has K x this)
    "match_oversample": 4,
    # ranking weights (normalised to sum 1; see chalicelib/domain/ranking.py)
    "match_weights": {"distance": 0.30, "skill": 0.20, "availability": 0.15, "rating": 0.15,
                      "acceptance": 0.10, "fairness": 0.10},
    # discovery (public): radius and page size
    "discover_radius_km": 10,
    "discover_limit": 20,
    # where the platform has helpers; a place outside every area is refused with a 422
    "served_areas": [{"name": "Zürich", "lat": 47.3769, "lon": 8.5417, "radius_km": 40},
                     {"name": "München", "lat": 48.1351, "lon": 11.5820, "radius_km": 40}],
    # typical length of a visit per category, for the "typical total" price shown before booking
    "typical_minutes": {"computer": 90, "printer": 60, "phone_tablet": 60, "internet_wifi": 75, "tv": 60,
                        "smart_home": 90, "other": 60},
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
    # a helper may ask the customer to approve at most this much above the agreed price cap (in total)
    "extra_approval_max_minor": 20000,
    # a part (bought for the customer) above this waits for the customer's approval before it is billed
    "parts_approval_minor": 5000,
    # a card booking that has no hold after this long is cancelled (nothing charged, nobody offered it)
    "payment_window_minutes": 30,
    # card authorisations are held ~7 days: renew (or release) after this many hours
    "authorisation_renew_after_hours": 144,
    # only helpers who can be paid out (Stripe Connect) are offered paid jobs
    "require_payout_ready": True,
    "ops_email": "ops@crowdfix.local",
    # quality: share of completed bookings drawn at random for an ops follow-up call
    "spot_check_rate": 0.10,
}


# What a booking is priced, divided and charged by (settlement, cancellation fee, parts and extras).
# They are copied onto the booking when it is made (``Booking.terms``), so a later change of the
# tenant's terms never re-values a booking that exists already.
TERMS_KEYS = ("min_billable_minutes", "billing_block_minutes", "travel_fee_minor", "default_hourly_rate_minor",
              "platform_fee_bps", "partner_share_bps", "late_cancel_fee_minor", "extra_approval_max_minor",
              "parts_approval_minor")

# A tenant's ``pricing`` section (set by crowdfix operations, domain.partners.PricingPolicy) is
# what settlement charges and divides by: section field -> policy key, with the factor applied.
PRICING_TERMS = {"platform_fee_percent": ("platform_fee_bps", 100), "partner_share_percent": ("partner_share_bps", 100),
                 "call_out_fee_minor": ("travel_fee_minor", 1), "hourly_rate_minor": ("default_hourly_rate_minor", 1),
                 "parts_approval_minor": ("parts_approval_minor", 1)}


def effective(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    merged = dict(PLATFORM_DEFAULTS)
    for k, v in (settings or {}).items():
        if v is not None:
            # a partial weights map only overrides the weights it names
            merged[k] = {**merged[k], **v} if k == "match_weights" and isinstance(v, Mapping) else v
    pricing = merged.get("pricing")
    if isinstance(pricing, Mapping):
        for name, (key, factor) in PRICING_TERMS.items():
            if pricing.get(name) is not None:
                merged[key] = int(pricing[name]) * factor
    return merged


def terms_in_force(snapshot: Mapping[str, Any] | None, current: Mapping[str, Any]) -> dict[str, Any]:
    """The policy a booking is settled by: its own terms (copied when it was made) over the
    tenant's current policy. A booking made before terms were copied (none exist in production)
    has no snapshot and is settled by the current terms."""
    merged = dict(current)
    for key in TERMS_KEYS:
        if snapshot and snapshot.get(key) is not None:
            merged[key] = snapshot[key]
    pricing = (snapshot or {}).get("pricing")
    if merged.get("tariff") and isinstance(pricing, Mapping):
        # a partner's tariff (its hourly rate, the remote discount) as it was when the booking was made
        merged["tariff"] = {**merged["tariff"], **{k: int(pricing[k]) for k in ("hourly_rate_minor",
                                                                                "remote_discount_percent")
                                                   if pricing.get(k) is not None}}
    return merged
