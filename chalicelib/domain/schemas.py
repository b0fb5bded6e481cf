"""Request bodies, validated at the edge. One source of truth: the same models produce the JSON
Schema for the API documentation.

Money is integer minor units with an ISO 4217 currency, never floats.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chalicelib.domain.catalog import CATEGORIES, LANGUAGES
from chalicelib.domain.ids import TENANT_ID, prefixed_id

Category = Literal[CATEGORIES]  # type: ignore[valid-type]
Language = Literal[LANGUAGES]  # type: ignore[valid-type]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Money(Strict):
    amount: int = Field(ge=0, le=10_000_000, description="integer minor units (cents/Rappen)")
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class Location(Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    address: Optional[str] = Field(default=None, max_length=200)
    postcode: Optional[str] = Field(default=None, max_length=12)
    city: Optional[str] = Field(default=None, max_length=80)

    @field_validator("lat", "lon")
    @classmethod
    def _metre_precision(cls, v: float) -> float:
        # ~1 cm is plenty; also keeps numbers like 5e-324 (valid floats, not storable in DynamoDB) out
        return round(v, 7)


class Contact(Strict):
    name: str = Field(min_length=1, max_length=100)
    phone: Optional[str] = Field(default=None, pattern=r"^\+?[0-9 ()\-]{6,20}$")
    email: Optional[str] = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Wanted(Strict):
    asap: bool = True
    at: Optional[datetime] = Field(default=None, description="ISO 8601 with time zone; required if asap is false")

    @model_validator(mode="after")
    def _check(self):
        if not self.asap:
            if self.at is None:
                raise ValueError("give a time ('at') or choose as soon as possible ('asap': true)")
            at = self.at if self.at.tzinfo else self.at.replace(tzinfo=timezone.utc)
            if at < datetime.now(timezone.utc):
                raise ValueError("the wanted time is in the past; choose a time from now on")
        return self


class CardChoice(Strict):
    """Hold the card in the same request that books (as ``POST /v1/bookings/{id}/payment``)."""
    payment_method: Optional[str] = Field(default=None, pattern=r"^pm_[A-Za-z0-9_]{3,100}$",
                                          description="a Stripe PaymentMethod id (from Stripe.js; locally pm_card_visa)")
    use_saved: bool = Field(default=False, description="use the card saved on an earlier booking")

    @model_validator(mode="after")
    def _one(self):
        if bool(self.payment_method) == bool(self.use_saved):
            raise ValueError("give either a payment_method or use_saved: true")
        return self


_SLUG = r"^[A-Za-z0-9_.\-]+$"


class Campaign(Strict):
    """Where a visitor came from (issue 17.7): the partner's affiliate code and campaign, and the
    UTM parameters of the link that brought her (``utm_campaign`` is the campaign when no
    ``campaign`` is given). The web app carries them from the landing page or widget into the booking."""
    affiliate_code: Optional[str] = Field(default=None, max_length=40, pattern=_SLUG)
    campaign: Optional[str] = Field(default=None, max_length=60, pattern=_SLUG)
    utm_source: Optional[str] = Field(default=None, max_length=60, pattern=_SLUG)
    utm_medium: Optional[str] = Field(default=None, max_length=60, pattern=_SLUG)
    utm_campaign: Optional[str] = Field(default=None, max_length=60, pattern=_SLUG)
    channel: Optional[Literal["landing", "widget", "web"]] = None

    def campaign_name(self) -> Optional[str]:
        return self.campaign or self.utm_campaign


class CreateBooking(Strict):
    """On site (``mode`` onsite) the server also requires ``location.address`` (street and number)
    and ``contact.phone``: a 422 names the missing field and carries a ``code``
    (``onsite_needs_street``, ``onsite_needs_phone``)."""
    category: Category
    description: str = Field(min_length=3, max_length=2000)
    mode: Literal["onsite", "remote"] = "onsite"
    location: Optional[Location] = None
    wanted: Wanted = Field(default_factory=Wanted)
    contact: Contact
    language: Language = "de"
    price_cap: Optional[Money] = None
    preferred_helper_id: Optional[str] = Field(default=None, pattern=prefixed_id("h"))
    payment: Optional[CardChoice] = Field(
        default=None, description="customers only: hold the card now. A card booking is offered to no helper until "
        "its card is held; a declined card answers 402 with the booking_id: try again (same Idempotency-Key, or "
        "POST /v1/bookings/{booking_id}/payment) on the same booking")
    attribution: Optional[Campaign] = Field(
        default=None, description="where the customer came from (affiliate code, campaign, UTM parameters); "
        "counted for the tenant's attribution report")

    @model_validator(mode="after")
    def _location_for_onsite(self):
        if self.mode == "onsite" and self.location is None:
            raise ValueError("an on-site visit needs a location (lat, lon and the address)")
        return self


class CompleteBooking(Strict):
    minutes_worked: int = Field(ge=1, le=24 * 60)
    note: Optional[str] = Field(default=None, max_length=1000)


class CancelBooking(Strict):
    reason: Optional[str] = Field(default=None, max_length=500)


class RequestCode(Strict):
    email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    role: Literal["customer", "helper", "ops", "partner_admin"] = "customer"
    language: Language = "de"
    tenant: Optional[str] = Field(default=None, pattern=r"^[a-z][a-z0-9-]{2,31}$",
                                  description="customers inside a partner's widget or landing page: that tenant")

    @field_validator("email")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.lower()


class ExchangeCode(Strict):
    email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    role: Literal["customer", "helper", "ops", "partner_admin"] = "customer"
    code: str = Field(pattern=r"^[0-9]{6}$")
    tenant: Optional[str] = Field(default=None, pattern=r"^[a-z][a-z0-9-]{2,31}$",
                                  description="customers inside a partner's widget or landing page: that tenant")

    @field_validator("email")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.lower()


class DiscoverQuery(Strict):
    """``GET /v1/discover`` query: who could help near a place (no sign-in)."""
    lat: Optional[float] = Field(default=None, ge=-90, le=90)
    lon: Optional[float] = Field(default=None, ge=-180, le=180)
    category: Category
    mode: Literal["onsite", "remote"] = "onsite"
    language: Optional[Language] = None
    at: Optional[datetime] = Field(default=None, description="ISO 8601 with time zone; default now")
    limit: int = Field(default=10, ge=1, le=50)
    tenant: str = Field(default="crowdfix", pattern=TENANT_ID)

    @field_validator("at")
    @classmethod
    def _not_past(cls, at):
        if at is None:
            return at
        at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
        if at < datetime.now(timezone.utc).replace(second=0, microsecond=0):
            raise ValueError("the wanted time is in the past; choose a time from now on")
        return at

    @model_validator(mode="after")
    def _place_for_onsite(self):
        if self.mode == "onsite" and (self.lat is None or self.lon is None):
            raise ValueError("an on-site search needs the place: lat and lon")
        return self
