"""Response models of the HTTP API (pydantic), named by the route declarations and put into the
OpenAPI document. Open: a new field may be added without a breaking change; a field the answer
always has is required, so the fuzz test (``tests/integration/test_openapi_fuzz.py``) checks it.
Imported only to build the document (or by tests), never at ``import app``."""
from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain import partners as dp
from chalicelib.domain.booking_states import ALL_STATES


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
    attribution: Optional["AttributionReport"] = None  # visits, opens, bookings, calls per campaign (17.7)


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


class WebhookEvent(Open):
    """The body POSTed to a partner's endpoint, signed per Standard Webhooks (webhook-id,
    webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">)."""
    type: Literal[dp.WEBHOOK_EVENTS]  # type: ignore[valid-type]
    timestamp: str
    data: dict


# ---------------------------------------------------------------------------------------------
# answers of the routes that used to be documented as a generic JSON object

class Health(Open):
    ok: bool


class BookingStates(Open):
    transitions: list[dict]


class Catalog(Open):
    categories: list[str]
    languages: list[str]


class OpenApiDocument(Open):
    openapi: str
    info: dict
    paths: dict


class FrameAncestors(Open):
    tenant_id: str
    origins: list[str]


class OfferDeclined(Open):
    booking_id: str
    offer: Literal["declined"]


class PhoneVerification(Open):
    phone: str
    verified: bool
    expires_in: Optional[int] = None  # seconds the texted code is valid (when one was sent)


class GeocodeOut(Open):
    query: str
    source: Literal["amazon-location", "offline"]
    results: list[dict]


class DiscoverOut(Open):
    category: str
    mode: str
    radius_km: Optional[float]
    count: int
    helpers: list[dict]
    typical_minutes: Optional[Any]
    terms: Optional[Any]


class Rating(Open):
    average: Optional[float]
    count: int


class HelperProfileOut(Open):
    helper_id: str
    name: Optional[str]
    first_name: Optional[str]
    email: Optional[str]
    phone: Optional[str]
    bio: Optional[str]
    status: str
    skills: dict[str, int]
    qualifications: list[Any]
    area: dict
    hourly_rate: dict
    languages: list[str]
    remote: bool
    availability: dict
    rating: Rating


class AvailabilityOut(Open):
    weekly: dict
    on_call: bool
    off_duty: bool


class EarningsOut(Open):
    currency: Optional[str]
    total: int
    minutes_worked: int
    jobs: int
    basis: str
    items: list[dict]


class MessageList(Open):
    booking_id: str
    items: list[dict]


class NotificationSettingsOut(Open):
    email: bool
    sms: bool
    phone: Optional[str]
    phone_verified: bool
    language: Optional[str]
    quiet_hours: Optional[dict] = None  # helpers only


class VapidKey(Open):
    public_key: Optional[str]


class PushSubscriptionOut(Open):
    subscription_id: str
    device: Optional[str]
    push_service: Optional[str]
    created_at: str


class PushSubscriptionList(Open):
    items: list[PushSubscriptionOut]


class PushSubscriptionDeleted(Open):
    subscription_id: str
    deleted: bool


class PaymentsConfig(Open):
    enabled: bool
    publishable_key: Optional[str] = None
    js_url: Optional[str] = None


class PaymentOut(Open):
    """A booking's payment (``status: none`` and nothing else before a card was authorised)."""
    status: str
    booking_id: Optional[str] = None
    currency: Optional[str] = None
    authorised: Optional[int] = None
    captured: Optional[int] = None
    refunded: Optional[int] = None
    line_items: Optional[list[dict]] = None
    receipt: Optional[dict] = None
    extras: Optional[dict] = None
    extra_approvals: Optional[list[dict]] = None


class PartsOut(Open):
    booking_id: str
    parts: list[dict]


class ExtraApprovalOut(Open):
    booking_id: str
    currency: Optional[str]
    limit: Optional[int]
    payment_status: str
    extra_approval: Optional[dict]
    requests: list[dict]


class BookingLedger(Open):
    booking_id: str
    summary: Any
    balances: list[dict]
    movements: list[dict]


class OnboardingOut(Open):
    account_id: str
    url: str
    expires_at: Optional[Any]
    payout_ready: bool


class PayoutStatus(Open):
    account_id: Optional[str]
    payout_ready: bool


class HelperStatement(Open):
    helper_id: str
    totals: Any
    earnings: list[dict]
    payouts: list[dict]


class TenantStatement(Open):
    tenant_id: str
    totals: Any
    partner_share: list[dict]
    platform_fee: Optional[list[dict]]  # ops only


class StripeWebhookOut(Open):
    received: bool
    result: str


class ReviewOut(Open):
    booking_id: str
    helper_id: str
    overall: int
    patience: int
    clarity: int
    would_recommend: Optional[bool]
    would_book_again: Optional[bool]
    comment: Optional[str]
    comment_hidden: bool
    created_at: str
    updated_at: Optional[str]
    editable_until: Optional[str]
    version: int


class BookingRatings(Open):
    booking_id: str
    review: Optional[ReviewOut]
    customer_rating: Optional[dict]


class CustomerRatingOut(Open):
    booking_id: str
    stars: int
    private: bool


class PublicProfile(Open):
    helper_id: str
    first_name: Optional[str]
    skills: dict[str, int]
    languages: list[str]
    remote: bool
    rating: Any


class QualityCase(Open):
    case_id: str
    kind: str
    tenant_id: Optional[str]
    helper_id: Optional[str]
    booking_id: Optional[str]
    customer_id: Optional[str]
    rule: Optional[str]
    detail: Optional[Any]
    status: str
    outcome: Optional[str]
    notes: Optional[str]
    resolved_by: Optional[str]
    created_at: Optional[str]
    resolved_at: Optional[str]


class QualityCaseList(Open):
    items: list[QualityCase]


class HelperStatusOut(Open):
    helper_id: str
    status: str


class Figures(Open):
    period: dict
    tenant: dict
    platform: Optional[dict] = None  # platform staff only


class Deleted(Open):
    deleted: bool


class BookingDefaults(Open):
    """A returning customer's details from her last booking (all null for a first booking)."""
    name: Optional[str]
    phone: Optional[str]
    address: Optional[dict]
    saved_card: Optional[dict]  # {"last4": ...} when a card is saved


class HelperPhotoOut(Open):
    photo_url: str
    public: bool
    expires_in: int


class MyPhotoOut(Open):
    photo_url: Optional[str] = Field(description="a presigned URL of my current photo, or null if I have none")
    public: bool
    expires_in: int


class ErasureOut(Open):
    subject_type: Literal["customer", "helper"]
    subject_id: str
    tenant_id: str
    bookings: int
    changed: dict[str, int]
    total_changed: int


# ---- attribution (issue 17.7) and the tenant's brand for its widget ------------------------------

class AttributionCounted(Open):
    event_id: str
    counted: bool = Field(description="false: this event id was counted before (nothing changed)")


class AttributionRow(Open):
    affiliate_code: Optional[str]
    campaign: Optional[str]
    landing_visits: int
    widget_opens: int
    bookings_started: int
    bookings_completed: int
    call_clicks: int


class AttributionReport(Open):
    tenant_id: str
    totals: dict[str, int]
    by_campaign: list[AttributionRow]


class TenantBrand(Open):
    tenant_id: str
    name: str
    locale: str
    logo_url: Optional[str]
    primary: str
    accent: str
    text: str
    background: str
    hotline: Optional[str] = Field(description="the campaign's local hotline if it has one, else the tenant's")
