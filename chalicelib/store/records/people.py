"""Records of customers, staff and sign-in (loaded on first use through ``chalicelib.store.records``)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SignInCodeRecord:
    """One address's sign-in code (a keyed hash) and its window's counts."""
    key: str  # "<tenant>#<role>#<email>"
    code_hash: str | None  # None only on a record an old bug left half-written
    expires_at: float | None
    attempts: int = 0
    sends: int = 1
    last_sent_at: float | None = None
    window_ends: float | None = None
    ip_key: str | None = None


@dataclass(frozen=True)
class PhoneVerificationRecord:
    """A person's verified mobile number, and a pending one with its code hash and counts."""
    key: str  # "phone#<role>#<id>"
    pending_phone: str | None = None
    code_hash: str | None = None
    expires_at: float | None = None
    attempts: int = 0
    sends: int = 0
    last_sent_at: float | None = None
    window_ends: float | None = None
    verified_phone: str | None = None
    verified_at: float | None = None


@dataclass(frozen=True)
class StaffRecord:
    email: str
    staff_id: str
    name: str
    role: str = "ops"  # ops | partner_admin
    tenant_id: str = "*"  # "*" = platform staff


@dataclass(frozen=True)
class CustomerRecord:
    customer_id: str
    tenant_id: str
    email: str
    created_at: str
    name: str | None = None
    phone: str | None = None
    language: str = "de"
    address: dict | None = None
    stripe_customer_id: str | None = None
    default_payment_method: str | None = None
