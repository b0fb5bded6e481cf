"""Records of the notification log, preferences and push subscriptions (loaded on first use through ``chalicelib.store.records``)."""
from __future__ import annotations

from dataclasses import dataclass, field


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
