"""Records of partner attribution counters (loaded on first use through ``chalicelib.store.records``)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AttributionCounts:
    """The counters of one (tenant, affiliate code, campaign); ``-`` stands for none."""
    tenant_id: str
    affiliate: str
    campaign: str
    landing_visits: int = 0
    widget_opens: int = 0
    bookings_started: int = 0
    bookings_completed: int = 0
    call_clicks: int = 0


@dataclass(frozen=True)
class AttributionLink:
    """Where a booking came from: tenant, affiliate code, campaign, UTM parameters and channel
    (``landing``, ``widget`` or ``api``)."""
    FIELDS = ("tenant_id", "affiliate", "campaign", "utm_source", "utm_medium", "utm_campaign", "channel")
    booking_id: str
    tenant_id: str
    affiliate: str | None = None
    campaign: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    channel: str | None = None
