"""Payments API (v1): card authorisation, tips and parts, refunds, helpers' payout onboarding,
statements, the Stripe webhook, and the schedule that renews card holds."""
from __future__ import annotations

import logging
import os

from chalice import Blueprint, Rate

from chalicelib.domain.errors import ValidationFailed
from chalicelib.http import ADMIN_OR_KEY, Edge, Reply, signed_in
from chalicelib.http import types as t
from chalicelib.lazy import lazy
from chalicelib.credentials import get_secret
from chalicelib.settings import get_settings

bp = Blueprint(__name__)
api = Edge(bp, tag="payments")
log = logging.getLogger("crowdfix.payments")
svc = lazy("chalicelib.services.payments")
bookings = lazy("chalicelib.services.bookings")
stripe_gateway = lazy("chalicelib.adapters.stripe_gateway")
CUSTOMER, HELPER, OPS = signed_in("customer"), signed_in("helper"), signed_in("ops")
STRIPE = (402, 502)  # the card is declined; the payment provider does not answer


@api.get("/v1/payments/config", query={"mode": t.one_of(("live", "test"), "live")}, response="PaymentsConfig")
def payments_config(call):
    """Card entry settings for the web app (publishable key only)

    What the web app needs to take a card with Stripe.js: the publishable key and the script URL.
    Public values only, never the secret key. ``mode=test`` gives the Stripe *test* publishable key,
    for the payment link of a sandbox booking (its hold is made with the test secret key, and Stripe
    takes a card only from the publishable key of the same mode). Without the key card entry is off.
    Locally the script is localstripe's Stripe.js with card entry added (``localdev/stripe_local.py``),
    so the same code path takes a typed card."""
    test = call.query["mode"] == "test"
    name = "CROWDFIX_STRIPE_TEST_PUBLISHABLE_KEY" if test else "CROWDFIX_STRIPE_PUBLISHABLE_KEY"
    key = os.environ.get(name)
    if not key:
        return {"enabled": False}
    if not key.startswith("pk_test_" if test else "pk_"):
        raise ValidationFailed(f"{name} must be a {'test ' if test else ''}publishable key "
                               f"({'pk_test_' if test else 'pk_'}...)", field="publishable_key")
    return Reply({"enabled": True, "publishable_key": key,
                  "js_url": os.environ.get("CROWDFIX_STRIPE_JS_URL", "https://js.stripe.com/v3/")},
                 headers={"Cache-Control": "public, max-age=300"})


@api.post("/v1/bookings/{booking_id}/payment", auth=CUSTOMER, body="payment_schemas:AuthorisePayment",
          response="PaymentOut", status=201, errors=STRIPE)
def authorise_payment(call, booking_id):
    """Authorise the card for a booking (a hold up to the price cap)"""
    pay = svc.authorise_booking(call.actor, booking_id, call.body.payment_method, call.body.use_saved)
    return svc.payment_view(pay, call.actor)


@api.get("/v1/bookings/{booking_id}/payment", auth=signed_in("customer", "ops"), response="PaymentOut")
def get_payment(call, booking_id):
    """The payment of a booking"""
    booking = bookings.get_booking_for(call.actor, booking_id)
    return svc.payment_view(svc.get_payment(booking.booking_id), call.actor)


@api.post("/v1/bookings/{booking_id}/tip", auth=CUSTOMER, body="payment_schemas:SetTip", response="PaymentOut",
          errors=STRIPE)
def set_tip(call, booking_id):
    """Set the tip"""
    return svc.payment_view(svc.set_tip(call.actor, booking_id, call.body.amount), call.actor)


@api.post("/v1/bookings/{booking_id}/parts", auth=HELPER, body="payment_schemas:AddPart", response="PartsOut",
          status=201)
def add_part(call, booking_id):
    """Add a part the helper bought"""
    pay = svc.add_part(call.actor, booking_id, call.body.description, call.body.amount)
    return {"booking_id": pay.booking_id, "parts": pay.extras.get("parts", [])}


@api.post("/v1/bookings/{booking_id}/extra-approval", auth=HELPER, body="payment_schemas:ExtraApprovalRequest",
          response="ExtraApprovalOut", status=201)
def request_extra_approval(call, booking_id):
    """The assigned helper asks the customer to approve more than the price cap"""
    body = call.body
    return svc.extra_approval_view(svc.request_extra_approval(call.actor, booking_id, body.amount, body.currency,
                                                              body.reason))


@api.post("/v1/bookings/{booking_id}/extra-approval/approve", auth=CUSTOMER, body="payment_schemas:ExtraApprovalAnswer",
          body_optional=True, response="ExtraApprovalOut", errors=STRIPE)
def approve_extra_approval(call, booking_id):
    """The customer approves: the card hold is raised to the new limit (402 if the card declines)"""
    return svc.extra_approval_view(svc.answer_extra_approval(call.actor, booking_id, True))


@api.post("/v1/bookings/{booking_id}/extra-approval/decline", auth=CUSTOMER, body="payment_schemas:ExtraApprovalAnswer",
          body_optional=True, response="ExtraApprovalOut")
def decline_extra_approval(call, booking_id):
    """The customer declines: the limit stays as it was"""
    return svc.extra_approval_view(svc.answer_extra_approval(call.actor, booking_id, False))


@api.post("/v1/bookings/{booking_id}/refund", auth=OPS, body="payment_schemas:RefundRequest", body_optional=True,
          response="PaymentOut", errors=(502,))
def refund(call, booking_id):
    """Refund (ops): all or part of what was captured"""
    return svc.payment_view(svc.refund_booking(call.actor, booking_id, call.body.amount, call.body.reason), call.actor)


@api.get("/v1/bookings/{booking_id}/ledger", auth=OPS, response="BookingLedger")
def booking_ledger(call, booking_id):
    """The ledger movements of a booking (ops)"""
    return svc.booking_ledger(call.actor, booking_id)


@api.post("/v1/helper/payouts/onboarding", auth=HELPER, response="OnboardingOut", status=201, errors=(502,))
def start_onboarding(call):
    """Start payout onboarding (a Stripe account link)"""
    base = get_settings().public_base_url
    return svc.start_onboarding(call.actor, return_url=f"{base}/helper/payouts?done=1",
                                refresh_url=f"{base}/helper/payouts?again=1")


@api.get("/v1/helper/payouts", auth=HELPER, response="PayoutStatus")
def payout_status(call):
    """Can I be paid out"""
    return svc.payout_status(call.actor)


@api.get("/v1/helper/statement", auth=HELPER, response="HelperStatement")
def my_statement(call):
    """My statement (helpers)"""
    return svc.helper_statement(call.actor, call.actor.id)


@api.get("/v1/helpers/{helper_id}/statement", auth=signed_in("ops", "helper"), response="HelperStatement")
def helper_statement(call, helper_id):
    """A helper's statement"""
    return svc.helper_statement(call.actor, helper_id)


@api.get("/v1/tenants/{tenant_id}/statement", auth=ADMIN_OR_KEY, response="TenantStatement")
def tenant_statement(call, tenant_id):
    """A tenant's statement"""
    return svc.tenant_statement(call.actor, tenant_id)


@api.post("/v1/stripe/webhook", response="StripeWebhookOut",
          content_types=["application/json", "application/json; charset=utf-8"])
def stripe_webhook(call):
    """Stripe's events (signature checked, at most 300 s old, deduplicated on the event id)

    Applied as monotone payment facts that refuse out-of-order states."""
    request = call.request
    event = stripe_gateway.verify_webhook(request.raw_body or b"", (request.headers or {}).get("stripe-signature"),
                                          get_secret("STRIPE_WEBHOOK_SECRET"))
    result = svc.handle_stripe_event(event)
    log.info("stripe event %s %s: %s", event["id"], event["type"], result)
    return {"received": True, "result": result}


@bp.schedule(Rate(1, unit=Rate.HOURS))
def renew_card_holds(event):
    """Card holds expire after ~7 days: renew those of open bookings, release the others."""
    return svc.renew_or_release_holds()
