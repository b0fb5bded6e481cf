"""Records of tenants (loaded on first use through ``chalicelib.store.records``)."""
from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field


class Section(dict):
    """A tenant's map (``branding``, ``settings``) as a plain dict. ``as_dict()`` answers as
    pynamodb's MapAttribute did, for the readers that still call it (``services/bookings.py``,
    ``services/notification_delivery.py``) until they read the dict."""

    def as_dict(self) -> dict:
        return deepcopy(dict(self))


@dataclass(frozen=True)
class TenantRecord:
    """A tenant: the default one for direct customers, or a partner (telecom, retailer ...)."""
    tenant_id: str
    name: str
    locale: str = "de"
    currency: str = "CHF"
    branding: dict = field(default_factory=Section)
    settings: dict = field(default_factory=Section)  # matching, pricing and cancellation policy
    created_at: str | None = None
    api_keys_active: int | None = None  # active API keys (None: a tenant from before the counter)

    def __post_init__(self):
        # a record is shared through the per-container cache: its maps are copies nobody else holds
        for name in ("branding", "settings"):
            object.__setattr__(self, name, Section(deepcopy(dict(getattr(self, name) or {}))))
