"""A helper's own profile, as the helper edits it and a booking shows it (loaded on first use
through ``chalicelib.store.records``)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class HelperProfileRecord:
    """The helper's profile (``helpers``): who they are, where and what they help with, their
    rate, languages and availability, and the counters the profile and the booking view show."""
    helper_id: str
    tenant_id: str
    status: str
    first_name: str
    name: str = ""
    email: str = ""
    phone: str | None = None
    bio: str | None = None
    photo_key: str | None = None
    photo_public: bool | None = None
    skills: dict = field(default_factory=dict)
    qualifications: tuple[str, ...] = ()
    lat: float = 0.0
    lon: float = 0.0
    city: str | None = None
    service_radius_km: int = 10
    hourly_rate: int = 0
    currency: str = "CHF"
    languages: tuple[str, ...] = ()
    remote: bool = True
    availability: dict = field(default_factory=dict)
    on_call: bool = False
    off_duty: bool = False
    rating_count: int = 0
    rating_sum: int = 0
    offers_received: int = 0


# what a helper may change of their own profile (``helper_profiles().update``)
PROFILE_EDITABLE = ("first_name", "bio", "phone", "skills", "lat", "lon", "service_radius_km", "city",
                    "hourly_rate", "languages", "remote", "availability", "on_call", "off_duty")
