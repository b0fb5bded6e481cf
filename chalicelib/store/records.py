"""Typed records the storage layer hands to services, and takes from them.

A record is a plain frozen dataclass: what a service reads and decides on, with no pynamodb in it.
``replace`` (``dataclasses.replace``) makes a changed copy; repositories write changes as narrow,
conditional updates, never by re-saving a whole record read earlier.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

# every counter a rating aggregate keeps (the review counters of ``domain.ratings`` and no-shows)
ALL_COUNTERS = ("count", "star_sum", "h1", "h2", "h3", "h4", "h5", "patience_sum", "clarity_sum",
                "recommend", "rebook", "no_shows")

__all__ = ["ALL_COUNTERS", "ReviewRecord", "CustomerRatingRecord", "QualityCaseRecord", "BookingFacts", "HelperRecord",
           "OfferRef", "FailureRecord", "GeoHintRecord", "WebhookEndpointRecord",
           "WebhookDeliveryRecord", "SignInCodeRecord", "PhoneVerificationRecord", "StaffRecord",
           "CustomerRecord", "PaymentRecord", "LedgerEntryRecord", "PayoutAccountRecord",
           "SavedCardRecord", "BookingRecord",
           "NotificationLogRecord", "NotificationPrefsRecord", "PushSubscriptionRecord",
           "OfferRecord", "HelperReach", "replace",
           "ATTRIBUTION_KINDS", "AttributionCounts", "AttributionLink"]


@dataclass(frozen=True)
class ReviewRecord:
    """The customer's review of one completed booking (one per booking)."""
    booking_id: str
    tenant_id: str
    helper_id: str
    customer_id: str
    overall: int
    patience: int
    clarity: int
    would_recommend: bool
    would_book_again: bool
    period_day: str  # the completion day (YYYY-MM-DD) the review counts for
    created_at: str
    updated_at: str
    editable_until: str
    reviewer_first_name: str | None = None
    comment: str | None = None
    comment_hidden: bool = False
    hidden_reason: str | None = None
    language: str = "de"
    version: int = 1


# the fields of a review a customer may change, and ops' moderation fields
REVIEW_EDITABLE = ("overall", "patience", "clarity", "would_recommend", "would_book_again", "comment")
REVIEW_MODERATION = ("comment_hidden", "hidden_reason")


@dataclass(frozen=True)
class CustomerRatingRecord:
    """The helper's private rating of the customer for one booking (ops only read it)."""
    booking_id: str
    tenant_id: str
    customer_id: str
    helper_id: str
    stars: int
    created_at: str
    comment: str | None = None


@dataclass(frozen=True)
class QualityCaseRecord:
    """Work on the ops quality list: a flagged helper, a spot check, or a logged action."""
    case_id: str
    kind: str  # flag | spot_check | action
    tenant_id: str
    helper_id: str
    created_at: str
    status: str = "open"  # open | done
    booking_id: str | None = None
    customer_id: str | None = None
    rule: str | None = None
    detail: str | None = None
    outcome: str | None = None
    notes: str | None = None
    resolved_by: str | None = None
    resolved_at: str | None = None
    version: int = 1


@dataclass(frozen=True)
class BookingFacts:
    """What reviews and quality read of a booking (the booking aggregate itself is written only
    through ``services.transitions``)."""
    booking_id: str
    tenant_id: str
    customer_id: str
    state: str
    updated_at: str
    helper_id: str | None = None
    language: str = "de"
    contact_name: str | None = None
    completed_at: str | None = None  # when the ``complete`` transition happened
    partner_id: str | None = None  # set on bookings a partner made through the API
    external_ref: str | None = None  # the partner's own reference
    sandbox: str | None = None  # "test" for a booking made with a test key


@dataclass(frozen=True)
class HelperRecord:
    """What the profile, quality and rating reads need of a helper."""
    helper_id: str
    tenant_id: str
    status: str
    first_name: str
    rating_count: int = 0
    rating_sum: int = 0
    photo_url: str | None = None
    photo_key: str | None = None  # the S3 key of the photo (domain/photos.py says who may see it)
    photo_public: bool | None = None
    bio: str | None = None
    city: str | None = None
    languages: tuple[str, ...] = ()
    skills: dict = field(default_factory=dict)
    qualifications: tuple[str, ...] = ()
    remote: bool = False


@dataclass(frozen=True)
class OfferRef:
    """An offer as the quality loop needs it: which booking, and whether it is still open."""
    booking_id: str
    helper_id: str
    state: str


@dataclass(frozen=True)
class FailureRecord:
    """A unit of work that used up its retries: what failed, why, how often, and its message."""
    failure_id: str
    unit: str
    kind: str
    name: str
    error: str
    first_failed_at: str
    last_failed_at: str
    payload: str
    status: str = "open"  # open | replayed | resolved
    booking_id: str | None = None
    tenant_id: str | None = None
    attempts: int = 0
    replays: int = 0
    replayed_at: str | None = None
    replayed_by: str | None = None
    version: int = 1


@dataclass(frozen=True)
class GeoHintRecord:
    """A partition's density hint (helpers and index items per km²) and when it was written."""
    key: str
    density: float
    updated_at: float
    read_density: float | None = None


@dataclass(frozen=True)
class WebhookEndpointRecord:
    """A partner's webhook endpoint: where to POST which events, and the signing secret."""
    tenant_id: str
    endpoint_id: str
    url: str
    secret: str
    created_at: str
    events: tuple[str, ...] = ()  # the event types it is subscribed to, sorted
    description: str | None = None
    status: str = "enabled"
    environment: str = "live"  # "test": receives the events of test (sandbox) bookings only


@dataclass(frozen=True)
class WebhookDeliveryRecord:
    """One message to one endpoint and every attempt to deliver it (the delivery log)."""
    endpoint_id: str
    message_id: str
    tenant_id: str
    event_type: str
    payload: str  # the exact JSON body sent (signed as is)
    created_at: str
    status: str = "pending"  # pending | retrying | delivered | failed
    attempts: int = 0
    first_attempt_at: float | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    delivered_at: str | None = None
    attempt_log: dict = field(default_factory=dict)  # {"1": {"at", "status", "error", "ms"}}


@dataclass(frozen=True)
class SignInCodeRecord:
    """One address's sign-in code (a keyed hash) and its window's counts."""
    key: str  # "<tenant>#<role>#<email>"
    code_hash: str | None  # None only on a record an old bug left half-written
    expires_at: float | None
    attempts: int = 0
    sends: int = 1
    last_sent_at: float | None = None
    window_ends: float | None = None
    ip_key: str | None = None


@dataclass(frozen=True)
class PhoneVerificationRecord:
    """A person's verified mobile number, and a pending one with its code hash and counts."""
    key: str  # "phone#<role>#<id>"
    pending_phone: str | None = None
    code_hash: str | None = None
    expires_at: float | None = None
    attempts: int = 0
    sends: int = 0
    last_sent_at: float | None = None
    window_ends: float | None = None
    verified_phone: str | None = None
    verified_at: float | None = None


@dataclass(frozen=True)
class StaffRecord:
    email: str
    staff_id: str
    name: str
    role: str = "ops"  # ops | partner_admin
    tenant_id: str = "*"  # "*" = platform staff


@dataclass(frozen=True)
class CustomerRecord:
    customer_id: str
    tenant_id: str
    email: str
    created_at: str
    name: str | None = None
    phone: str | None = None
    language: str = "de"
    address: dict | None = None
    stripe_customer_id: str | None = None
    default_payment_method: str | None = None


# ---- payments, ledger, payout accounts, saved cards, bookings as payments read them (issue 18) ------------


@dataclass(frozen=True)
class PaymentRecord:
    """The money side of one booking (``payments``): the card hold, the settlement steps done (their
    Stripe ids), extras, refunds, a dispute. ``facts`` only grow (``domain.payment_states``); ``status``
    is derived from them. Maps are plain dicts, lists plain tuples of dicts."""
    booking_id: str
    tenant_id: str
    customer_id: str
    currency: str
    created_at: str
    updated_at: str
    status: str = "none"
    facts: dict = field(default_factory=dict)
    stripe_customer_id: str | None = None
    payment_method: str | None = None
    payment_intent_id: str | None = None
    charge_id: str | None = None
    auth_seq: int = 0
    authorised_at: str | None = None
    hold_day: str | None = None
    steps: dict = field(default_factory=dict)
    extras: dict = field(default_factory=dict)
    line_items: tuple = ()
    refunds: tuple = ()
    refund_seq: int = 0
    refund_reserved: int | None = None
    dispute: dict | None = None
    flag_tenant: str | None = None
    receipt: dict | None = None
    extra_approvals: tuple = ()
    version: int = 1
    mode: str | None = None  # "test": a sandbox booking's payment, in Stripe test mode, on the tenant's test book


@dataclass(frozen=True)
class LedgerEntryRecord:
    """One side of a ledger movement (``ledger``), as the statements read it."""
    entry_id: str
    movement_id: str
    kind: str
    booking_id: str
    tenant_id: str
    account: str
    amount: int
    currency: str
    created_at: str
    sort_key: str
    meta: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PayoutAccountRecord:
    """A helper as payments reads them: the Stripe Connect account, whether it can be paid out
    (``payout_status_at``: the Stripe event time of that answer), the rate and what a receipt names."""
    helper_id: str
    tenant_id: str
    first_name: str
    email: str
    currency: str = "CHF"
    hourly_rate: int = 0
    stripe_account_id: str | None = None
    payout_ready: bool = False
    payout_status_at: int | None = None


@dataclass(frozen=True)
class SavedCardRecord:
    """A customer as payments reads them: the Stripe Customer and the card saved on it."""
    customer_id: str
    tenant_id: str
    email: str
    name: str | None = None
    stripe_customer_id: str | None = None
    default_payment_method: str | None = None
    card_last4: str | None = None


@dataclass(frozen=True)
class BookingRecord:
    """The whole booking (``bookings``), as payments and the transition write read it."""
    booking_id: str
    tenant_id: str
    customer_id: str
    state: str
    created_at: str
    updated_at: str
    category: str = ""
    description: str = ""
    mode: str = "remote"
    helper_id: str | None = None
    preferred_helper_id: str | None = None
    location: dict | None = None
    wanted: dict = field(default_factory=dict)
    contact: dict = field(default_factory=dict)
    language: str = "de"
    price_cap: dict = field(default_factory=dict)
    line_items: tuple = ()
    terms: dict | None = None
    hourly_rate: int | None = None
    extra_approval: dict | None = None
    minutes_worked: int | None = None
    version: int = 0
    history: tuple = ()
    dispatch_round: int = 0
    asked_helpers: tuple = ()
    partner_id: str | None = None
    external_ref: str | None = None
    affiliate_code: str | None = None
    campaign: str | None = None
    sandbox: str | None = None
    partner_ref: str | None = None
# ---- notifications, offers and the helper as dispatch and notifications read them --------------

@dataclass(frozen=True)
class NotificationLogRecord:
    """One (event, recipient, channel) of the notifications log: the claim and the send's outcome."""
    scope: str  # the booking id, or "recipient#<role>#<id>" for events without a booking
    key: str  # "<event_id>|<role>#<id>|<channel key>"
    tenant_id: str
    event_id: str
    event_type: str
    recipient_role: str
    recipient_id: str
    channel: str  # email | sms | push | none
    status: str  # sending | sent | failed | gone | skipped | undeliverable
    created_at: str
    language: str | None = None
    title: str | None = None
    address: str | None = None  # masked
    attempts: int = 0
    error: str | None = None
    provider_id: str | None = None
    claimed_at: str | None = None  # the claim's token: only its attempt writes the outcome
    sent_at: str | None = None


@dataclass(frozen=True)
class NotificationPrefsRecord:
    """How a person wants to hear from us (absent: e-mail on, SMS off, default quiet hours)."""
    owner: str  # "<role>#<id>"
    tenant_id: str
    updated_at: str
    email: bool = True
    sms: bool = False
    phone: str | None = None
    language: str | None = None
    quiet_hours: dict | None = None  # {"start": "21:00", "end": "07:00", "tz": "Europe/Zurich"}


@dataclass(frozen=True)
class PushSubscriptionRecord:
    """One browser that accepts Web Push for a signed-in person."""
    owner: str  # "<role>#<id>"
    subscription_id: str  # "ps_" + hash of the endpoint
    tenant_id: str
    endpoint: str
    p256dh: str
    auth: str
    created_at: str
    device: str | None = None


@dataclass(frozen=True)
class OfferRecord:
    """A job offered to one helper in one dispatch round."""
    booking_id: str
    helper_id: str
    tenant_id: str
    created_at: str
    expires_at: str
    state: str = "open"  # open | accepted | declined | expired | withdrawn
    round: int = 1
    summary: dict = field(default_factory=dict)
    score: dict = field(default_factory=dict)


@dataclass(frozen=True)
class HelperReach:
    """What dispatch and notifications read of a helper: how to reach them, where they are, and
    whether they can take work (``domain.geocells.can_take_work``)."""
    helper_id: str
    tenant_id: str
    status: str
    first_name: str
    email: str | None = None
    phone: str | None = None
    languages: tuple[str, ...] = ()
    on_call: bool = False
    off_duty: bool = False
    busy_with: str | None = None
    lat: float | None = None
    lon: float | None = None
    payout_ready: bool = False
    photo_url: str | None = None
    rating_count: int = 0
    rating_sum: int = 0
    remote: bool = False
    skills: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# stored answers to Idempotency-Key requests (store/replays.py)

@dataclass(frozen=True)
class ReplayRecord:
    """The claim and, once answered, the sealed answer of one ``Idempotency-Key`` request."""
    key: str
    request_hash: str
    state: str = "running"  # running | done
    status: int | None = None
    sealed: str | None = None  # the answer, encrypted with a key only the caller's Idempotency-Key gives


# ---------------------------------------------------------------------------------------------
# partner invoices (store/invoices.py)

@dataclass(frozen=True)
class InvoiceRecord:
    """One partner's invoice for one month (``domain.invoicing``): numbered per tenant."""
    tenant_id: str
    period: str  # YYYY-MM
    number: int
    invoice_id: str
    currency: str
    country: str
    vat_rate_bp: int
    gross: int
    commission: int
    net: int
    vat: int
    total: int
    lines: tuple = ()  # dicts: booking_id, external_ref, completed_at, description, amount, commission
    issued_at: str = ""
    cut: str = ""  # the ledger's entries up to this instant (ISO) are on this invoice or an earlier one
    paid_at: str | None = None  # when operations recorded the partner's payment (once)
    paid_reference: str | None = None  # the bank's reference of that payment


# ---- attribution (issue 17.7) ------------------------------------------------------------------

# what is counted per tenant, affiliate code and campaign
ATTRIBUTION_KINDS = ("landing_visits", "widget_opens", "bookings_started", "bookings_completed", "call_clicks")


@dataclass(frozen=True)
class AttributionCounts:
    """The counters of one (tenant, affiliate code, campaign); ``-`` stands for none."""
    tenant_id: str
    affiliate: str
    campaign: str
    landing_visits: int = 0
    widget_opens: int = 0
    bookings_started: int = 0
    bookings_completed: int = 0
    call_clicks: int = 0


@dataclass(frozen=True)
class AttributionLink:
    """Where a booking came from: tenant, affiliate code, campaign, UTM parameters and channel
    (``landing``, ``widget`` or ``api``)."""
    FIELDS = ("tenant_id", "affiliate", "campaign", "utm_source", "utm_medium", "utm_campaign", "channel")
    booking_id: str
    tenant_id: str
    affiliate: str | None = None
    campaign: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    channel: str | None = None
