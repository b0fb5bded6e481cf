"""The OpenAPI 3.1 document of the public API, generated from the pydantic models that validate
requests (and describe responses). One source of truth: a field added to a request model shows up
here with its limits; ``tests/unit/test_openapi.py`` checks that every route of the app is listed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import models_json_schema

from chalicelib.domain import erasure_schemas
from chalicelib.domain import partners as dp
from chalicelib.domain import schemas as s
from chalicelib.domain.booking_states import ALL_STATES
from chalicelib.domain.catalog import CATEGORIES, LANGUAGES

API_VERSION = "1.0.0"


# ---------------------------------------------------------------------------------------------
# response models (open: new fields may be added without a breaking change)

class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Problem(Open):
    type: str
    title: str
    status: int
    detail: str
    field: Optional[str] = None


class TimelineStep(Open):
    step: str
    state: str
    at: str
    by: str


class BookingOut(Open):
    booking_id: str
    state: Literal[ALL_STATES]  # type: ignore[valid-type]
    category: str
    description: str
    mode: str
    language: str
    price_cap: dict
    line_items: list[dict]
    minutes_worked: Optional[int]
    created_at: str
    updated_at: str
    version: int
    timeline: list[TimelineStep]
    helper: Optional[dict]
    location: Optional[dict] = None
    extra_approval: Optional[dict] = None  # the helper's latest request to allow more than the cap


class PartnerBookingOut(BookingOut):
    external_ref: Optional[str]
    affiliate_code: Optional[str]
    campaign: Optional[str]
    sandbox: bool


class BookingList(Open):
    items: list[BookingOut]
    next_cursor: Optional[str]


class PartnerBookingList(Open):
    items: list[PartnerBookingOut]
    next_cursor: Optional[str]


class TenantOut(Open):
    tenant_id: str
    name: str
    locale: str
    currency: str
    branding: dict
    landing: dict
    pricing: dict
    billing_model: Literal["card", "invoice"]
    helper_pool: Literal["own", "crowd", "both"]
    matching: dict
    rate_limit: dict


class ApiKeyList(Open):
    items: list[dp.ApiKeyOut]


class HelperList(Open):
    items: list[dp.HelperCard]


class DeliveryOut(Open):
    message_id: str
    endpoint_id: str
    event_type: str
    status: Literal["pending", "retrying", "delivered", "failed"]
    attempts: int
    last_status_code: Optional[int]
    attempt_log: list[dict]
    payload: dict


class DeliveryList(Open):
    items: list[DeliveryOut]


class WebhookList(Open):
    items: list[dp.WebhookEndpointOut]


class CommissionReport(Open):
    tenant_id: str
    period: str
    currency: str
    partner_share_percent: int
    totals: dict
    by_attribution: list[dict]
    bookings: list[dict]


class PartnerAdminOut(Open):
    staff_id: str
    email: str
    role: str
    tenant_id: str


class TokenOut(Open):
    token: str
    role: str
    id: str
    expires_in: int


class MeOut(Open):
    role: str
    id: str
    tenant_id: str


class OfferList(Open):
    items: list[dict]


class Accepted(Open):
    sent: bool
    detail: str


class Json(Open):
    pass


class FailureOut(Open):
    failure_id: str
    unit: str
    kind: str
    name: str
    booking_id: Optional[str]
    tenant_id: Optional[str]
    status: Literal["open", "replayed", "resolved"]
    error: str
    attempts: int
    first_failed_at: str
    last_failed_at: str
    replays: int
    replayed_at: Optional[str]
    replayed_by: Optional[str]


class FailureList(Open):
    items: list[FailureOut]


class ErasureOut(Open):
    subject_type: Literal["customer", "helper"]
    subject_id: str
    tenant_id: str
    bookings: int
    changed: dict[str, int]
    total_changed: int


class WebhookEvent(Open):
    """The body POSTed to a partner's endpoint, signed per Standard Webhooks (webhook-id,
    webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">)."""
    type: Literal[dp.WEBHOOK_EVENTS]  # type: ignore[valid-type]
    timestamp: str
    data: dict


# ---------------------------------------------------------------------------------------------
# operations

@dataclass
class Op:
    method: str
    path: str
    summary: str
    tag: str
    ok: type[BaseModel] | str  # response model, or a media type for non-JSON answers
    status: int = 200
    body: type[BaseModel] | None = None
    body_optional: bool = False
    auth: tuple[str, ...] = ()  # "bearer", "apiKey"
    query: list[dict] = field(default_factory=list)
    headers: list[dict] = field(default_factory=list)
    errors: tuple[int, ...] = ()
    description: str = ""


def q(name: str, schema: dict, description: str = "", required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": False,
               "schema": {"type": "string", "minLength": 1, "maxLength": 255},
               "description": "retrying with the same key returns the first result instead of a second booking"}
LIMIT = q("limit", {"type": "integer", "minimum": 1, "maximum": 100}, "page size")
CURSOR = q("cursor", {"type": "string"}, "next_cursor of the previous page")
PLACE = [q("category", {"enum": list(CATEGORIES)}, required=True),
         q("mode", {"enum": ["onsite", "remote"]}),
         q("lat", {"type": "number", "minimum": -90, "maximum": 90}, "required for on-site"),
         q("lon", {"type": "number", "minimum": -180, "maximum": 180}, "required for on-site"),
         q("language", {"enum": list(LANGUAGES)}),
         q("minutes", {"type": "integer", "minimum": 15, "maximum": 480}, "expected duration (quote)")]
BEARER = ("bearer",)
KEY = ("apiKey",)
ADMIN = ("bearer", "apiKey")

OPERATIONS: list[Op] = [
    # meta
    Op("GET", "/v1/health", "Is the API up", "meta", Json),
    Op("GET", "/v1/meta/booking-states", "The booking state machine", "meta", Json),
    Op("GET", "/v1/meta/catalog", "Categories and languages", "meta", Json),
    Op("GET", "/v1/openapi.json", "This document", "meta", Json),
    Op("GET", "/v1/docs", "Readable API reference", "meta", "text/html"),
    # sign-in
    Op("POST", "/v1/auth/code", "E-mail a sign-in code", "sign-in", Accepted, 202, s.RequestCode, errors=(429,)),
    Op("POST", "/v1/auth/token", "Exchange the code for a token", "sign-in", TokenOut, 200, s.ExchangeCode,
       errors=(401, 429)),
    Op("GET", "/v1/me", "Who am I", "sign-in", MeOut, auth=BEARER),
    # bookings (customers, helpers, ops)
    Op("POST", "/v1/bookings", "Book help", "bookings", BookingOut, 201, s.CreateBooking, auth=BEARER,
       headers=[IDEMPOTENCY], errors=(402, 403, 409)),
    Op("PUT", "/v1/helper/photo", "Upload my photo (helpers; the body is the JPEG or PNG, at most 2 MB; "
       "?public=true to show it on the public helper card too)", "helpers", Json, auth=BEARER,
       errors=(403, 413, 415)),
    Op("GET", "/v1/me/booking-defaults", "A returning customer's details from her last booking (name, phone, "
       "address, saved card)", "bookings", Json, auth=BEARER, errors=(403,)),
    Op("GET", "/v1/bookings", "My bookings", "bookings", BookingList, auth=BEARER, query=[LIMIT, CURSOR], errors=(403,)),
    Op("GET", "/v1/bookings/{booking_id}", "One booking", "bookings", BookingOut, auth=BEARER, errors=(403, 404)),
    Op("POST", "/v1/bookings/{booking_id}/cancel", "Cancel", "bookings", BookingOut, body=s.CancelBooking,
       body_optional=True, auth=BEARER, errors=(403, 404, 409)),
    Op("GET", "/v1/helper/offers", "My open offers (helpers)", "bookings", OfferList, auth=BEARER, errors=(403,)),
    Op("POST", "/v1/bookings/{booking_id}/accept", "Accept an offer", "bookings", BookingOut, auth=BEARER,
       errors=(403, 404, 409)),
    Op("POST", "/v1/bookings/{booking_id}/decline", "Decline an offer", "bookings", Json, auth=BEARER,
       errors=(403, 404, 409)),
    Op("POST", "/v1/bookings/{booking_id}/depart", "On the way", "bookings", BookingOut, auth=BEARER, errors=(403, 404, 409)),
    Op("POST", "/v1/bookings/{booking_id}/start", "Started", "bookings", BookingOut, auth=BEARER, errors=(403, 404, 409)),
    Op("POST", "/v1/bookings/{booking_id}/complete", "Done", "bookings", BookingOut, body=s.CompleteBooking,
       auth=BEARER, errors=(403, 404, 409)),
    # tenants (ops, partner admin)
    Op("POST", "/v1/tenants", "Create a tenant (platform ops)", "tenants", TenantOut, 201, dp.CreateTenant,
       auth=BEARER, errors=(403, 409)),
    Op("GET", "/v1/tenants/{tenant_id}", "A tenant's settings", "tenants", TenantOut, auth=ADMIN, errors=(403, 404)),
    Op("PATCH", "/v1/tenants/{tenant_id}", "Change a tenant's settings", "tenants", TenantOut, body=dp.UpdateTenant,
       auth=BEARER, errors=(403, 404)),
    Op("POST", "/v1/tenants/{tenant_id}/admins", "Name a partner administrator (platform ops)", "tenants",
       PartnerAdminOut, 201, dp.CreatePartnerAdmin, auth=BEARER, errors=(403, 404, 409)),
    Op("POST", "/v1/tenants/{tenant_id}/api-keys", "Create an API key (secret shown once)", "api keys",
       dp.ApiKeyCreated, 201, dp.CreateApiKey, auth=BEARER, errors=(403, 404)),
    Op("GET", "/v1/tenants/{tenant_id}/api-keys", "List API keys (prefix only)", "api keys", ApiKeyList,
       auth=BEARER, errors=(403, 404)),
    Op("POST", "/v1/tenants/{tenant_id}/api-keys/{key_id}/rotate", "Rotate: new secret, old key revoked",
       "api keys", dp.ApiKeyCreated, 201, auth=BEARER, errors=(403, 404, 409)),
    Op("POST", "/v1/tenants/{tenant_id}/api-keys/{key_id}/revoke", "Revoke a key", "api keys", dp.ApiKeyOut,
       auth=BEARER, errors=(403, 404)),
    Op("POST", "/v1/tenants/{tenant_id}/webhooks", "Add a webhook endpoint (secret shown once)", "webhooks",
       dp.WebhookEndpointCreated, 201, dp.CreateWebhookEndpoint, auth=ADMIN, errors=(403, 404)),
    Op("GET", "/v1/tenants/{tenant_id}/webhooks", "List webhook endpoints", "webhooks", WebhookList, auth=ADMIN,
       errors=(403, 404)),
    Op("DELETE", "/v1/tenants/{tenant_id}/webhooks/{endpoint_id}", "Remove a webhook endpoint", "webhooks", Json,
       auth=ADMIN, errors=(403, 404)),
    Op("GET", "/v1/tenants/{tenant_id}/webhooks/{endpoint_id}/deliveries", "Delivery log of an endpoint",
       "webhooks", DeliveryList, auth=ADMIN, query=[LIMIT], errors=(403, 404)),
    Op("POST", "/v1/tenants/{tenant_id}/webhooks/{endpoint_id}/deliveries/{message_id}/redeliver",
       "Send a delivery again", "webhooks", DeliveryOut, 202, auth=ADMIN, errors=(403, 404)),
    Op("GET", "/v1/tenants/{tenant_id}/commission", "Commission report for a month", "tenants", CommissionReport,
       auth=ADMIN, query=[q("period", {"type": "string", "pattern": r"^\d{4}-\d{2}$"}, "YYYY-MM", True)],
       errors=(403, 404)),
    # partner API
    Op("GET", "/v1/partner/tenant", "The calling partner's tenant", "partner API", TenantOut, auth=KEY),
    Op("GET", "/v1/partner/quote", "Price and availability for a place and category", "partner API",
       dp.QuoteOut, auth=KEY, query=PLACE),
    Op("GET", "/v1/partner/helpers", "Helpers of the partner's pool for a place and category", "partner API",
       HelperList, auth=KEY, query=PLACE[:5] + [q("limit", {"type": "integer", "minimum": 1, "maximum": 50})]),
    Op("POST", "/v1/partner/bookings", "Book help for the partner's customer", "partner API", PartnerBookingOut,
       201, dp.PartnerCreateBooking, auth=KEY, headers=[IDEMPOTENCY], errors=(409,)),
    Op("GET", "/v1/partner/bookings", "The partner's bookings", "partner API", PartnerBookingList, auth=KEY,
       query=[q("state", {"enum": list(ALL_STATES)}), q("external_ref", {"type": "string", "minLength": 1,
              "maxLength": 64}), LIMIT, CURSOR]),
    Op("GET", "/v1/partner/bookings/{booking_id}", "One booking of the partner", "partner API", PartnerBookingOut,
       auth=KEY, errors=(404,)),
    Op("POST", "/v1/partner/bookings/{booking_id}/cancel", "Cancel a booking of the partner", "partner API",
       PartnerBookingOut, body=s.CancelBooking, body_optional=True, auth=KEY, errors=(404, 409)),
    # widget and landing page
    Op("GET", "/v1/partners/{tenant_id}/widget.js", "Embeddable booking widget (one script tag)", "widget",
       "application/javascript", errors=(404,)),
    Op("GET", "/v1/partners/{tenant_id}/landing", "Branded landing page", "widget", "text/html", errors=(404,)),
    Op("GET", "/v1/partners/{tenant_id}/frame-ancestors", "Origins that may embed the widget (the app's CSP frame-ancestors)",
       "widget", Json, 200, errors=(404,)),
]

PATH_PARAMS = {
    "booking_id": {"type": "string", "pattern": "^b_[A-Za-z0-9]{6,40}$"},
    "tenant_id": {"type": "string", "pattern": dp.TENANT_ID},
    "key_id": {"type": "string", "pattern": "^key_[A-Za-z0-9]{6,40}$"},
    "endpoint_id": {"type": "string", "pattern": "^we_[A-Za-z0-9]{6,40}$"},
    "message_id": {"type": "string", "pattern": "^msg_[a-f0-9]{26}$"},
}



# Routes of the capabilities that landed after the partner API: same shape, generic JSON answers.
from chalicelib.domain import helper_schemas, notification_schemas, payment_schemas, review_schemas  # noqa: E402
from chalicelib.domain.schemas import DiscoverQuery  # noqa: E402

_ALL_4XX = (400, 401, 402, 403, 404, 409, 410, 422, 429)
PATH_PARAMS.update({
    "helper_id": {"type": "string", "pattern": "^h_[A-Za-z0-9]{6,40}$"},
    "subscription_id": {"type": "string", "pattern": "^ps_[A-Za-z0-9]{6,40}$"},
    "rule": {"type": "string", "minLength": 1, "maxLength": 40},
    "failure_id": {"type": "string", "pattern": "^f_[a-f0-9]{24}$"},
})
DISCOVER_QUERY = [q(name, {k: v for k, v in prop.items() if k not in ("default", "title")},
                    prop.get("description", ""), required=name in DiscoverQuery.model_json_schema().get("required", []))
                  for name, prop in DiscoverQuery.model_json_schema()["properties"].items()]

OPERATIONS += [
    Op("GET", "/v1/payments/config", "Card entry settings for the web app (publishable key only)", "payments", Json),
    Op("POST", "/v1/push/subscriptions", "Register this browser for Web Push", "notifications", Json, 201, body=notification_schemas.PushSubscriptionIn, auth=BEARER, errors=_ALL_4XX),
    Op("POST", "/v1/me/phone-verification", "Text a code to a mobile number (SMS go only to a verified number)",
       "notifications", Json, 202, body=notification_schemas.PhoneVerificationStart, auth=BEARER, errors=_ALL_4XX),
    Op("POST", "/v1/me/phone-verification/confirm", "Confirm the mobile number with the texted code", "notifications",
       Json, 200, body=notification_schemas.PhoneVerificationConfirm, auth=BEARER, errors=_ALL_4XX),
    Op("PUT", "/v1/me/notification-settings", "Choose how to be told (e-mail, SMS, push, language, quiet hours)", "notifications", Json, body=notification_schemas.NotificationSettings, auth=BEARER, errors=_ALL_4XX),
    Op("POST", "/v1/bookings/{booking_id}/customer-rating", 'rate customer', "reviews", Json, 201, body=review_schemas.RateCustomer, auth=BEARER, errors=_ALL_4XX),
    Op("GET", "/v1/bookings/{booking_id}/ledger", 'booking ledger', "payments", Json, auth=BEARER, errors=_ALL_4XX),
    Op("GET", "/v1/bookings/{booking_id}/messages", 'booking messages', "notifications", Json, auth=BEARER, errors=_ALL_4XX),
    Op("POST", "/v1/bookings/{booking_id}/parts", 'add part', "payments", Json, 201, body=payment_schemas.AddPart, auth=BEARER, errors=_ALL_4XX),
    Op("GET", "/v1/bookings/{booking_id}/payment", 'get payment', "payments", Json, auth=BEARER, errors=_ALL_4XX),
    Op("POST", "/v1/bookings/{booking_id}/payment", 'authorise payment', "payments", Json, 201, body=payment_schemas.AuthorisePayment, auth=BEARER, errors=_ALL_4XX),
    Op("POST", "/v1/bookings/{booking_id}/refund", 'refund', "payments", Json, body=payment_schemas.RefundRequest, body_optional=True, auth=BEARER, errors=_ALL_4XX),
    Op("GET", "/v1/bookings/{booking_id}/review", 'get review', "reviews", Json, auth=BEARER, errors=_ALL_4XX),
    Op("PATCH", "/v1/bookings/{booking_id}/review", 'edit review', "reviews", Json, body=review_schemas.EditReview, auth=(), errors=_ALL_4XX),
    Op("POST", "/v1/bookings/{booking_id}/review", 'submit review', "reviews", Json, 201, body=review_schemas.SubmitReview, auth=(), errors=_ALL_4XX),
    Op("POST", "/v1/bookings/{booking_id}/extra-approval", 'The assigned helper asks the customer to approve more than the price cap', "payments", Json, 201, body=payment_schemas.ExtraApprovalRequest, auth=BEARER, errors=_ALL_4XX),
    Op("POST", "/v1/bookings/{booking_id}/extra-approval/approve", 'The customer approves: the card hold is raised to the new limit', "payments", Json, body=payment_schemas.ExtraApprovalAnswer, body_optional=True, auth=BEARER, errors=_ALL_4XX),
    Op("POST", "/v1/bookings/{booking_id}/extra-approval/decline", 'The customer declines: the limit stays', "payments", Json, body=payment_schemas.ExtraApprovalAnswer, body_optional=True, auth=BEARER, errors=_ALL_4XX),
    Op("POST", "/v1/bookings/{booking_id}/tip", 'set tip', "payments", Json, body=payment_schemas.SetTip, auth=BEARER, errors=_ALL_4XX),
    Op("GET", "/v1/discover", 'Helpers near a place for a category. No sign-in: shows no home location and no contact', "discovery", Json, auth=(), query=DISCOVER_QUERY, errors=_ALL_4XX),
    Op("GET", "/v1/geocode", 'geocode', "discovery", Json, auth=(), query=[q("q", {"type": "string", "minLength": 1, "maxLength": 120}, "postcode, district or city", required=True), q("lang", {"enum": list(LANGUAGES)})], errors=_ALL_4XX),
    Op("PUT", "/v1/helper/availability", 'put availability', "helpers", Json, body=helper_schemas.HelperAvailabilityUpdate, auth=BEARER, errors=_ALL_4XX),
    Op("GET", "/v1/helper/earnings", 'get earnings', "helpers", Json, auth=BEARER, errors=_ALL_4XX),
    Op("GET", "/v1/helper/payouts", 'payout status', "payments", Json, auth=BEARER, errors=_ALL_4XX),
    Op("POST", "/v1/helper/payouts/onboarding", 'start onboarding', "payments", Json, 201, auth=BEARER, errors=_ALL_4XX),
    Op("GET", "/v1/helper/profile", 'get profile', "helpers", Json, auth=BEARER, errors=_ALL_4XX),
    Op("PUT", "/v1/helper/profile", 'put profile', "helpers", Json, body=helper_schemas.HelperProfileUpdate, auth=BEARER, errors=_ALL_4XX),
    Op("GET", "/v1/helper/statement", 'my statement', "payments", Json, auth=BEARER, errors=_ALL_4XX),
    Op("GET", "/v1/helpers/{helper_id}", 'helper profile', "reviews", Json, auth=(), errors=_ALL_4XX),
    Op("GET", "/v1/helpers/{helper_id}/statement", 'helper statement', "payments", Json, auth=BEARER, errors=_ALL_4XX),
    Op("GET", "/v1/me/notification-settings", 'get settings route', "notifications", Json, auth=BEARER, errors=_ALL_4XX),
    Op("GET", "/v1/ops/bookings/{booking_id}/ratings", 'booking ratings', "quality (ops)", Json, auth=BEARER, errors=_ALL_4XX),
    Op("POST", "/v1/ops/bookings/{booking_id}/review/visibility", 'hide comment', "quality (ops)", Json, body=review_schemas.HideComment, auth=BEARER, errors=_ALL_4XX),
    Op("GET", "/v1/ops/figures", 'figures', "quality (ops)", Json, auth=BEARER, errors=_ALL_4XX),
    Op("POST", "/v1/ops/helpers/{helper_id}/flags/{rule}/resolve", 'resolve flag', "quality (ops)", Json, body=review_schemas.ResolveFlag, auth=BEARER, errors=_ALL_4XX),
    Op("POST", "/v1/ops/helpers/{helper_id}/reinstate", 'reinstate', "quality (ops)", Json, body=review_schemas.SuspendHelper, auth=BEARER, errors=_ALL_4XX),
    Op("POST", "/v1/ops/helpers/{helper_id}/suspend", 'suspend', "quality (ops)", Json, body=review_schemas.SuspendHelper, auth=BEARER, errors=_ALL_4XX),
    Op("GET", "/v1/ops/quality/cases", 'quality cases', "quality (ops)", Json, auth=BEARER, query=[q("limit", {"type": "string"})], errors=_ALL_4XX),
    Op("POST", "/v1/ops/spot-checks/{booking_id}", 'record spot check', "quality (ops)", Json, body=review_schemas.SpotCheckOutcome, auth=BEARER, errors=_ALL_4XX),
    Op("GET", "/v1/push/subscriptions", 'my subscriptions', "notifications", Json, auth=BEARER, errors=_ALL_4XX),
    Op("DELETE", "/v1/push/subscriptions/{subscription_id}", 'remove subscription', "notifications", Json, auth=BEARER, errors=_ALL_4XX),
    Op("GET", "/v1/push/vapid-public-key", 'vapid key', "notifications", Json, auth=(), errors=_ALL_4XX),
    Op("GET", "/v1/ops/failures", "Work that used up its retries (the failure store): what failed, why, how often",
       "operations", FailureList, auth=BEARER,
       query=[q("status", {"type": "string", "enum": ["open", "replayed", "resolved"]}),
              q("limit", {"type": "integer", "minimum": 1, "maximum": 200})], errors=_ALL_4XX),
    Op("POST", "/v1/ops/failures/{failure_id}/replay", "Send a failed unit of work to the work queue again",
       "operations", FailureOut, 202, auth=BEARER, errors=_ALL_4XX),
    Op("POST", "/v1/ops/erasure", "Erase a customer's or helper's personal data; bookings, payments and the "
       "ledger stay, referring to the pseudonymous id (409 while they have open bookings)", "operations",
       ErasureOut, body=erasure_schemas.ErasureRequest, auth=BEARER, errors=_ALL_4XX),
    Op("POST", "/v1/stripe/webhook", "Stripe's events (signature checked, at most 300 s old, deduplicated on the event id)", "payments", Json, auth=(), errors=_ALL_4XX),
    Op("GET", "/v1/tenants/{tenant_id}/statement", 'tenant statement', "payments", Json, auth=BEARER, errors=_ALL_4XX),
]

def _path_params(path: str) -> list[dict]:
    import re
    return [{"name": n, "in": "path", "required": True, "schema": PATH_PARAMS[n]} for n in re.findall(r"{(\w+)}", path)]


def build(server_url: str = "/") -> dict[str, Any]:
    """The OpenAPI 3.1 document."""
    models: list[tuple[type[BaseModel], str]] = [(Problem, "serialization"), (WebhookEvent, "serialization")]
    for op in OPERATIONS:
        if op.body:
            models.append((op.body, "validation"))
        if isinstance(op.ok, type):
            models.append((op.ok, "serialization"))
    seen, unique = set(), []
    for m in models:
        if m not in seen:
            seen.add(m)
            unique.append(m)
    refs, defs = models_json_schema(unique, ref_template="#/components/schemas/{model}")
    schemas = defs.get("$defs", {})

    def ref(model, mode):
        return refs[(model, mode)]

    problem = {"application/problem+json": {"schema": ref(Problem, "serialization")}}
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        responses: dict[str, Any] = {}
        if isinstance(op.ok, type):
            responses[str(op.status)] = {"description": "OK", "content": {"application/json": {"schema": ref(op.ok, "serialization")}}}
        else:
            responses[str(op.status)] = {"description": "OK", "content": {op.ok: {"schema": {"type": "string"}}}}
        if op.body and op.status == 201:
            responses["200"] = {"description": "replayed with the same Idempotency-Key",
                                "content": {"application/json": {"schema": ref(op.ok, "serialization")}}}
        codes = set(op.errors) | {400, 404, 422} | ({413} if op.body else set())
        if op.auth:
            codes |= {401, 403, 429} if "apiKey" in op.auth else {401, 403}
        for code in sorted(codes):
            responses[str(code)] = {"description": _REASONS.get(code, "error"), "content": problem}
        responses["500"] = {"description": "unexpected error (never expected)", "content": problem}
        operation: dict[str, Any] = {
            "operationId": _op_id(op), "summary": op.summary, "tags": [op.tag],
            "parameters": _path_params(op.path) + op.query + op.headers, "responses": responses,
        }
        if op.description:
            operation["description"] = op.description
        if op.auth:
            operation["security"] = [{"bearerAuth": []} if a == "bearer" else {"apiKeyHeader": []} for a in op.auth] + \
                ([{"apiKeyBearer": []}] if "apiKey" in op.auth else [])
        if op.body:
            operation["requestBody"] = {"required": not op.body_optional,
                                        "content": {"application/json": {"schema": ref(op.body, "validation")}}}
        paths.setdefault(op.path, {})[op.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "crowdfix API", "version": API_VERSION,
                 "description": "Personal tech help from vetted helpers nearby. Partners book for their customers "
                                "with an API key, receive signed webhooks (Standard Webhooks) and embed the widget. "
                                "Money is integer minor units with an ISO currency. Errors are problem JSON "
                                "(RFC 9457) naming the field."},
        "servers": [{"url": server_url}],
        "tags": [{"name": t} for t in dict.fromkeys(op.tag for op in OPERATIONS)],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "token from /v1/auth/token (customers, helpers, ops, partner admins)"},
                "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-Api-Key",
                                 "description": "partner API key cfx_live_... or cfx_test_..."},
                "apiKeyBearer": {"type": "http", "scheme": "bearer", "bearerFormat": "cfx_ API key",
                                 "description": "the same API key as Authorization: Bearer cfx_..."},
            },
        },
        "webhooks": {event: {"post": {
            "summary": f"{event} (to each subscribed endpoint)", "operationId": "webhook_" + event.replace(".", "_"),
            "parameters": [{"name": h, "in": "header", "required": True, "schema": {"type": "string"}}
                           for h in ("webhook-id", "webhook-timestamp", "webhook-signature")],
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": ref(WebhookEvent, "serialization")}}},
            "responses": {"2XX": {"description": "received; anything else is retried with back-off for 3 days"}},
        }} for event in dp.WEBHOOK_EVENTS},
        "x-webhooks-signing": "Standard Webhooks v1: webhook-id, webhook-timestamp, webhook-signature (HMAC-SHA256, whsec_ secret)",
    }


_REASONS = {400: "the request could not be read", 401: "missing or invalid credentials", 403: "not allowed",
            404: "not found (or not yours)", 409: "conflicts with the current state", 422: "a field is not valid",
            413: "the body is larger than 64 KiB", 429: "rate limit reached; see Retry-After"}


def _op_id(op: Op) -> str:
    import re
    words = re.sub(r"[{}]", "", op.path.removeprefix("/v1/")).replace(".", "_").replace("-", "_").split("/")
    return op.method.lower() + "_" + "_".join(w for w in words if w)
