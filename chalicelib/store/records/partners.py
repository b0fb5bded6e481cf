"""Records of partners' API keys and their rate buckets (loaded on first use through
``chalicelib.store.records``)."""
from __future__ import annotations

from dataclasses import dataclass


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
