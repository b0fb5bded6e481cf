"""Partner (tenant) requests and the pure rules of the partner API: tenant settings, API key
format, token-bucket maths, Standard Webhooks signatures, delivery back-off and commission.

No AWS import here: everything is tested fast and alone. The pydantic models are the one source of
truth for request validation and for the OpenAPI document (``chalicelib.http.openapi``).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import Annotated, Literal, Optional

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from chalicelib.domain.ids import TENANT_ID
from chalicelib.domain.schemas import Category, CreateBooking, Language, Money, Strict

COLOUR = r"^#[0-9a-fA-F]{6}$"
CURRENCIES = ("CHF", "EUR", "GBP", "USD")
WEBHOOK_EVENTS = ("booking.created", "booking.assigned", "booking.started", "booking.completed",
                  "booking.cancelled", "booking.unmatched", "review.received")
# Booking transitions that produce an outbound event (transition name -> event type).
TRANSITION_EVENTS = {"request": "booking.created", "request_with_card": "booking.created",
                     "expire_payment": "booking.cancelled", "accept": "booking.assigned", "start": "booking.started",
                     "complete": "booking.completed", "cancel_by_customer": "booking.cancelled",
                     "cancel_by_ops": "booking.cancelled", "unmatch": "booking.unmatched"}


# ---------------------------------------------------------------------------------------------
# tenants

class Branding(Strict):
    logo_url: Optional[AnyHttpUrl] = Field(default=None, description="https URL of the partner's logo")
    primary: str = Field(default="#0b5cad", pattern=COLOUR, description="main colour, #rrggbb")
    accent: str = Field(default="#f5a300", pattern=COLOUR)
    text: str = Field(default="#1a1a1a", pattern=COLOUR)
    background: str = Field(default="#ffffff", pattern=COLOUR)


class LandingCopy(Strict):
    headline: str = Field(default="Personal help with your technology", min_length=1, max_length=120)
    intro: str = Field(default="A friendly helper near you comes by or calls you back.", max_length=600)
    call_to_action: str = Field(default="Book help now", min_length=1, max_length=40)
    hotline: Optional[str] = Field(default=None, pattern=r"^\+?[0-9 ()\-]{6,20}$")
    campaign_hotlines: Optional[dict[str, Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()\-]{6,20}$")]]] = Field(
        default=None, max_length=50,
        description="a local hotline per campaign (utm_campaign or campaign): shown instead of `hotline` "
                    "on the landing page and in the widget of that campaign")

    @field_validator("campaign_hotlines")
    @classmethod
    def _campaign_names(cls, v):
        for name in v or {}:
            if not re.match(r"^[A-Za-z0-9_.\-]{1,60}$", name):
                raise ValueError(f"campaign {name[:60]!r}: letters, digits, '.', '_' and '-' only, at most 60")
        return v


class PricingPolicy(Strict):
    """Commercial terms: set by crowdfix operations only, readable by the partner's admins."""
    hourly_rate_minor: int = Field(default=6000, ge=0, le=100_000, description="per hour, minor units (0 to 1,000.00)")
    call_out_fee_minor: int = Field(default=2500, ge=0, le=100_000, description="flat fee per on-site visit (0 to 1,000.00)")
    remote_discount_percent: int = Field(default=20, ge=0, le=100, description="0 to 100")
    platform_fee_percent: int = Field(default=15, ge=0, le=100, description="crowdfix's fee, 0 to 100")
    partner_share_percent: int = Field(default=10, ge=0, le=100, description="commission paid to the partner, 0 to 100")
    default_price_cap_minor: int = Field(default=25000, ge=0, le=10_000_000, description="0 to 100,000.00")
    parts_approval_minor: int = Field(default=5000, ge=0, le=100_000,
                                      description="a part costing more (0 to 1,000.00) is billed only once the "
                                                  "customer approved it")

    @model_validator(mode="after")
    def _shares_fit(self):
        if self.platform_fee_percent + self.partner_share_percent > 100:
            raise ValueError("platform_fee_percent and partner_share_percent together may be at most 100")
        return self


MAX_WIDENING_KM = 50  # per round, added to a helper's own radius: a dispatch round plans a ring of at most this


class MatchingSettings(Strict):
    offers_per_round: int = Field(default=3, ge=1, le=20, description="helpers offered the job at once, 1 to 20")
    offer_expiry_seconds: int = Field(default=120, ge=30, le=3600, description="30 s to 1 h")
    max_rounds: int = Field(default=3, ge=1, le=10, description="1 to 10")
    radius_widening_km: list[int] = Field(
        default_factory=lambda: [0, 5, 15], min_length=1, max_length=10,
        description=f"km added to the search per round: 1 to 10 values, each 0 to {MAX_WIDENING_KM}, never shrinking; "
                    "set by crowdfix operations only")

    @field_validator("radius_widening_km")
    @classmethod
    def _widening_bounded(cls, v: list[int]) -> list[int]:
        if any(km < 0 or km > MAX_WIDENING_KM for km in v):
            raise ValueError(f"each widening is 0 to {MAX_WIDENING_KM} km")
        if any(b < a for a, b in zip(v, v[1:])):
            raise ValueError("widenings never shrink from one round to the next")
        return v


class RateLimit(Strict):
    """Per API key; set by crowdfix operations only."""
    requests_per_second: float = Field(default=5, gt=0, le=1000, description="above 0, at most 1,000")
    burst: int = Field(default=20, ge=1, le=10_000, description="1 to 10,000")


MAX_API_KEYS = 100
DEFAULT_API_KEYS = 5
# What only platform operations may set (a partner's admin sees them): money, limits, the reach of
# dispatch. Everything else of a tenant (name, locale, branding, landing copy, the other matching
# settings) its own admin may change within the bounds above.
COMMERCIAL_FIELDS = ("pricing", "rate_limit", "billing_model", "api_keys_max", "currency", "country")
COMMERCIAL_MATCHING_FIELDS = ("radius_widening_km",)


class TenantFields(Strict):
    """What a tenant is; every field optional on update."""
    name: Optional[str] = Field(default=None, min_length=1, max_length=100)
    locale: Optional[Language] = None
    currency: Optional[Literal[CURRENCIES]] = None  # type: ignore[valid-type]
    branding: Optional[Branding] = None
    landing: Optional[LandingCopy] = None
    pricing: Optional[PricingPolicy] = None
    billing_model: Optional[Literal["card", "invoice"]] = Field(
        default=None, description="card: the customer pays by card; invoice: prepaid/invoiced to the partner monthly")
    helper_pool: Optional[Literal["own", "crowd", "both"]] = Field(
        default=None, description="own: only the partner's helpers; crowd: the open crowd; both")
    country: Optional[Literal["CH", "DE"]] = Field(
        default=None, description="where the partner is billed from, for the VAT on its invoices (CH 8.1 %, "
                                  "DE 19 %); without it, the country of its currency (CHF: CH, EUR: DE)")
    matching: Optional[MatchingSettings] = None
    rate_limit: Optional[RateLimit] = None
    widget_origins: Optional[list[str]] = Field(
        default=None, max_length=10,
        description="origins (https://shop.example) of the partner's pages that may embed the booking widget; "
                    "up to 10; no one else may frame the app")
    api_keys_max: Optional[int] = Field(default=None, ge=1, le=MAX_API_KEYS,
                                        description=f"active API keys at most, 1 to {MAX_API_KEYS} (default "
                                                    f"{DEFAULT_API_KEYS}); set by crowdfix operations only")


    @field_validator("widget_origins")
    @classmethod
    def _origins(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        from chalicelib.domain.urls import UrlRefused, parse_url
        from chalicelib.settings import get_settings

        out = []
        for text in v:
            try:
                t = parse_url(text)
            except UrlRefused as exc:
                raise ValueError(f"{text[:80]!r} is not an origin: {exc.reason}") from None
            local = get_settings().stage == "local" and t.host in ("127.0.0.1", "localhost")
            if t.path != "/" or text.rstrip("/").lower() != t.origin or (t.scheme != "https" and not local):
                raise ValueError(f"{text[:80]!r} is not an https origin like https://shop.example")
            if t.origin not in out:
                out.append(t.origin)
        return out


class CreateTenant(TenantFields):
    tenant_id: str = Field(pattern=TENANT_ID, description="lower-case slug, used in URLs")
    name: str = Field(min_length=1, max_length=100)


class UpdateTenant(TenantFields):
    """A JSON merge patch (RFC 7396) of the tenant: only what is named changes."""
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"branding": {"logo_url": "https://partner.example/logo.png"}},
        {"landing": {"hotline": None}}]})


TENANT_DEFAULTS = {"locale": "de", "currency": "CHF", "billing_model": "card", "helper_pool": "crowd"}


def tenant_settings_from(fields: TenantFields, current: dict | None = None) -> dict:
    """Merge the given sections into a tenant's ``settings`` map (branding and locale live in
    their own attributes). Sections replace sections; absent sections are kept."""
    settings = dict(current or {})
    data = fields.model_dump(mode="json", exclude_none=True)
    for section in ("landing", "pricing", "matching", "rate_limit"):
        if section in data:
            settings[section] = data[section]
    for key in ("billing_model", "helper_pool", "api_keys_max", "widget_origins", "country"):
        if key in data:
            settings[key] = data[key]
    if "matching" in data:  # the dispatch policy reads these top-level keys
        settings.update(data["matching"])
    if "pricing" in data:
        settings["default_price_cap_minor"] = data["pricing"]["default_price_cap_minor"]
    return settings


class CreatePartnerAdmin(Strict):
    email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    name: str = Field(min_length=1, max_length=100)

    @field_validator("email")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.lower()


# ---------------------------------------------------------------------------------------------
# API keys

KEY_PATTERN = re.compile(r"^cfx_(live|test)_([A-Za-z0-9]{8})_([A-Za-z0-9]{32})$")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


class CreateApiKey(Strict):
    name: str = Field(min_length=1, max_length=80, description="what this key is for, e.g. 'shop backend'")
    environment: Literal["live", "test"] = Field(default="test", description="test keys make sandbox bookings")
    rate_limit: Optional[RateLimit] = None


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def new_api_key(environment: str) -> tuple[str, str, str]:
    """A new secret key. Returns ``(secret, prefix, sha256 hex)``; only the hash and the visible
    prefix are stored, the secret is shown once."""
    secret = f"cfx_{environment}_{_random(8)}_{_random(32)}"
    return secret, key_prefix(secret), hash_api_key(secret)


def key_prefix(secret: str) -> str:
    return secret[: len("cfx_live_") + 8]


def hash_api_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def looks_like_api_key(value: str) -> bool:
    return bool(KEY_PATTERN.match(value or ""))


def take_token(tokens: float, updated_at: float, now: float, rate: float, burst: int) -> tuple[bool, float, float]:
    """Token bucket: refill at ``rate`` per second up to ``burst``, then take one.
    Returns ``(allowed, tokens_after, seconds_until_next_token)``."""
    elapsed = max(0.0, now - updated_at)
    tokens = min(float(burst), tokens + elapsed * rate)
    if tokens >= 1.0:
        return True, tokens - 1.0, 0.0
    return False, tokens, (1.0 - tokens) / rate


# ---------------------------------------------------------------------------------------------
# partner API requests

class PlaceQuery(Strict):
    category: Category
    mode: Literal["onsite", "remote"] = "onsite"
    lat: Optional[float] = Field(default=None, ge=-90, le=90)
    lon: Optional[float] = Field(default=None, ge=-180, le=180)
    language: Language = "de"
    minutes: int = Field(default=60, ge=15, le=480, description="expected duration for the quote")


class PartnerCustomer(Strict):
    email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    name: Optional[str] = Field(default=None, max_length=100)

    @field_validator("email")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.lower()


class PartnerCreateBooking(CreateBooking):
    """A booking made by a partner for one of its customers."""
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "category": "printer", "description": "My printer shows error E3 and prints nothing.", "mode": "onsite",
        "location": {"lat": 47.3769, "lon": 8.5417, "address": "Bahnhofstrasse 1", "postcode": "8001",
                     "city": "Zürich"},
        "contact": {"name": "Erika Muster", "phone": "+41 44 123 45 67"}, "language": "de",
        "customer": {"email": "erika@example.org", "name": "Erika Muster"}, "external_ref": "ORDER-1001",
        "affiliate_code": "shop-zh", "campaign": "spring"}]})
    customer: PartnerCustomer
    external_ref: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:\-]+$",
                              description="the partner's own reference (order or ticket number)")
    affiliate_code: Optional[str] = Field(default=None, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")
    campaign: Optional[str] = Field(default=None, max_length=60, pattern=r"^[A-Za-z0-9_.\-]+$")


class CreateWebhookEndpoint(Strict):
    url: AnyHttpUrl = Field(description="https URL receiving POSTs (http only for loopback in local stages)")
    events: list[Literal[WEBHOOK_EVENTS]] = Field(default_factory=lambda: list(WEBHOOK_EVENTS),  # type: ignore[valid-type]
                                                  min_length=1, max_length=len(WEBHOOK_EVENTS))
    description: Optional[str] = Field(default=None, max_length=200)
    environment: Optional[Literal["live", "test"]] = Field(
        default=None, description="test: receives the events of test (sandbox) bookings only. "
                                  "With an API key: the key's environment (the default)")


def booking_terms(settings: dict | None) -> dict:
    """The commercial terms in force now, as copied onto a new booking (``Booking.terms``): what
    settlement prices and divides by (``policy.TERMS_KEYS``) and the ``pricing`` section the
    commission report reads. Later changes of the tenant's terms leave the copy as it is."""
    from chalicelib.domain.policy import TERMS_KEYS, effective

    settings = dict(settings or {})
    pol = effective(settings)
    pricing = {**PricingPolicy().model_dump(mode="json"), **(settings.get("pricing") or {})}
    # what the commission report and the partner tariff price by, and the share the partner gets
    report = ("hourly_rate_minor", "call_out_fee_minor", "remote_discount_percent", "partner_share_percent")
    return {"v": 1, **{k: int(pol[k]) for k in TERMS_KEYS}, "pricing": {k: int(pricing[k]) for k in report},
            # how the visit is paid: by the customer's card, or on the partner's invoice (issue 17)
            "billing_model": settings.get("billing_model") or TENANT_DEFAULTS["billing_model"]}


def commission_minor(amount_minor: int, percent: int) -> int:
    """Partner share of an amount, rounded down to whole minor units (the platform keeps the rest)."""
    return amount_minor * percent // 100


# ---------------------------------------------------------------------------------------------
# Standard Webhooks (https://www.standardwebhooks.com): signature v1 = HMAC-SHA256 over
# "{id}.{timestamp}.{body}" with the base64-decoded part of a "whsec_" secret.

def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def sign_webhook(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def webhook_headers(secret: str, msg_id: str, timestamp: int, body: str) -> dict:
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": sign_webhook(secret, msg_id, timestamp, body),
            "content-type": "application/json", "user-agent": "crowdfix-webhooks/1"}


MAX_DELIVERY_SECONDS = 3 * 24 * 3600
SQS_MAX_DELAY = 900


def backoff_seconds(attempt: int) -> int:
    """Delay before attempt ``attempt + 1`` (attempt counts from 1): 30 s, 1 min, 2 min ... capped at
    12 h, so attempts spread over the 3-day window."""
    return min(30 * 2 ** (attempt - 1), 12 * 3600)


def next_attempt_delay(attempt: int, first_attempt_epoch: float, now: float) -> int | None:
    """Seconds to wait before the next attempt, or None when the 3-day window is used up."""
    delay = backoff_seconds(attempt)
    if now + delay - first_attempt_epoch > MAX_DELIVERY_SECONDS:
        return None
    return delay


class ApiKeyOut(BaseModel):
    key_id: str
    name: str
    prefix: str
    environment: Literal["live", "test"]
    status: Literal["active", "revoked"]
    rate_limit: RateLimit
    created_at: str
    last_used_at: Optional[str] = None
    revoked_at: Optional[str] = None


class ApiKeyCreated(ApiKeyOut):
    secret: str = Field(description="shown once; store it now")


class LineItemOut(BaseModel):
    code: str = Field(description="time | travel | part | tip | cap_reduction")
    description: str
    quantity: int
    unit_amount: int
    amount: int = Field(description="integer minor units; negative for cap_reduction")
    currency: str


class RatingShort(BaseModel):
    average: Optional[float] = None
    count: int


class QuoteOut(BaseModel):
    """The same line items settlement computes for ``minutes`` worked (codes time, travel,
    cap_reduction), so the quote is what the job settles at."""
    category: str
    mode: str
    line_items: list[LineItemOut]
    total: Money
    hourly_rate: Money
    minutes: int
    price_cap: Money
    available_helpers: int
    earliest: Optional[str] = Field(default=None, description="'now' when on-call helpers are in reach")


class HelperCard(BaseModel):
    helper_id: str
    first_name: str
    city: Optional[str] = None
    distance_km: Optional[float] = None
    skill_level: int
    languages: list[str]
    remote: bool
    rating: RatingShort
    hourly_rate: Money


class WebhookEndpointOut(BaseModel):
    endpoint_id: str
    url: str
    events: list[str]
    description: Optional[str] = None
    status: str
    environment: Literal["live", "test"] = "live"
    created_at: str


class WebhookEndpointCreated(WebhookEndpointOut):
    secret: str = Field(description="whsec_ signing secret; shown once")

