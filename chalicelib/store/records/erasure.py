"""What erasure reads of a person's own row (loaded on first use through ``chalicelib.store.records``)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PersonRecord:
    """A customer's or a helper's own row, with every field that identifies them or places them
    in matching (``kind``: customer | helper). Fields the other kind has not are None."""
    kind: str
    person_id: str
    tenant_id: str
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    # a customer's
    address: dict | None = None
    stripe_customer_id: str | None = None
    default_payment_method: str | None = None
    # a helper's
    first_name: str | None = None
    photo_url: str | None = None
    bio: str | None = None
    city: str | None = None
    lat: float | None = None
    lon: float | None = None
    status: str | None = None
    on_call: bool = False
    availability: dict = field(default_factory=dict)
    geo_pk: str | None = None
    geo_sk: str | None = None
    remote_pool: str | None = None
    remote_sk: str | None = None
