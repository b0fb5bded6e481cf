"""Public partner pages: the OpenAPI document and its reference page, the embeddable widget
script and the branded landing page of a tenant."""
from __future__ import annotations

import json
import os
import time

from chalice import Blueprint, Response

from chalicelib.domain.errors import NotFound
from chalicelib.http import Edge
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


@api.get("/v1/partners/{tenant_id}/landing", response="text/html")
def landing(call, tenant_id):
    """Branded landing page"""
    tenant = _tenant_for_page(tenant_id)
    return Response(body=pages.landing_page(tenant, get_settings().public_base_url), status_code=200,
                    headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "public, max-age=300"})
