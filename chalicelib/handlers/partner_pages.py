"""Public partner pages: the OpenAPI document and its reference page, the embeddable widget
script and the branded landing page of a tenant."""
from __future__ import annotations

import json

from chalice import Blueprint, Response

from chalicelib.domain.errors import NotFound, ValidationFailed

bp = Blueprint(__name__)
_doc_cache: dict[str, dict] = {}


def _tenant_for_page(tenant_id: str):
    import re

    from chalicelib.domain.partners import TENANT_ID
    from chalicelib.services.partners import tenant_view
    from chalicelib.services.tenants import get_tenant

    if not re.match(TENANT_ID, tenant_id or ""):
        raise ValidationFailed("tenant_id is not a valid tenant id", field="tenant_id")
    try:
        return tenant_view(get_tenant(tenant_id))
    except NotFound:
        raise NotFound(f"there is no partner {tenant_id}", field="tenant_id") from None


def _document() -> dict:
    if "doc" not in _doc_cache:
        from chalicelib.domain.openapi import build
        _doc_cache["doc"] = build()
    return _doc_cache["doc"]


@bp.route("/v1/openapi.json", methods=["GET"])
def openapi_json():
    return Response(body=json.dumps(_document()), status_code=200,
                    headers={"Content-Type": "application/json", "Cache-Control": "public, max-age=300",
                             "Access-Control-Allow-Origin": "*"})


@bp.route("/v1/docs", methods=["GET"])
def docs():
    from chalicelib.domain.pages import reference_page
    return Response(body=reference_page(_document()), status_code=200,
                    headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "public, max-age=300"})


@bp.route("/v1/partners/{tenant_id}/widget.js", methods=["GET"])
def widget(tenant_id):
    import os
    import time

    from chalicelib.domain.headers import sign_embed
    from chalicelib.domain.pages import widget_script
    from chalicelib.settings import get_settings
    tenant = _tenant_for_page(tenant_id)
    # in AWS the edge reads the tenant's frame-ancestors from the signed iframe URL (infra/frame_policy.py)
    key = os.environ.get("CROWDFIX_CLOUDFRONT_ORIGIN_TOKEN")
    signed = sign_embed(key, tenant["tenant_id"], tenant["widget_origins"], time.time()) if key else None
    return Response(body=widget_script(tenant, get_settings().public_base_url, signed), status_code=200,
                    headers={"Content-Type": "application/javascript; charset=utf-8",
                             "Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"})


@bp.route("/v1/partners/{tenant_id}/frame-ancestors", methods=["GET"])
def frame_ancestors(tenant_id):
    """The origins that may frame this tenant's embedded booking flow (they are public anyway: the
    web app's CSP names them)."""
    tenant = _tenant_for_page(tenant_id)
    return Response(body=json.dumps({"tenant_id": tenant["tenant_id"], "origins": tenant["widget_origins"]}),
                    status_code=200, headers={"Content-Type": "application/json", "Cache-Control": "public, max-age=60"})


@bp.route("/v1/partners/{tenant_id}/landing", methods=["GET"])
def landing(tenant_id):
    from chalicelib.domain.pages import landing_page
    from chalicelib.settings import get_settings
    tenant = _tenant_for_page(tenant_id)
    return Response(body=landing_page(tenant, get_settings().public_base_url), status_code=200,
                    headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "public, max-age=300"})
