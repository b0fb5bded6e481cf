"""The partner sandbox (test keys only): move a test booking through its simulated helper's steps,
send a test event to a webhook endpoint; and who a booking was offered to (ops and the partner)."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.http import ADMIN_OR_KEY, PARTNER_KEY, Edge, Reply, signed_in
from chalicelib.lazy import lazy

bp = Blueprint(__name__)
api = Edge(bp, tag="sandbox")
svc = lazy("chalicelib.services.sandbox")
partners = lazy("chalicelib.services.partners")
webhooks = lazy("chalicelib.services.webhooks")
TEST_MODE = ("Test keys only (cfx_test_...): a live key gets 403, in every stage. The booking must be a test "
             "booking of the key's tenant; its simulated helper takes the step, and the usual webhooks follow.")


def _moved(call, booking_id, step, **more):
    booking = svc.move(call.actor, call.environment, booking_id, step, **more)
    return partners.partner_booking_view(booking, call.actor)


@api.post("/v1/partner/sandbox/bookings/{booking_id}/accept", auth=PARTNER_KEY, response="PartnerBookingOut",
          errors=(409,), description=TEST_MODE)
def sandbox_accept(call, booking_id):
    """A simulated helper accepts the test booking"""
    return _moved(call, booking_id, "accept")


@api.post("/v1/partner/sandbox/bookings/{booking_id}/start", auth=PARTNER_KEY, response="PartnerBookingOut",
          errors=(409,), description=TEST_MODE)
def sandbox_start(call, booking_id):
    """The simulated helper starts the job"""
    return _moved(call, booking_id, "start")


@api.post("/v1/partner/sandbox/bookings/{booking_id}/complete", auth=PARTNER_KEY, body="SandboxComplete",
          response="PartnerBookingOut", errors=(409,), description=TEST_MODE)
def sandbox_complete(call, booking_id):
    """The simulated helper completes the job after the given minutes"""
    return _moved(call, booking_id, "complete", minutes_worked=call.body.minutes_worked)


@api.post("/v1/partner/sandbox/bookings/{booking_id}/cancel", auth=PARTNER_KEY, body="SandboxCancel",
          body_optional=True, response="PartnerBookingOut", errors=(409,), description=TEST_MODE)
def sandbox_cancel(call, booking_id):
    """Cancel the test booking as its customer or as its simulated helper"""
    return _moved(call, booking_id, "cancel", by=call.body.by, reason=call.body.reason)


@api.post("/v1/partner/sandbox/bookings/{booking_id}/payment-link", auth=PARTNER_KEY,
          response="SandboxPaymentLink", errors=(409,), description=TEST_MODE)
def sandbox_payment_link(call, booking_id):
    """The payment link of a test booking awaiting payment

    The link a card-billed partner's customer gets by e-mail/SMS (for a test booking the message is
    recorded, not sent). Open it and pay with a Stripe test card (pm_card_visa; declined:
    pm_card_visa_chargeDeclined): the hold is made in Stripe test mode and the booking goes to the
    simulated helpers."""
    return svc.payment_link_of(call.actor, call.environment, booking_id)


@api.post("/v1/partner/sandbox/invoices", auth=PARTNER_KEY, body="billing_schemas:IssueInvoice",
          response="billing_schemas:InvoiceOut", status=201, description=TEST_MODE)
def sandbox_issue_invoice(call):
    """Issue the month's test invoice now (the test bookings of a tenant billed by invoice)

    Its own series (``<TENANT>-TEST-000001``), read with the test key at /v1/tenants/{tenant_id}/invoices."""
    from chalicelib.services import billing

    svc.require_test_key(call.actor, call.environment)
    record = billing.issue_invoice(call.actor, call.actor.tenant_id, call.body.period, environment="test")
    return Reply(billing.invoice_view(record),
                 headers={"Location": f"/v1/tenants/{call.actor.tenant_id}/invoices/{record.number}"})


@api.post("/v1/tenants/{tenant_id}/webhooks/{endpoint_id}/test", auth=ADMIN_OR_KEY, body="SendTestEvent",
          response="DeliveryOut", status=202, tag="webhooks",
          description="An example event of the given type (data.sandbox true), signed and logged like any "
                      "delivery. The partner's admin, or a test key for its test endpoints; not a live key.")
def send_test_event(call, tenant_id, endpoint_id):
    """Send a test event to a webhook endpoint"""
    delivery = svc.send_test_event(call.actor, call.environment, tenant_id, endpoint_id, call.body.event_type)
    return Reply(webhooks.delivery_view(delivery), status=202)


@api.get("/v1/partner/bookings/{booking_id}/offers", auth=PARTNER_KEY, response="BookingOffers", tag="partner API")
def partner_booking_offers(call, booking_id):
    """Who the booking was offered to and when

    Helpers' first names only (no contact data); the assigned helper's id."""
    return {"booking_id": booking_id, "items": svc.offers_of(call.actor, booking_id, call.environment)}


@api.get("/v1/ops/bookings/{booking_id}/offers", auth=signed_in("ops"), response="BookingOffers", tag="ops")
def ops_booking_offers(call, booking_id):
    """Who the booking was offered to and when (helper ids and names)"""
    return {"booking_id": booking_id, "items": svc.offers_of(call.actor, booking_id)}
