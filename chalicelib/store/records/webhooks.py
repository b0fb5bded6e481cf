"""Records of partners' webhook endpoints and deliveries (loaded on first use through ``chalicelib.store.records``)."""
from __future__ import annotations

from dataclasses import dataclass, field


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
