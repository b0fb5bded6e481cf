"""Response models of the HTTP API (pydantic), named by the route declarations and put into the
OpenAPI document. Open: a new field may be added without a breaking change; a field the answer
always has is required, so the fuzz test (``tests/integration/test_openapi_fuzz.py``) checks it.
Imported only to build the document (or by tests), never at ``import app``."""
from __future__ import annotations

from typing import Any, Literal, Optional, Union

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


# ---------------------------------------------------------------------------------------------
# nested parts of the answers (every object in the document names its properties)

class MoneyOut(Open):
    amount: int = Field(description="integer minor units (cents/Rappen)")
    currency: str = Field(description="ISO 4217, e.g. CHF")


LineItemOut = dp.LineItemOut  # one definition (domain/partners.py), also in the quote


class RatingOut(Open):
    average: Optional[float]
    count: int
    plain_average: Optional[float] = None
    label: Optional[str] = None


class Window(Open):
    from_: str = Field(alias="from")
    to: str


class HelperOnBooking(Open):
    """The assigned helper as the caller may see them (first name, photo, rating; the phone only
    for the booking's own customer while the job runs)."""
    helper_id: str
    first_name: Optional[str] = None
    photo_url: Optional[str] = None
    rating: Optional[RatingOut] = None
    languages: Optional[list[str]] = None
    why: Optional[str] = Field(default=None, description="why this helper, in plain words")
    arrival: Optional[Window] = None
    phone: Optional[str] = None


class LocationOut(Open):
    lat: Optional[float] = None
    lon: Optional[float] = None
    address: Optional[str] = None
    postcode: Optional[str] = None
    city: Optional[str] = None


class ContactOut(Open):
    name: Optional[str] = None
    phone: Optional[str] = None
    email: Optional[str] = None


class WantedOut(Open):
    asap: bool
    at: Optional[str] = None


class ExtraApprovalState(Open):
    """A helper's request to allow more than the price cap, and how it was answered."""
    seq: Optional[int] = None
    amount: Optional[int] = None
    status: Optional[str] = None
    reason: Optional[str] = None
    requested_at: Optional[str] = None
    answered_at: Optional[str] = None


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
    price_cap: MoneyOut
    line_items: list[LineItemOut]
    minutes_worked: Optional[int]
    created_at: str
    updated_at: str
    version: int
    timeline: list[TimelineStep]
    helper: Optional[HelperOnBooking]
    location: Optional[LocationOut] = None
    contact: Optional[ContactOut] = None
    wanted: Optional[WantedOut] = None
    extra_approval: Optional[ExtraApprovalState] = None  # the helper's latest request to allow more than the cap


class PartnerBookingOut(BookingOut):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "booking_id": "b_8Qz2example", "state": "requested", "category": "printer",
        "description": "My printer shows error E3 and prints nothing.", "mode": "onsite", "language": "de",
        "price_cap": {"amount": 25000, "currency": "CHF"}, "line_items": [], "minutes_worked": None,
        "created_at": "2026-12-02T09:00:00.000Z", "updated_at": "2026-12-02T09:00:00.000Z", "version": 1,
        "timeline": [{"step": "request", "state": "requested", "at": "2026-12-02T09:00:00.000Z", "by": "partner"}],
        "helper": None, "external_ref": "ORDER-1001", "affiliate_code": "shop-zh", "campaign": "spring",
        "sandbox": True}]})
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
    branding: dp.Branding
    landing: dp.LandingCopy
    pricing: dp.PricingPolicy
    billing_model: Literal["card", "invoice"]
    helper_pool: Literal["own", "crowd", "both"]
    matching: dp.MatchingSettings
    rate_limit: dp.RateLimit


class ApiKeyList(Open):
    items: list[dp.ApiKeyOut]


class HelperList(Open):
    items: list[dp.HelperCard]


class HelperRef(Open):
    helper_id: str


class DeliveryAttempt(Open):
    at: str
    status: Optional[int] = Field(description="the receiver's HTTP status (null: no answer)")
    error: Optional[str]
    ms: int


class BookingEventData(Open):
    """``data`` of the booking.* events: ids, state and timing, never the helper's contact."""
    booking_id: str
    external_ref: Optional[str]
    state: Literal[ALL_STATES]  # type: ignore[valid-type]
    category: Optional[str]
    mode: Optional[str]
    helper: Optional[HelperRef]
    minutes_worked: Optional[int]
    affiliate_code: Optional[str]
    campaign: Optional[str]
    sandbox: bool = Field(description="true for a test booking (test key) and for test events")
    version: Optional[int]
    updated_at: Optional[str]
    transition: str


class ReviewEventData(Open):
    """``data`` of review.received."""
    booking_id: str
    external_ref: Optional[str]
    review_id: str
    stars: Optional[int]
    would_recommend: Optional[bool]


class DeliveryOut(Open):
    message_id: str
    endpoint_id: str
    event_type: str
    status: Literal["pending", "retrying", "delivered", "failed"]
    attempts: int
    last_status_code: Optional[int]
    attempt_log: list[DeliveryAttempt]
    payload: WebhookEvent


class DeliveryList(Open):
    items: list[DeliveryOut]
    next_cursor: Optional[str] = Field(description="the next page (null: this was the last)")


class WebhookList(Open):
    items: list[dp.WebhookEndpointOut]


class CommissionTotals(Open):
    bookings: int
    gross: int = Field(description="integer minor units")
    commission: int = Field(description="the partner's share, integer minor units")


class CommissionGroup(CommissionTotals):
    affiliate_code: Optional[str]
    campaign: Optional[str]


class CommissionRow(Open):
    booking_id: str
    external_ref: Optional[str]
    affiliate_code: Optional[str]
    campaign: Optional[str]
    completed_at: str
    gross: int
    commission: int
    partner_share_percent: int


class CommissionReport(Open):
    tenant_id: str
    period: str
    currency: str
    partner_share_percent: int
    totals: CommissionTotals
    by_attribution: list[CommissionGroup]
    bookings: list[CommissionRow]
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


class OfferSummary(Open):
    category: str
    description: str
    mode: str
    city: Optional[str] = None
    postcode: Optional[str] = None
    wanted: Optional[WantedOut] = None
    language: Optional[str] = None
    price_cap: Optional[MoneyOut] = None


class OfferWhy(Open):
    reason: Optional[str] = None
    preferred: Optional[bool] = None
    total: Optional[float] = None


class HelperOffer(Open):
    booking_id: str
    state: str
    round: int
    created_at: str
    expires_at: str
    summary: OfferSummary
    why: Optional[OfferWhy]


class OfferList(Open):
    items: list[HelperOffer]


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
    webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">).
    Each event type's own schema is in the document's ``webhooks`` section."""
    type: Literal[dp.WEBHOOK_EVENTS]  # type: ignore[valid-type]
    timestamp: str
    data: Union[BookingEventData, ReviewEventData]


def webhook_event_models() -> dict:
    """One model per event type (``type`` fixed to it, ``data`` its payload), for the ``webhooks``
    section of the document and to validate real deliveries against."""
    from pydantic import create_model

    from chalicelib.services.sandbox import example_event_data

    out = {}
    for event in dp.WEBHOOK_EVENTS:
        data = ReviewEventData if event.startswith("review.") else BookingEventData
        name = "".join(w.capitalize() for w in event.replace(".", "_").split("_")) + "Event"
        at = "2026-12-02T09:00:00.000Z"

        class Base(Open):
            model_config = ConfigDict(json_schema_extra={"examples": [
                {"type": event, "timestamp": at, "data": example_event_data(event, at)}]})

        out[event] = create_model(name, __base__=Base, __doc__=f"The {event} webhook (signed per Standard Webhooks).",
                                  type=(Literal[event], ...), timestamp=(str, ...), data=(data, ...))
    return out


# ---------------------------------------------------------------------------------------------
# answers of the routes that used to be documented as a generic JSON object

class Health(Open):
    ok: bool


class TransitionRow(Open):
    name: str
    actors: list[str]
    from_: list[str] = Field(alias="from")
    to: str
    effects: list[str]
    description: str


class BookingStates(Open):
    transitions: list[TransitionRow]


class Catalog(Open):
    categories: list[str]
    languages: list[str]


class DocInfo(Open):
    title: str
    version: str
    description: Optional[str] = None


class DocOperation(Open):
    operationId: str
    summary: str
    tags: list[str]


class OpenApiDocument(Open):
    openapi: str
    info: DocInfo
    paths: dict[str, dict[str, DocOperation]]


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


class GeocodeResult(Open):
    label: str
    postcode: Optional[str]
    city: Optional[str]
    lat: float
    lon: float


class GeocodeOut(Open):
    query: str
    source: Literal["amazon-location", "offline"]
    results: list[GeocodeResult]


class DiscoverCard(Open):
    helper_id: str
    first_name: Optional[str] = None
    rating: Optional[RatingOut] = None
    languages: Optional[list[str]] = None


class BookingTermsOut(Open):
    hold: Optional[MoneyOut] = None
    travel_fee: Optional[MoneyOut] = None
    late_cancel_fee: Optional[MoneyOut] = None


class DiscoverOut(Open):
    category: str
    mode: str
    radius_km: Optional[float]
    count: int
    helpers: list[DiscoverCard]
    typical_minutes: Optional[int]
    terms: Optional[BookingTermsOut]


class Rating(Open):
    average: Optional[float]
    count: int


class HelperArea(Open):
    lat: float
    lon: float
    radius_km: int
    city: Optional[str]


WeeklyHours = dict[str, list[list[str]]]  # {"mon": [["08:00", "18:00"]], ...} local time


class AvailabilityOut(Open):
    weekly: WeeklyHours
    on_call: bool
    off_duty: bool


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
    area: HelperArea
    hourly_rate: MoneyOut
    languages: list[str]
    remote: bool
    availability: AvailabilityOut
    rating: Rating


class EarningRow(Open):
    booking_id: str
    category: Optional[str]
    completed_at: Optional[str]
    minutes_worked: int
    amount: int


class EarningsOut(Open):
    currency: Optional[str]
    total: int
    minutes_worked: int
    jobs: int
    basis: str
    items: list[EarningRow]


class MessageRow(Open):
    at: Optional[str]
    event: str
    to: str
    channel: str
    status: str = Field(description="sent, failed, gone, skipped, undeliverable; recorded: a test booking's "
                                    "message kept in the log, not sent")
    title: Optional[str]
    address: Optional[str]
    language: Optional[str]
    attempts: int
    error: Optional[str] = None


class MessageList(Open):
    booking_id: str
    items: list[MessageRow]


class QuietHoursOut(Open):
    start: str
    end: str
    tz: Optional[str] = None


class NotificationSettingsOut(Open):
    email: bool
    sms: bool
    phone: Optional[str]
    phone_verified: bool
    language: Optional[str]
    quiet_hours: Optional[QuietHoursOut] = None  # helpers only


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


class Receipt(Open):
    currency: str
    line_items: list[LineItemOut]
    total: int
    authorised: Optional[int] = None
    released: Optional[int] = None


class PartOut(Open):
    description: str
    amount: int
    status: Optional[str] = None
    approval_seq: Optional[int] = None


class PaymentExtras(Open):
    parts: Optional[list[PartOut]] = None
    tip: Optional[int] = None


class PaymentOut(Open):
    """A booking's payment (``status: none`` and nothing else before a card was authorised)."""
    status: str
    booking_id: Optional[str] = None
    currency: Optional[str] = None
    authorised: Optional[int] = None
    captured: Optional[int] = None
    refunded: Optional[int] = None
    line_items: Optional[list[LineItemOut]] = None
    receipt: Optional[Receipt] = None
    extras: Optional[PaymentExtras] = None
    extra_approvals: Optional[list[ExtraApprovalState]] = None


class PartsOut(Open):
    booking_id: str
    parts: list[PartOut]


class ExtraApprovalOut(Open):
    booking_id: str
    currency: Optional[str]
    limit: Optional[int]
    payment_status: str
    extra_approval: Optional[ExtraApprovalState]
    requests: list[ExtraApprovalState]


class LedgerBalance(Open):
    account: str
    currency: str
    balance: int


class LedgerEntryOut(Open):
    account: str
    amount: int


class LedgerMovement(Open):
    movement_id: str
    kind: str
    currency: str
    entries: list[LedgerEntryOut]


class StatementRow(Open):
    booking_id: Optional[str]
    kind: str
    amount: int
    currency: str
    at: Optional[str] = None


class BookingLedger(Open):
    booking_id: str
    summary: Any
    balances: list[LedgerBalance]
    movements: list[LedgerMovement]


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
    earnings: list[StatementRow]
    payouts: list[StatementRow]


class StatementInvoice(Open):
    number: int
    number_display: str
    period: str
    currency: str
    total: int
    status: Literal["open", "paid"]
    paid_at: Optional[str] = None


class TenantStatement(Open):
    tenant_id: str
    totals: Any
    partner_share: list[StatementRow]
    platform_fee: Optional[list[StatementRow]]  # ops only
    invoices: list[StatementInvoice] = Field(default_factory=list,
                                             description="a tenant billed by invoice: its invoices, open or paid")
    invoice_payments: list[StatementRow] = Field(default_factory=list,
                                                 description="payments recorded on its invoices (receivable cleared)")


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
    customer_rating: Optional[CustomerRatingOut]


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


class Period(Open):
    from_: str = Field(alias="from")
    to: str


class ReviewRates(Open):
    reviews: int
    average: Optional[float]
    recommend_rate: Optional[float]
    rebook_rate: Optional[float]
    patience: Optional[float] = None
    clarity: Optional[float] = None


class TenantFigures(ReviewRates):
    tenant_id: str


class Figures(Open):
    period: Period
    tenant: TenantFigures
    platform: Optional[ReviewRates] = None  # platform staff only


class Deleted(Open):
    deleted: bool


class SavedCard(Open):
    last4: Optional[str]
    brand: Optional[str] = None


class BookingDefaults(Open):
    """A returning customer's details from her last booking (all null for a first booking)."""
    name: Optional[str]
    phone: Optional[str]
    address: Optional[LocationOut]
    saved_card: Optional[SavedCard]  # {"last4": ...} when a card is saved


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


# ---------------------------------------------------------------------------------------------
# the partner sandbox and the offer log

class SandboxComplete(BaseModel):
    model_config = ConfigDict(extra="forbid")
    minutes_worked: int = Field(ge=1, le=24 * 60, description="how long the simulated job took")


class SandboxTestCards(Open):
    succeeds: str
    declined: str


class SandboxPaymentLink(Open):
    booking_id: str
    pay_url: str = Field(description="the link the customer would get (the token in its fragment)")
    token: str = Field(description="the link's token, as the payment screen sends it (X-Payment-Token)")
    test_cards: SandboxTestCards = Field(description="Stripe test cards for paying it in test mode")
    expires_in_seconds: int


class SandboxCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    by: Literal["customer", "helper"] = Field(
        default="customer", description="customer: the booking is cancelled; helper: the simulated helper drops "
                                        "out and the booking is matched again")
    reason: Optional[str] = Field(default=None, max_length=500)


class SendTestEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event_type: Literal[dp.WEBHOOK_EVENTS] = "booking.created"  # type: ignore[valid-type]


class OfferedHelper(Open):
    first_name: Optional[str]
    simulated: bool = Field(description="a simulated helper of the sandbox")
    helper_id: Optional[str] = Field(default=None, description="ops; for the partner only the assigned helper's")
    name: Optional[str] = Field(default=None, description="ops only")


class OfferLogEntry(Open):
    round: int
    state: Literal["open", "accepted", "declined", "expired", "withdrawn"]
    offered_at: str
    expires_at: str
    helper: OfferedHelper


class BookingOffers(Open):
    booking_id: str
    items: list[OfferLogEntry]


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
