"""Records of bookings and the offers made for them (loaded on first use through ``chalicelib.store.records``)."""
from __future__ import annotations

from dataclasses import dataclass, field


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
class OfferRef:
    """An offer as the quality loop needs it: which booking, and whether it is still open."""
    booking_id: str
    helper_id: str
    state: str


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
    attribution: dict | None = None  # utm_source/medium/campaign and channel it came with (17.7)


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
class CreateKeyRecord:
    """What an Idempotency-Key of a booking create remembers: the request's hash and the booking
    it made (a retry with the same body gets that booking back, another body is refused)."""
    key: str
    request_hash: str
    booking_id: str


@dataclass(frozen=True)
class OfferAnswer:
    """A write joined to a booking transition: the open offer of ``helper_id`` becomes ``state``
    (accepted, declined, expired); the whole transition is refused if the offer is not open."""
    booking_id: str
    helper_id: str
    state: str


@dataclass(frozen=True)
class NewOffer:
    """A write joined to a booking transition: ``offer`` is made (refused if the helper has one
    of this booking already, or the helper does not exist) and counted on the helper's
    ``offers_received`` (the acceptance rate in ranking), exactly once, with the offer."""
    offer: OfferRecord
