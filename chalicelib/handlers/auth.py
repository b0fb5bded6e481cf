"""Sign-in by e-mailed code, and who am I."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.handlers.common import authenticate, ok, parse_body
from chalicelib.settings import get_settings

bp = Blueprint(__name__)


def _client_ip(request) -> str | None:
    """The caller's address: CloudFront's viewer address when the request came through CloudFront
    (its origin header), else ``sourceIp``; never a client-sent header (``domain.headers``)."""
    import os

    from chalicelib.domain.headers import client_address

    ip = ((request.context or {}).get("identity") or {}).get("sourceIp")
    return client_address(request.headers, ip, os.environ.get("CROWDFIX_CLOUDFRONT_ORIGIN_TOKEN"))


def _tenant(request) -> str:
    # Direct customers use the default tenant; partner tenants come with the partner API.
    return get_settings().default_tenant


@bp.route("/v1/auth/code", methods=["POST"])
def request_code():
    from chalicelib.domain.schemas import RequestCode
    from chalicelib.services import auth as svc
    request = bp.current_request
    body = parse_body(request, RequestCode)
    svc.request_code(_tenant(request), body.role, body.email, body.language, client_ip=_client_ip(request))
    return ok({"sent": True, "detail": "If this address may sign in, a 6-digit code is on its way. "
                                       "It is valid for 10 minutes."}, status=202)


@bp.route("/v1/auth/token", methods=["POST"])
def exchange_code():
    from chalicelib.domain.schemas import ExchangeCode
    from chalicelib.services import auth as svc
    request = bp.current_request
    body = parse_body(request, ExchangeCode)
    return ok(svc.exchange_code(_tenant(request), body.role, body.email, body.code))


@bp.route("/v1/me", methods=["GET"])
def me():
    actor = authenticate(bp.current_request)
    return ok({"role": actor.role, "id": actor.id, "tenant_id": actor.tenant_id})


@bp.route("/v1/me/phone-verification", methods=["POST"])
def start_phone_verification():
    """Text a code to a mobile number; only a number confirmed with it gets SMS."""
    from chalicelib.domain.notification_schemas import PhoneVerificationStart
    from chalicelib.services import auth as svc
    request = bp.current_request
    actor = authenticate(request, "customer", "helper")
    body = parse_body(request, PhoneVerificationStart)
    result = svc.start_phone_verification(actor, body.phone, body.language)
    return ok(result, status=200 if result["verified"] else 202)


@bp.route("/v1/me/phone-verification/confirm", methods=["POST"])
def confirm_phone_verification():
    from chalicelib.domain.notification_schemas import PhoneVerificationConfirm
    from chalicelib.services import auth as svc
    request = bp.current_request
    actor = authenticate(request, "customer", "helper")
    return ok(svc.confirm_phone(actor, parse_body(request, PhoneVerificationConfirm).code))
