"""Partners: tenant administration (ops and the partner's admin), API keys, webhook endpoints and
their delivery log, the commission report, and the partner API ``/v1/partner/...`` (API key)."""
from __future__ import annotations

import json

from chalice import Blueprint

from chalicelib.domain.booking_states import ALL_STATES
from chalicelib.domain.errors import MalformedRequest, ValidationFailed
from chalicelib.handlers.common import (authenticate, authenticate_partner, cursor_param, ok, parse_body, path_id, query_int,
                                        sign_cursor)
from chalicelib.handlers.batch import process_queue

bp = Blueprint(__name__)
ADMINS = ("ops", "partner_admin")


def _tenant_id(value: str) -> str:
    from chalicelib.domain import partners as dp
    import re
    if not re.match(dp.TENANT_ID, value or ""):
        raise ValidationFailed("tenant_id is not a valid tenant id", field="tenant_id")
    return value


def _admin_or_key(request):
    """Tenant admin token, or the tenant's API key (for webhooks and reports)."""
    headers = request.headers or {}
    auth = headers.get("authorization", "")
    if "x-api-key" in headers or auth.lower().startswith("bearer cfx_"):
        return authenticate_partner(request)[0]
    return authenticate(request, *ADMINS)


def _query_model(request, model):
    from pydantic import ValidationError
    params = dict(request.query_params or {})
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        e = exc.errors()[0]
        field = ".".join(str(p) for p in e["loc"]) or "query"
        raise ValidationFailed(f"{field}: {e['msg'].removeprefix('Value error, ')}", field=field) from None


def _idempotency_key(request) -> str | None:
    key = (request.headers or {}).get("idempotency-key")
    if key is not None and not (1 <= len(key) <= 255):
        raise ValidationFailed("Idempotency-Key must be 1 to 255 characters", field="Idempotency-Key")
    return key


# ---------------------------------------------------------------------------------------------
# tenants

@bp.route("/v1/tenants", methods=["POST"])
def create_tenant():
    from chalicelib.domain import partners as dp
    from chalicelib.services import partners as svc
    request = bp.current_request
    actor = authenticate(request, "ops")
    tenant = svc.create_tenant(actor, parse_body(request, dp.CreateTenant))
    return ok(svc.tenant_view(tenant), status=201, headers={"Location": f"/v1/tenants/{tenant.tenant_id}"})


@bp.route("/v1/tenants/{tenant_id}", methods=["GET"])
def get_tenant(tenant_id):
    from chalicelib.services import partners as svc
    request = bp.current_request
    return ok(svc.tenant_view(svc.get_tenant_for(_admin_or_key(request), _tenant_id(tenant_id))))


@bp.route("/v1/tenants/{tenant_id}", methods=["PATCH"])
def update_tenant(tenant_id):
    from chalicelib.domain import partners as dp
    from chalicelib.services import partners as svc
    request = bp.current_request
    actor = _admin_or_key(request)
    tenant_id = _tenant_id(tenant_id)
    body = parse_body(request, dp.UpdateTenant)
    return ok(svc.tenant_view(svc.update_tenant(actor, tenant_id, body)))


@bp.route("/v1/tenants/{tenant_id}/admins", methods=["POST"])
def add_partner_admin(tenant_id):
    from chalicelib.domain import partners as dp
    from chalicelib.services import partners as svc
    request = bp.current_request
    actor = authenticate(request, "ops")
    tenant_id = _tenant_id(tenant_id)
    return ok(svc.add_partner_admin(actor, tenant_id, parse_body(request, dp.CreatePartnerAdmin)), status=201)


# ---------------------------------------------------------------------------------------------
# API keys

@bp.route("/v1/tenants/{tenant_id}/api-keys", methods=["POST"])
def create_api_key(tenant_id):
    from chalicelib.domain import partners as dp
    from chalicelib.services import partners as svc
    request = bp.current_request
    actor = _admin_or_key(request)
    tenant_id = _tenant_id(tenant_id)
    key, secret = svc.create_api_key(actor, tenant_id, parse_body(request, dp.CreateApiKey))
    return ok({**svc.key_view(key), "secret": secret}, status=201, headers={"Cache-Control": "no-store"})


@bp.route("/v1/tenants/{tenant_id}/api-keys", methods=["GET"])
def list_api_keys(tenant_id):
    from chalicelib.services import partners as svc
    actor = authenticate(bp.current_request, *ADMINS)
    return ok({"items": [svc.key_view(k) for k in svc.list_api_keys(actor, _tenant_id(tenant_id))]})


@bp.route("/v1/tenants/{tenant_id}/api-keys/{key_id}/rotate", methods=["POST"])
def rotate_api_key(tenant_id, key_id):
    from chalicelib.services import partners as svc
    actor = authenticate(bp.current_request, *ADMINS)
    key, secret = svc.rotate_api_key(actor, _tenant_id(tenant_id), path_id(key_id, "key", "key_id"))
    return ok({**svc.key_view(key), "secret": secret}, status=201, headers={"Cache-Control": "no-store"})


@bp.route("/v1/tenants/{tenant_id}/api-keys/{key_id}/revoke", methods=["POST"])
def revoke_api_key(tenant_id, key_id):
    from chalicelib.services import partners as svc
    actor = authenticate(bp.current_request, *ADMINS)
    return ok(svc.key_view(svc.revoke_api_key(actor, _tenant_id(tenant_id), path_id(key_id, "key", "key_id"))))


# ---------------------------------------------------------------------------------------------
# webhook endpoints and deliveries

@bp.route("/v1/tenants/{tenant_id}/webhooks", methods=["POST"])
def create_webhook(tenant_id):
    from chalicelib.domain import partners as dp
    from chalicelib.services import webhooks as wh
    request = bp.current_request
    actor = _admin_or_key(request)
    tenant_id = _tenant_id(tenant_id)
    ep = wh.create_endpoint(actor, tenant_id, parse_body(request, dp.CreateWebhookEndpoint))
    return ok({**wh.endpoint_view(ep), "secret": ep.secret}, status=201, headers={"Cache-Control": "no-store"})


@bp.route("/v1/tenants/{tenant_id}/webhooks", methods=["GET"])
def list_webhooks(tenant_id):
    from chalicelib.services import webhooks as wh
    actor = _admin_or_key(bp.current_request)
    return ok({"items": [wh.endpoint_view(e) for e in wh.list_endpoints(actor, _tenant_id(tenant_id))]})


@bp.route("/v1/tenants/{tenant_id}/webhooks/{endpoint_id}", methods=["DELETE"])
def delete_webhook(tenant_id, endpoint_id):
    from chalicelib.services import webhooks as wh
    actor = _admin_or_key(bp.current_request)
    wh.delete_endpoint(actor, _tenant_id(tenant_id), path_id(endpoint_id, "we", "endpoint_id"))
    return ok({"deleted": True})


@bp.route("/v1/tenants/{tenant_id}/webhooks/{endpoint_id}/deliveries", methods=["GET"])
def list_deliveries(tenant_id, endpoint_id):
    from chalicelib.services import webhooks as wh
    request = bp.current_request
    actor = _admin_or_key(request)
    limit = query_int(request, "limit", 50, 1, 100)
    items = wh.list_deliveries(actor, _tenant_id(tenant_id), path_id(endpoint_id, "we", "endpoint_id"), limit)
    return ok({"items": [wh.delivery_view(d) for d in items]})


@bp.route("/v1/tenants/{tenant_id}/webhooks/{endpoint_id}/deliveries/{message_id}/redeliver", methods=["POST"])
def redeliver(tenant_id, endpoint_id, message_id):
    from chalicelib.services import webhooks as wh
    actor = _admin_or_key(bp.current_request)
    d = wh.redeliver(actor, _tenant_id(tenant_id), path_id(endpoint_id, "we", "endpoint_id"),
                     path_id(message_id, "msg", "message_id"))
    return ok(wh.delivery_view(d), status=202)


@bp.route("/v1/tenants/{tenant_id}/commission", methods=["GET"])
def commission(tenant_id):
    from chalicelib.services import partners as svc
    request = bp.current_request
    actor = _admin_or_key(request)
    period = (request.query_params or {}).get("period")
    if not period:
        raise ValidationFailed("give the month as period=YYYY-MM", field="period")
    return ok(svc.commission_report(actor, _tenant_id(tenant_id), period))


# ---------------------------------------------------------------------------------------------
# the partner API (API key)

@bp.route("/v1/partner/tenant", methods=["GET"])
def partner_tenant():
    from chalicelib.services import partners as svc
    actor, environment = authenticate_partner(bp.current_request)
    return ok({**svc.tenant_view(svc.get_tenant_for(actor, actor.tenant_id)), "environment": environment})


@bp.route("/v1/partner/quote", methods=["GET"])
def partner_quote():
    from chalicelib.domain import partners as dp
    from chalicelib.services import partners as svc
    request = bp.current_request
    actor, _ = authenticate_partner(request)
    return ok(svc.quote(actor, _query_model(request, dp.PlaceQuery)))


@bp.route("/v1/partner/helpers", methods=["GET"])
def partner_helpers():
    from chalicelib.domain import partners as dp
    from chalicelib.services import partners as svc
    request = bp.current_request
    actor, _ = authenticate_partner(request)
    params = dict(request.query_params or {})
    params.pop("limit", None)
    limit = query_int(request, "limit", 20, 1, 50)
    from pydantic import ValidationError
    try:
        query = dp.PlaceQuery.model_validate(params)
    except ValidationError as exc:
        e = exc.errors()[0]
        field = ".".join(str(p) for p in e["loc"]) or "query"
        raise ValidationFailed(f"{field}: {e['msg']}", field=field) from None
    return ok({"items": svc.discover_helpers(actor, query, limit)})


@bp.route("/v1/partner/bookings", methods=["POST"])
def partner_create_booking():
    from chalicelib.domain import partners as dp
    from chalicelib.services import partners as svc
    request = bp.current_request
    actor, environment = authenticate_partner(request)
    body = parse_body(request, dp.PartnerCreateBooking)
    booking, created = svc.create_booking(actor, environment, body, _idempotency_key(request))
    return ok(svc.partner_booking_view(booking, actor), status=201 if created else 200,
              headers={"Location": f"/v1/partner/bookings/{booking.booking_id}",
                       **({"Idempotent-Replayed": "true"} if not created else {})})


@bp.route("/v1/partner/bookings", methods=["GET"])
def partner_list_bookings():
    from chalicelib.services import partners as svc
    request = bp.current_request
    actor, _ = authenticate_partner(request)
    params = request.query_params or {}
    state = params.get("state")
    if state is not None and state not in ALL_STATES:
        raise ValidationFailed(f"state must be one of {', '.join(ALL_STATES)}", field="state")
    ref = params.get("external_ref")
    if ref is not None and not (1 <= len(ref) <= 64):
        raise ValidationFailed("external_ref must be 1 to 64 characters", field="external_ref")
    scope = f"partner-bookings:{actor.tenant_id}:{ref or ''}"  # a cursor continues only this listing
    items, cursor = svc.list_bookings(actor, state=state, external_ref=ref, limit=query_int(request, "limit", 20, 1, 100),
                                      cursor=cursor_param(request, scope))
    return ok({"items": [svc.partner_booking_view(b, actor) for b in items], "next_cursor": sign_cursor(cursor, scope)})


@bp.route("/v1/partner/bookings/{booking_id}", methods=["GET"])
def partner_get_booking(booking_id):
    from chalicelib.services import bookings as booking_svc, partners as svc
    actor, _ = authenticate_partner(bp.current_request)
    booking = booking_svc.get_booking_for(actor, path_id(booking_id, "b", "booking_id"))
    return ok(svc.partner_booking_view(booking, actor))


@bp.route("/v1/partner/bookings/{booking_id}/cancel", methods=["POST"])
def partner_cancel_booking(booking_id):
    from chalicelib.services import bookings as booking_svc, partners as svc
    from chalicelib.domain.schemas import CancelBooking
    request = bp.current_request
    actor, _ = authenticate_partner(request)
    body = parse_body(request, CancelBooking, allow_empty=True)
    booking = booking_svc.cancel_booking(actor, path_id(booking_id, "b", "booking_id"), reason=body.reason)
    return ok(svc.partner_booking_view(booking, actor))


# ---------------------------------------------------------------------------------------------
# webhook delivery queue

def on_webhook_delivery(event):
    """Partner webhook deliveries (kind ``webhook-deliveries`` on the work queue, routed by
    ``handlers/work.py``)."""
    from chalicelib.services import webhooks as wh
    def handle(record):
        try:
            message = json.loads(record["body"])
        except ValueError:
            raise MalformedRequest("webhook queue message is not JSON") from None
        wh.deliver(message)

    return process_queue("webhook-deliveries", event, handle)
