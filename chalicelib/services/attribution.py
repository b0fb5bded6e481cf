"""Attribution per tenant, affiliate code and campaign (issue 17.7): landing-page visits, widget
opens and click-to-call presses reported by the partner's pages (first-party beacons to crowdfix's
own API, no third-party tracker, no cookie); bookings started and completed counted by the server
when they happen. Each count is idempotent per event id (``store/attribution.py``)."""
from __future__ import annotations

import logging

from chalicelib.domain.attribution import PAGE_EVENTS, AttributionEvent, Campaign
from chalicelib.domain.errors import NotFound
from chalicelib.domain.ids import now_iso
from chalicelib.store.attribution import attribution
from chalicelib.store.records import ATTRIBUTION_KINDS, AttributionLink

log = logging.getLogger(__name__)


def record_page_event(tenant_id: str, event: AttributionEvent) -> dict:
    """Count what a landing page or widget reports. ``counted`` False: this event id was counted before."""
    from chalicelib.services.tenants import get_tenant
    try:
        get_tenant(tenant_id)
    except NotFound:
        raise NotFound(f"there is no partner {tenant_id}", field="tenant_id") from None
    counted = attribution().count(tenant_id, PAGE_EVENTS[event.kind], event.event_id,
                                  affiliate=event.affiliate_code, campaign=event.campaign_name(), at=now_iso())
    return {"event_id": event.event_id, "counted": counted}


def booking_started(tenant_id: str, booking_id: str, campaign: Campaign | None, *, channel: str) -> None:
    """A booking was made: remember where it came from and count it (never fails the booking)."""
    c = campaign or Campaign()
    try:
        attribution().link_booking(AttributionLink(
            booking_id=booking_id, tenant_id=tenant_id, affiliate=c.affiliate_code, campaign=c.campaign_name(),
            utm_source=c.utm_source, utm_medium=c.utm_medium, utm_campaign=c.utm_campaign,
            channel=c.channel or channel))
        attribution().count(tenant_id, "bookings_started", f"started-{booking_id}", affiliate=c.affiliate_code,
                            campaign=c.campaign_name(), at=now_iso())
    except Exception:  # noqa: BLE001 — counting is for the report; the booking stands
        log.warning("booking %s: attribution not counted", booking_id, exc_info=True)


def booking_completed(booking_id: str) -> None:
    """A booking was completed: count it for the campaign it came from (once per booking)."""
    try:
        link = attribution().booking_link(booking_id)
        if link is not None:
            attribution().count(link.tenant_id, "bookings_completed", f"completed-{booking_id}",
                                affiliate=link.affiliate, campaign=link.campaign, at=now_iso())
    except Exception:  # noqa: BLE001
        log.warning("booking %s: completion not counted for attribution", booking_id, exc_info=True)


def report(tenant_id: str) -> dict:
    """The tenant's counters by affiliate code and campaign, and their totals."""
    rows = [{"affiliate_code": None if c.affiliate == "-" else c.affiliate,
             "campaign": None if c.campaign == "-" else c.campaign,
             **{k: getattr(c, k) for k in ATTRIBUTION_KINDS}} for c in attribution().counts(tenant_id)]
    totals = {k: sum(r[k] for r in rows) for k in ATTRIBUTION_KINDS}
    return {"tenant_id": tenant_id, "totals": totals, "by_campaign": rows}


def read(actor, tenant_id: str) -> dict:
    """Over the API: ops see every tenant, a partner (admin or API key) only its own."""
    from chalicelib.services.partners import check_tenant_admin
    check_tenant_admin(actor, tenant_id, allow_partner_key=True)
    return report(tenant_id)
