"""Attribution per tenant, affiliate code and campaign (issue 17.7): landing-page visits, widget
opens and click-to-call presses reported by the partner's pages (first-party beacons to crowdfix's
own API, no third-party tracker, no cookie); bookings started and completed counted by the server
when they happen. Each count is idempotent per event id (``store/attribution.py``)."""
from __future__ import annotations

from datetime import datetime, timezone

from chalicelib.domain.attribution import PAGE_EVENTS, AttributionEvent
from chalicelib.domain.errors import NotFound
from chalicelib.domain.ids import now_iso
from chalicelib.store.attribution import attribution
from chalicelib.store.records import ATTRIBUTION_KINDS, AttributionLink


# The beacon is open (a partner's page, no key): per tenant and source, at most this many events a
# minute, taken by a conditional counter (store: ``take_beacon``) so racing beacons cannot exceed it.
BEACON_PER_MINUTE = 60


def _source_key(source: str | None) -> str:
    """A source address as a short hash (no IP address is stored)."""
    import hashlib
    return hashlib.sha256((source or "unknown").encode()).hexdigest()[:16]


def record_page_event(tenant_id: str, event: AttributionEvent, source: str | None = None,
                      now: datetime | None = None) -> dict:
    """Count what a landing page or widget reports. ``counted`` False: this event id was counted
    before. More than ``BEACON_PER_MINUTE`` events a minute from one source for one tenant:
    ``RateLimited`` (429, Retry-After: the rest of the minute)."""
    from chalicelib.domain.errors import RateLimited
    from chalicelib.services.tenants import get_tenant
    try:
        get_tenant(tenant_id)
    except NotFound:
        raise NotFound(f"there is no partner {tenant_id}", field="tenant_id") from None
    now = now or datetime.now(timezone.utc)
    if not attribution().take_beacon(tenant_id, f"{_source_key(source)}#{now:%Y%m%d%H%M}", BEACON_PER_MINUTE):
        raise RateLimited(f"at most {BEACON_PER_MINUTE} events a minute from one page; try again shortly",
                          retry_after=max(1, 60 - now.second))
    counted = attribution().count(tenant_id, PAGE_EVENTS[event.kind], event.event_id,
                                  affiliate=event.affiliate_code, campaign=event.campaign_name(), at=now_iso())
    return {"event_id": event.event_id, "counted": counted}


def count_effect(booking: dict, entry: dict, old: dict | None) -> None:
    """Effect ``count_attribution`` (bookings stream): a booking made counts as started, a completed
    one as completed, for its tenant, affiliate code and campaign; once per booking (the event id),
    however often the stream record is delivered. A test key's booking counts for nobody."""
    if booking.get("sandbox") == "test":
        return
    tenant_id, booking_id = booking["tenant_id"], booking["booking_id"]
    affiliate, campaign = booking.get("affiliate_code"), booking.get("campaign")
    if entry.get("to") == "completed":
        attribution().count(tenant_id, "bookings_completed", f"completed-{booking_id}", affiliate=affiliate,
                            campaign=campaign, at=now_iso())
        return
    came = booking.get("attribution") or {}
    attribution().link_booking(AttributionLink(
        booking_id=booking_id, tenant_id=tenant_id, affiliate=affiliate, campaign=campaign,
        utm_source=came.get("utm_source"), utm_medium=came.get("utm_medium"), utm_campaign=came.get("utm_campaign"),
        channel=came.get("channel") or ("api" if booking.get("partner_id") and not came else "web")))
    attribution().count(tenant_id, "bookings_started", f"started-{booking_id}", affiliate=affiliate,
                        campaign=campaign, at=now_iso())


def report(tenant_id: str) -> dict:
    """The tenant's counters by affiliate code and campaign, and their totals."""
    rows = [{"affiliate_code": None if c.affiliate == "-" else c.affiliate,
             "campaign": None if c.campaign == "-" else c.campaign,
             **{k: getattr(c, k) for k in ATTRIBUTION_KINDS}} for c in attribution().counts(tenant_id)]
    totals = {k: sum(r[k] for r in rows) for k in ATTRIBUTION_KINDS}
    return {"tenant_id": tenant_id, "totals": totals, "by_campaign": rows}
