"""Records of helpers and the density hints of their cells (loaded on first use through ``chalicelib.store.records``)."""
from __future__ import annotations

from dataclasses import dataclass, field


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
class GeoHintRecord:
    """A partition's density hint (helpers and index items per km²) and when it was written."""
    key: str
    density: float
    updated_at: float
    read_density: float | None = None


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
