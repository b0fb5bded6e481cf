"""Payments API (v1): card authorisation, tips and parts, refunds, helpers' payout onboarding,
statements, the Stripe webhook, and the schedule that renews card holds."""
from __future__ import annotations

import logging

from chalice import Blueprint, Rate

from chalicelib.domain.errors import ValidationFailed
from chalicelib.handlers.common import authenticate, ok, parse_body, path_id

bp = Blueprint(__name__)
log = logging.getLogger("crowdfix.payments")


def _svc():
    from chalicelib.services import payments
    return payments


@bp.route("/v1/payments/config", methods=["GET"])
def payments_config():
    """What the web app needs to take a card with Stripe.js: the publishable key and the script URL.
    Public values only, never the secret key. Without CROWDFIX_STRIPE_PUBLISHABLE_KEY card entry is
    off. Locally the script is localstripe's Stripe.js with card entry added
    (``localdev/stripe_local.py``), so the same code path takes a typed card."""
    import os
    key = os.environ.get("CROWDFIX_STRIPE_PUBLISHABLE_KEY")
    if not key:
        return ok({"enabled": False})
    if not key.startswith("pk_"):
        raise ValidationFailed("CROWDFIX_STRIPE_PUBLISHABLE_KEY must be a publishable key (pk_...)",
                               field="publishable_key")
    return ok({"enabled": True, "publishable_key": key,
               "js_url": os.environ.get("CROWDFIX_STRIPE_JS_URL", "https://js.stripe.com/v3/")},
              headers={"Cache-Control": "public, max-age=300"})


@bp.route("/v1/bookings/{booking_id}/payment", methods=["POST"])
def authorise_payment(booking_id):
    from chalicelib.domain.payment_schemas import AuthorisePayment
    request = bp.current_request
    actor = authenticate(request, "customer")
    body = parse_body(request, AuthorisePayment)
    svc = _svc()
    pay = svc.authorise_booking(actor, path_id(booking_id, "b", "booking_id"), body.payment_method, body.use_saved)
    return ok(svc.payment_view(pay, actor), status=201)


@bp.route("/v1/bookings/{booking_id}/payment", methods=["GET"])
def get_payment(booking_id):
    actor = authenticate(bp.current_request, "customer", "ops")
    from chalicelib.services.bookings import get_booking_for
    booking = get_booking_for(actor, path_id(booking_id, "b", "booking_id"))
    svc = _svc()
    return ok(svc.payment_view(svc.get_payment(booking.booking_id), actor))


@bp.route("/v1/bookings/{booking_id}/tip", methods=["POST"])
def set_tip(booking_id):
    from chalicelib.domain.payment_schemas import SetTip
    request = bp.current_request
    actor = authenticate(request, "customer")
    body = parse_body(request, SetTip)
    svc = _svc()
    return ok(svc.payment_view(svc.set_tip(actor, path_id(booking_id, "b", "booking_id"), body.amount), actor))


@bp.route("/v1/bookings/{booking_id}/parts", methods=["POST"])
def add_part(booking_id):
    from chalicelib.domain.payment_schemas import AddPart
    request = bp.current_request
    actor = authenticate(request, "helper")
    body = parse_body(request, AddPart)
    pay = _svc().add_part(actor, path_id(booking_id, "b", "booking_id"), body.description, body.amount)
    return ok({"booking_id": pay.booking_id, "parts": (pay.extras.as_dict() or {}).get("parts", [])}, status=201)


@bp.route("/v1/bookings/{booking_id}/extra-approval", methods=["POST"])
def request_extra_approval(booking_id):
    """The assigned helper asks the customer to approve more than the price cap."""
    from chalicelib.domain.payment_schemas import ExtraApprovalRequest
    request = bp.current_request
    actor = authenticate(request, "helper")
    body = parse_body(request, ExtraApprovalRequest)
    svc = _svc()
    pay = svc.request_extra_approval(actor, path_id(booking_id, "b", "booking_id"), body.amount, body.currency,
                                     body.reason)
    return ok(svc.extra_approval_view(pay), status=201)


@bp.route("/v1/bookings/{booking_id}/extra-approval/approve", methods=["POST"])
def approve_extra_approval(booking_id):
    """The customer approves: the card hold is raised to the new limit (402 if the card declines)."""
    return _answer_extra_approval(booking_id, True)


@bp.route("/v1/bookings/{booking_id}/extra-approval/decline", methods=["POST"])
def decline_extra_approval(booking_id):
    """The customer declines: the limit stays as it was."""
    return _answer_extra_approval(booking_id, False)


def _answer_extra_approval(booking_id, approve: bool):
    from chalicelib.domain.payment_schemas import ExtraApprovalAnswer
    request = bp.current_request
    actor = authenticate(request, "customer")
    parse_body(request, ExtraApprovalAnswer, allow_empty=True)
    svc = _svc()
    return ok(svc.extra_approval_view(svc.answer_extra_approval(actor, path_id(booking_id, "b", "booking_id"), approve)))


@bp.route("/v1/bookings/{booking_id}/refund", methods=["POST"])
def refund(booking_id):
    from chalicelib.domain.payment_schemas import RefundRequest
    request = bp.current_request
    actor = authenticate(request, "ops")
    body = parse_body(request, RefundRequest, allow_empty=True)
    svc = _svc()
    pay = svc.refund_booking(actor, path_id(booking_id, "b", "booking_id"), body.amount, body.reason)
    return ok(svc.payment_view(pay, actor))


@bp.route("/v1/bookings/{booking_id}/ledger", methods=["GET"])
def booking_ledger(booking_id):
    actor = authenticate(bp.current_request, "ops")
    return ok(_svc().booking_ledger(actor, path_id(booking_id, "b", "booking_id")))


@bp.route("/v1/helper/payouts/onboarding", methods=["POST"])
def start_onboarding():
    actor = authenticate(bp.current_request, "helper")
    from chalicelib.settings import get_settings
    base = get_settings().public_base_url
    return ok(_svc().start_onboarding(actor, return_url=f"{base}/helper/payouts?done=1",
                                      refresh_url=f"{base}/helper/payouts?again=1"), status=201)


@bp.route("/v1/helper/payouts", methods=["GET"])
def payout_status():
    actor = authenticate(bp.current_request, "helper")
    return ok(_svc().payout_status(actor))


@bp.route("/v1/helper/statement", methods=["GET"])
def my_statement():
    actor = authenticate(bp.current_request, "helper")
    return ok(_svc().helper_statement(actor, actor.id))


@bp.route("/v1/helpers/{helper_id}/statement", methods=["GET"])
def helper_statement(helper_id):
    actor = authenticate(bp.current_request, "ops", "helper")
    return ok(_svc().helper_statement(actor, path_id(helper_id, "h", "helper_id")))


@bp.route("/v1/tenants/{tenant_id}/statement", methods=["GET"])
def tenant_statement(tenant_id):
    actor = authenticate(bp.current_request, "ops", "partner")
    if not tenant_id or len(tenant_id) > 64 or not tenant_id.replace("-", "").replace("_", "").isalnum():
        raise ValidationFailed("tenant_id is not a valid id", field="tenant_id")
    return ok(_svc().tenant_statement(actor, tenant_id))


@bp.route("/v1/stripe/webhook", methods=["POST"],
          content_types=["application/json", "application/json; charset=utf-8"])
def stripe_webhook():
    """Stripe's events: signature checked (HMAC, at most 300 s old), deduplicated on the event id,
    applied as monotone payment facts that refuse out-of-order states."""
    request = bp.current_request
    from chalicelib.adapters.stripe_gateway import verify_webhook
    from chalicelib.settings import get_secret

    event = verify_webhook(request.raw_body or b"", (request.headers or {}).get("stripe-signature"),
                           get_secret("STRIPE_WEBHOOK_SECRET"))
    result = _svc().handle_stripe_event(event)
    log.info("stripe event %s %s: %s", event["id"], event["type"], result)
    return ok({"received": True, "result": result})


@bp.schedule(Rate(1, unit=Rate.HOURS))
def renew_card_holds(event):
    """Card holds expire after ~7 days: renew those of open bookings, release the others."""
    return _svc().renew_or_release_holds()
