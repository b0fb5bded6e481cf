"""Records of payments, the ledger, payout accounts, cards, invoices (loaded on first use through ``chalicelib.store.records``)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PaymentRecord:
    """The money side of one booking (``payments``): the card hold, the settlement steps done (their
    Stripe ids), extras, refunds, a dispute. ``facts`` only grow (``domain.payment_states``); ``status``
    is derived from them. Maps are plain dicts, lists plain tuples of dicts."""
    booking_id: str
    tenant_id: str
    customer_id: str
    currency: str
    created_at: str
    updated_at: str
    status: str = "none"
    facts: dict = field(default_factory=dict)
    stripe_customer_id: str | None = None
    payment_method: str | None = None
    payment_intent_id: str | None = None
    charge_id: str | None = None
    auth_seq: int = 0
    authorised_at: str | None = None
    hold_day: str | None = None
    steps: dict = field(default_factory=dict)
    extras: dict = field(default_factory=dict)
    line_items: tuple = ()
    refunds: tuple = ()
    refund_seq: int = 0
    refund_reserved: int | None = None
    dispute: dict | None = None
    flag_tenant: str | None = None
    receipt: dict | None = None
    extra_approvals: tuple = ()
    version: int = 1
    mode: str | None = None  # "test": a sandbox booking's payment, in Stripe test mode, on the tenant's test book


@dataclass(frozen=True)
class LedgerEntryRecord:
    """One side of a ledger movement (``ledger``), as the statements read it."""
    entry_id: str
    movement_id: str
    kind: str
    booking_id: str
    tenant_id: str
    account: str
    amount: int
    currency: str
    created_at: str
    sort_key: str
    meta: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PayoutAccountRecord:
    """A helper as payments reads them: the Stripe Connect account, whether it can be paid out
    (``payout_status_at``: the Stripe event time of that answer), the rate and what a receipt names."""
    helper_id: str
    tenant_id: str
    first_name: str
    email: str
    currency: str = "CHF"
    hourly_rate: int = 0
    stripe_account_id: str | None = None
    payout_ready: bool = False
    payout_status_at: int | None = None


@dataclass(frozen=True)
class SavedCardRecord:
    """A customer as payments reads them: the Stripe Customer and the card saved on it."""
    customer_id: str
    tenant_id: str
    email: str
    name: str | None = None
    stripe_customer_id: str | None = None
    default_payment_method: str | None = None
    card_last4: str | None = None


@dataclass(frozen=True)
class InvoiceRecord:
    """One partner's invoice for one month (``domain.invoicing``): numbered per tenant."""
    tenant_id: str
    period: str  # YYYY-MM
    number: int
    invoice_id: str
    currency: str
    country: str
    vat_rate_bp: int
    gross: int
    commission: int
    net: int
    vat: int
    total: int
    lines: tuple = ()  # dicts: booking_id, external_ref, completed_at, description, amount, commission
    issued_at: str = ""
    cut: str = ""  # the ledger's entries up to this instant (ISO) are on this invoice or an earlier one
    paid_at: str | None = None  # when operations recorded the partner's payment (once)
    paid_reference: str | None = None  # the bank's reference of that payment
