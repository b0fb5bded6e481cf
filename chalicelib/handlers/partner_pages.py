"""Public partner pages: the OpenAPI document and its reference page, the embeddable widget
script and the branded landing page of a tenant."""
from __future__ import annotations

import json
import logging
import os
import re
import time

from chalice import Blueprint, Response

from chalicelib.domain.errors import NotFound
from chalicelib.http import ADMIN_OR_KEY, Edge
from chalicelib.http import types as t
from chalicelib.lazy import lazy
from chalicelib.settings import get_settings

bp = Blueprint(__name__)
api = Edge(bp, tag="widget")
openapi = lazy("chalicelib.http.openapi")
headers = lazy("chalicelib.domain.headers")
pages = lazy("chalicelib.domain.pages")
partners = lazy("chalicelib.services.partners")
tenants = lazy("chalicelib.services.tenants")


def _tenant_for_page(tenant_id: str):
    try:
        return partners.tenant_view(tenants.get_tenant(tenant_id))
    except NotFound:
        raise NotFound(f"there is no partner {tenant_id}", field="tenant_id") from None


@api.get("/v1/openapi.json", response="OpenApiDocument", tag="meta")
def openapi_json(call):
    """This document"""
    return Response(body=json.dumps(openapi.document()), status_code=200,
                    headers={"Content-Type": "application/json", "Cache-Control": "public, max-age=300",
                             "Access-Control-Allow-Origin": "*"})


@api.get("/v1/docs", response="text/html", tag="meta")
def docs(call):
    """Readable API reference"""
    return Response(body=pages.reference_page(openapi.document()), status_code=200,
                    headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "public, max-age=300"})


@api.get("/v1/partners/{tenant_id}/widget.js", response="application/javascript")
def widget(call, tenant_id):
    """Embeddable booking widget (one script tag)"""
    tenant = _tenant_for_page(tenant_id)
    # in AWS the edge reads the tenant's frame-ancestors from the signed iframe URL (infra/frame_policy.py)
    key = os.environ.get("CROWDFIX_CLOUDFRONT_ORIGIN_TOKEN")
    signed = headers.sign_embed(key, tenant["tenant_id"], tenant["widget_origins"], time.time()) if key else None
    return Response(body=pages.widget_script(tenant, get_settings().public_base_url, signed), status_code=200,
                    headers={"Content-Type": "application/javascript; charset=utf-8",
                             "Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"})


@api.get("/v1/partners/{tenant_id}/frame-ancestors", response="FrameAncestors")
def frame_ancestors(call, tenant_id):
    """Origins that may embed the widget (the app's CSP frame-ancestors)

    They are public anyway: the web app's CSP names them."""
    tenant = _tenant_for_page(tenant_id)
    return Response(body=json.dumps({"tenant_id": tenant["tenant_id"], "origins": tenant["widget_origins"]}),
                    status_code=200, headers={"Content-Type": "application/json", "Cache-Control": "public, max-age=60"})


def _slug(name: str) -> t.Param:
    rx = re.compile(r"^[A-Za-z0-9_.\-]{1,60}$")

    def check(raw: str):
        if not rx.match(raw):
            raise ValueError(f"{name}: letters, digits, '.', '_' and '-' only, at most 60")
        return raw
    return t.Param({"type": "string", "pattern": r"^[A-Za-z0-9_.\-]{1,60}$"}, check, default=None,
                   description=f"{name} of the link that brought the visitor (carried into her booking)")


CAMPAIGN_QUERY = {k: _slug(k) for k in ("aff", "affiliate_code", "campaign", "utm_source", "utm_medium", "utm_campaign")}


def _campaign(call) -> dict:
    q = call.query
    return {"affiliate_code": q["affiliate_code"] or q["aff"], "campaign": q["campaign"] or q["utm_campaign"],
            "utm_source": q["utm_source"], "utm_medium": q["utm_medium"], "utm_campaign": q["utm_campaign"]}


def _source_ip(call) -> str | None:
    return ((call.request.context or {}).get("identity") or {}).get("sourceIp")


def _count(tenant_id: str, kind: str, call, campaign: dict) -> None:
    """Count a served landing page or a pressed hotline once per request (a retried delivery of
    the same request has its id); never fails the page."""
    from chalicelib.domain.attribution import AttributionEvent
    from chalicelib.domain.ids import new_id
    rid = str(((call.request.context or {}).get("requestId")) or new_id("ev"))
    event_id = "".join(ch for ch in rid if ch.isalnum() or ch in "-_")[:64].rjust(8, "0")
    try:
        attribution_svc.record_page_event(tenant_id, AttributionEvent(event_id=event_id, kind=kind, **campaign),
                                          source=_source_ip(call))
    except Exception:  # noqa: BLE001 — the visitor gets her page whatever the count does
        logging.getLogger("crowdfix.attribution").warning("%s of %s not counted", kind, tenant_id, exc_info=True)


@api.get("/v1/partners/{tenant_id}/landing", query=CAMPAIGN_QUERY, response="text/html")
def landing(call, tenant_id):
    """Branded landing page

    Counts the visit for the tenant, affiliate code and campaign (first-party, no cookie, no
    script) and carries them into the booking link; a campaign with a local hotline shows that number."""
    tenant = _tenant_for_page(tenant_id)
    campaign = _campaign(call)
    _count(tenant["tenant_id"], "landing_visit", call, campaign)
    return Response(body=pages.landing_page(tenant, get_settings().public_base_url, campaign), status_code=200,
                    headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"})


@api.get("/v1/partners/{tenant_id}/call", query=CAMPAIGN_QUERY, response="text/plain", status=302)
def call_hotline(call, tenant_id):
    """Dial the tenant's hotline from its landing page (counts the press, then redirects to ``tel:``)"""
    tenant = _tenant_for_page(tenant_id)
    campaign = _campaign(call)
    number = pages.campaign_hotline(tenant, campaign["campaign"])
    if not number:
        raise NotFound(f"partner {tenant_id} has no hotline", field="tenant_id")
    _count(tenant["tenant_id"], "call_click", call, campaign)
    return Response(body="", status_code=302, headers={"Location": "tel:" + re.sub(r"[^+0-9]", "", number),
                                                       "Cache-Control": "no-store"})


# ---- the tenant's brand in its widget, and first-party attribution (issue 17.5, 17.7) ------------

attribution_svc = lazy("chalicelib.services.attribution")
re_campaign = re.compile(r"^[A-Za-z0-9_.\-]{1,60}$")
CAMPAIGN = t.Param({"type": "string", "pattern": r"^[A-Za-z0-9_.\-]{1,60}$"},
                   lambda raw: raw if raw and re_campaign.match(raw) else _bad_campaign(), default=None,
                   description="the campaign (utm_campaign) the visitor came with: its local hotline, if any")


def _bad_campaign():
    raise ValueError("campaign: letters, digits, '.', '_' and '-' only, at most 60")


@api.get("/v1/partners/{tenant_id}/brand", query={"campaign": CAMPAIGN}, response="TenantBrand")
def brand(call, tenant_id):
    """The tenant's name, logo, colours and hotline, for the web app inside its widget

    Public (the widget shows them to anyone). With ``campaign`` the hotline is that campaign's
    local number where the tenant set one."""
    tenant = _tenant_for_page(tenant_id)
    b, copy = tenant["branding"], tenant["landing"]
    hotline = (copy.get("campaign_hotlines") or {}).get(call.query["campaign"] or "") or copy.get("hotline")
    return Response(body=json.dumps({"tenant_id": tenant["tenant_id"], "name": tenant["name"], "locale": tenant["locale"],
                                     "logo_url": b.get("logo_url"), "primary": b["primary"], "accent": b["accent"],
                                     "text": b["text"], "background": b["background"], "hotline": hotline}),
                    status_code=200, headers={"Content-Type": "application/json", "Cache-Control": "public, max-age=60"})


@api.post("/v1/partners/{tenant_id}/events", body="attribution:AttributionEvent", response="AttributionCounted",
          errors=(404, 429))
def attribution_event(call, tenant_id):
    """Count a landing-page visit, widget open or click-to-call (first-party, no cookie)

    The tenant's landing page and the web app inside its widget send these to crowdfix's own API;
    nothing goes to a third party. Idempotent per ``event_id``: the same id again counts nothing
    (``counted`` false). At most 60 events a minute per page source: 429 with Retry-After."""
    return attribution_svc.record_page_event(tenant_id, call.body, source=_source_ip(call))


@api.get("/v1/tenants/{tenant_id}/attribution", auth=ADMIN_OR_KEY, response="AttributionReport", tag="partners")
def attribution_report(call, tenant_id):
    """Landing-page visits, widget opens, bookings started and completed, click-to-call presses per
    affiliate code and campaign (ops: any tenant; a partner: its own)"""
    partners.check_tenant_admin(call.actor, tenant_id, allow_partner_key=True)
    return attribution_svc.report(tenant_id)
