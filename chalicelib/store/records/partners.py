"""Records of partners' API keys and their rate buckets (loaded on first use through
``chalicelib.store.records``)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ApiKeyRecord:
    """A partner's API key. The secret is never stored: look-ups go by its SHA-256 hash."""
    key_hash: str
    key_id: str
    tenant_id: str
    name: str
    prefix: str  # "cfx_live_AbCd1234", shown in lists
    environment: str  # live | test
    created_by: str
    created_at: str
    status: str = "active"  # active | revoked
    rate_per_second: float = 5
    burst: int = 20
    last_used_at: str | None = None
    revoked_at: str | None = None


@dataclass(frozen=True)
class RateBucketRecord:
    """The token bucket of one API key, as read (a write is conditional on exactly these values)."""
    bucket_id: str
    tenant_id: str
    tokens: float
    updated_at: float  # epoch seconds


@dataclass(frozen=True)
class PoolHelperRecord:
    """A helper as the partner API's quote and discovery, and the sandbox, read them: public
    profile, price, where they work and whether they can take work (no contact data)."""
    helper_id: str
    tenant_id: str
    status: str
    first_name: str
    name: str | None = None  # the full name: read by id only (the status index does not carry it)
    city: str | None = None
    lat: float = 0.0
    lon: float = 0.0
    service_radius_km: float = 10
    hourly_rate: int = 0
    currency: str | None = "CHF"
    languages: tuple[str, ...] = ()
    remote: bool = True
    skills: dict = field(default_factory=dict)
    on_call: bool = False
    off_duty: bool = False
    rating_count: int = 0
    rating_sum: int = 0
