"""Partners: tenant administration (ops and the partner's admin), API keys, webhook endpoints and
their delivery log, the commission report, and the partner API ``/v1/partner/...`` (API key)."""
from __future__ import annotations

import json

from chalice import Blueprint

from chalicelib.domain.booking_states import ALL_STATES
from chalicelib.domain.errors import MalformedRequest
from chalicelib.handlers.batch import process_queue
from chalicelib.http import ADMIN_OR_KEY, PARTNER_KEY, TENANT_ADMINS, Edge, Reply, signed_in
from chalicelib.http import types as t
from chalicelib.http.cursors import sign_cursor
from chalicelib.lazy import lazy

bp = Blueprint(__name__)
api = Edge(bp, tag="api keys")
svc = lazy("chalicelib.services.partners")
webhooks = lazy("chalicelib.services.webhooks")
bookings = lazy("chalicelib.services.bookings")
OPS, ADMINS = signed_in("ops"), signed_in(*TENANT_ADMINS)
NO_STORE = {"Cache-Control": "no-store"}  # answers that carry a secret
PERIOD = t.pattern(r"^\d{4}-\d{2}$", "must be a month, YYYY-MM", "YYYY-MM").but(required=True)


# ---------------------------------------------------------------------------------------------
# tenants

@api.post("/v1/tenants", auth=OPS, body="partners:CreateTenant", response="TenantOut", status=201, tag="tenants")
def create_tenant(call):
    """Create a tenant (platform ops)"""
    tenant = svc.create_tenant(call.actor, call.body)
    return Reply(svc.tenant_view(tenant), headers={"Location": f"/v1/tenants/{tenant.tenant_id}"})


@api.get("/v1/tenants/{tenant_id}", auth=ADMIN_OR_KEY, response="TenantOut", tag="tenants")
def get_tenant(call, tenant_id):
    """A tenant's settings"""
    return svc.tenant_view(svc.get_tenant_for(call.actor, tenant_id))


@api.patch("/v1/tenants/{tenant_id}", auth=ADMIN_OR_KEY, body="partners:UpdateTenant", response="TenantOut",
           tag="tenants", content_types=["application/json", "application/merge-patch+json"])
def update_tenant(call, tenant_id):
    """Change a tenant's settings (JSON merge patch)"""
    return svc.tenant_view(svc.update_tenant(call.actor, tenant_id, call.body))


@api.post("/v1/tenants/{tenant_id}/admins", auth=OPS, body="partners:CreatePartnerAdmin", response="PartnerAdminOut",
          status=201, tag="tenants")
def add_partner_admin(call, tenant_id):
    """Name a partner administrator (platform ops)"""
    return svc.add_partner_admin(call.actor, tenant_id, call.body)


@api.get("/v1/tenants/{tenant_id}/commission", auth=ADMIN_OR_KEY, query={"period": PERIOD}, response="CommissionReport",
         tag="tenants")
def commission(call, tenant_id):
    """Commission report for a month"""
    return svc.commission_report(call.actor, tenant_id, call.query["period"])


# ---------------------------------------------------------------------------------------------
# API keys

@api.post("/v1/tenants/{tenant_id}/api-keys", auth=ADMIN_OR_KEY, body="partners:CreateApiKey",
          response="partners:ApiKeyCreated", status=201)
def create_api_key(call, tenant_id):
    """Create an API key (secret shown once)"""
    key, secret = svc.create_api_key(call.actor, tenant_id, call.body)
    return Reply({**svc.key_view(key), "secret": secret}, headers=NO_STORE)


@api.get("/v1/tenants/{tenant_id}/api-keys", auth=ADMINS, response="ApiKeyList")
def list_api_keys(call, tenant_id):
    """List API keys (prefix only)"""
    return {"items": [svc.key_view(k) for k in svc.list_api_keys(call.actor, tenant_id)]}


@api.post("/v1/tenants/{tenant_id}/api-keys/{key_id}/rotate", auth=ADMINS, response="partners:ApiKeyCreated",
          status=201)
def rotate_api_key(call, tenant_id, key_id):
    """Rotate: new secret, old key revoked"""
    key, secret = svc.rotate_api_key(call.actor, tenant_id, key_id)
    return Reply({**svc.key_view(key), "secret": secret}, headers=NO_STORE)


@api.post("/v1/tenants/{tenant_id}/api-keys/{key_id}/revoke", auth=ADMINS, response="partners:ApiKeyOut")
def revoke_api_key(call, tenant_id, key_id):
    """Revoke a key"""
    return svc.key_view(svc.revoke_api_key(call.actor, tenant_id, key_id))


# ---------------------------------------------------------------------------------------------
# webhook endpoints and deliveries

@api.post("/v1/tenants/{tenant_id}/webhooks", auth=ADMIN_OR_KEY, body="partners:CreateWebhookEndpoint",
          response="partners:WebhookEndpointCreated", status=201, tag="webhooks")
def create_webhook(call, tenant_id):
    """Add a webhook endpoint (secret shown once)"""
    ep = webhooks.create_endpoint(call.actor, tenant_id, call.body, call.environment)
    return Reply({**webhooks.endpoint_view(ep), "secret": ep.secret}, headers=NO_STORE)


@api.get("/v1/tenants/{tenant_id}/webhooks", auth=ADMIN_OR_KEY, response="WebhookList", tag="webhooks")
def list_webhooks(call, tenant_id):
    """List webhook endpoints"""
    return {"items": [webhooks.endpoint_view(e) for e in webhooks.list_endpoints(call.actor, tenant_id, call.environment)]}


@api.delete("/v1/tenants/{tenant_id}/webhooks/{endpoint_id}", auth=ADMIN_OR_KEY, response="Deleted", tag="webhooks")
def delete_webhook(call, tenant_id, endpoint_id):
    """Remove a webhook endpoint"""
    webhooks.delete_endpoint(call.actor, tenant_id, endpoint_id)
    return {"deleted": True}


@api.get("/v1/tenants/{tenant_id}/webhooks/{endpoint_id}/deliveries", auth=ADMIN_OR_KEY,
         query={"limit": t.limit(50, 100), "cursor": t.Cursor}, response="DeliveryList", tag="webhooks")
def list_deliveries(call, tenant_id, endpoint_id):
    """Delivery log of an endpoint, a page at a time

    Newest message ids first; follow ``next_cursor`` until it is null."""
    scope = f"deliveries:{tenant_id}:{endpoint_id}"  # a cursor continues only this endpoint's log
    items, after = webhooks.list_deliveries(call.actor, tenant_id, endpoint_id, call.query["limit"],
                                            after=call.cursor(scope), environment=call.environment)
    return {"items": [webhooks.delivery_view(d) for d in items], "next_cursor": sign_cursor(after, scope)}


@api.post("/v1/tenants/{tenant_id}/webhooks/{endpoint_id}/deliveries/{message_id}/redeliver", auth=ADMIN_OR_KEY,
          response="DeliveryOut", status=202, tag="webhooks")
def redeliver(call, tenant_id, endpoint_id, message_id):
    """Send a delivery again"""
    return webhooks.delivery_view(webhooks.redeliver(call.actor, tenant_id, endpoint_id, message_id, call.environment))


# ---------------------------------------------------------------------------------------------
# the partner API (API key)

@api.get("/v1/partner/tenant", auth=PARTNER_KEY, response="TenantOut", tag="partner API")
def partner_tenant(call):
    """The calling partner's tenant"""
    return {**svc.tenant_view(svc.get_tenant_for(call.actor, call.actor.tenant_id)), "environment": call.environment}


@api.get("/v1/partner/quote", auth=PARTNER_KEY, query_model="partners:PlaceQuery", response="partners:QuoteOut",
         tag="partner API")
def partner_quote(call):
    """Price and availability for a place and category"""
    return svc.quote(call.actor, call.query_model)


@api.get("/v1/partner/helpers", auth=PARTNER_KEY, query={"limit": t.limit(20, 50)}, query_model="partners:PlaceQuery",
         response="HelperList", tag="partner API")
def partner_helpers(call):
    """Helpers of the partner's pool for a place and category"""
    return {"items": svc.discover_helpers(call.actor, call.query_model, call.query["limit"])}


@api.post("/v1/partner/bookings", auth=PARTNER_KEY, body="partners:PartnerCreateBooking",
          headers={"Idempotency-Key": t.IdempotencyKey}, response="PartnerBookingOut", status=201, also=(200,),
          tag="partner API")
def partner_create_booking(call):
    """Book help for the partner's customer"""
    booking, created = svc.create_booking(call.actor, call.environment, call.body, call.headers["Idempotency-Key"])
    return Reply(svc.partner_booking_view(booking, call.actor), status=201 if created else 200,
                 headers={"Location": f"/v1/partner/bookings/{booking.booking_id}",
                          **({"Idempotent-Replayed": "true"} if not created else {})})


@api.get("/v1/partner/bookings", auth=PARTNER_KEY, response="PartnerBookingList", tag="partner API",
         query={"state": t.one_of(ALL_STATES), "external_ref": t.text(1, 64), "limit": t.limit(20, 100),
                "cursor": t.Cursor})
def partner_list_bookings(call):
    """The partner's bookings"""
    q = call.query
    scope = f"partner-bookings:{call.actor.tenant_id}:{q['external_ref'] or ''}"  # a cursor continues only this listing
    items, cursor = svc.list_bookings(call.actor, state=q["state"], external_ref=q["external_ref"], limit=q["limit"],
                                      cursor=call.cursor(scope), environment=call.environment)
    return {"items": [svc.partner_booking_view(b, call.actor) for b in items], "next_cursor": sign_cursor(cursor, scope)}


@api.get("/v1/partner/bookings/{booking_id}", auth=PARTNER_KEY, response="PartnerBookingOut", tag="partner API")
def partner_get_booking(call, booking_id):
    """One booking of the partner"""
    return svc.partner_booking_view(svc.partner_booking_for(call.actor, call.environment, booking_id), call.actor)


@api.post("/v1/partner/bookings/{booking_id}/cancel", auth=PARTNER_KEY, body="schemas:CancelBooking",
          body_optional=True, response="PartnerBookingOut", tag="partner API")
def partner_cancel_booking(call, booking_id):
    """Cancel a booking of the partner"""
    svc.partner_booking_for(call.actor, call.environment, booking_id)  # a key cancels in its own environment only
    booking = bookings.cancel_booking(call.actor, booking_id, reason=call.body.reason)
    return svc.partner_booking_view(booking, call.actor)


# ---------------------------------------------------------------------------------------------
# webhook delivery queue

def on_webhook_delivery(event):
    """Partner webhook deliveries (kind ``webhook-deliveries`` on the work queue, routed by
    ``handlers/work.py``)."""
    def handle(record):
        try:
            message = json.loads(record["body"])
        except ValueError:
            raise MalformedRequest("webhook queue message is not JSON") from None
        webhooks.deliver(message)

    return process_queue("webhook-deliveries", event, handle)
