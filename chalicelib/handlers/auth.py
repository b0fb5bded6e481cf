"""Sign-in by e-mailed code, and who am I."""
from __future__ import annotations

import os

from chalice import Blueprint

from chalicelib.http import Edge, Reply, signed_in
from chalicelib.lazy import lazy
from chalicelib.settings import get_settings

bp = Blueprint(__name__)
api = Edge(bp, tag="sign-in")
svc = lazy("chalicelib.services.auth")
headers = lazy("chalicelib.domain.headers")
PERSON = signed_in("customer", "helper")


def _client_ip(request) -> str | None:
    """The caller's address: CloudFront's viewer address when the request came through CloudFront
    (its origin header), else ``sourceIp``; never a client-sent header (``domain.headers``)."""
    ip = ((request.context or {}).get("identity") or {}).get("sourceIp")
    return headers.client_address(request.headers, ip, os.environ.get("CROWDFIX_CLOUDFRONT_ORIGIN_TOKEN"))


def _tenant(request, body=None) -> str:
    # Direct customers use the default tenant; partner tenants come with the partner API. A customer
    # who books inside a partner's widget (or from its landing page) names that tenant: she is the
    # partner's customer, and her booking the partner's (issue 17.5).
    named = getattr(body, "tenant", None)
    if named and body.role == "customer" and named != get_settings().default_tenant:
        from chalicelib.services.tenants import get_tenant
        return get_tenant(named).tenant_id  # 404 naming the field for an unknown tenant
    return get_settings().default_tenant


@api.post("/v1/auth/code", body="schemas:RequestCode", response="Accepted", status=202, errors=(429,))
def request_code(call):
    """E-mail a sign-in code"""
    body = call.body
    svc.request_code(_tenant(call.request, body), body.role, body.email, body.language, client_ip=_client_ip(call.request))
    return {"sent": True, "detail": "If this address may sign in, a 6-digit code is on its way. "
                                    "It is valid for 10 minutes."}


@api.post("/v1/auth/token", body="schemas:ExchangeCode", response="TokenOut", errors=(401, 429))  # 401: wrong code
def exchange_code(call):
    """Exchange the code for a token"""
    return svc.exchange_code(_tenant(call.request, call.body), call.body.role, call.body.email, call.body.code)


@api.get("/v1/me", auth=signed_in(), response="MeOut")
def me(call):
    """Who am I"""
    return {"role": call.actor.role, "id": call.actor.id, "tenant_id": call.actor.tenant_id}


@api.post("/v1/me/phone-verification", auth=PERSON, body="notification_schemas:PhoneVerificationStart",
          response="PhoneVerification", status=202, also=(200,), errors=(429,), tag="notifications")
def start_phone_verification(call):
    """Text a code to a mobile number (SMS go only to a verified number)"""
    result = svc.start_phone_verification(call.actor, call.body.phone, call.body.language)
    return Reply(result, status=200 if result["verified"] else 202)


@api.post("/v1/me/phone-verification/confirm", auth=PERSON, body="notification_schemas:PhoneVerificationConfirm",
          response="PhoneVerification", errors=(429,), tag="notifications")
def confirm_phone_verification(call):
    """Confirm the mobile number with the texted code"""
    return svc.confirm_phone(call.actor, call.body.code)
