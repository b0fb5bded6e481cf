"""Request and response bodies of billing (issue 17): the payment link's screen and partner invoices."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.booking_states import ALL_STATES
from chalicelib.domain.partners import Branding
from chalicelib.domain.schemas import Money, Strict


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class PayByLink(Strict):
    payment_method: str = Field(min_length=3, max_length=255, pattern=r"^pm_[A-Za-z0-9_]+$",
                                description="a PaymentMethod id from Stripe.js (card entry on the payment screen)")


class LinkTenant(Open):
    tenant_id: str
    name: str
    branding: Branding
    hotline: Optional[str] = Field(description="the partner's phone line for questions, if it has one")


class PaymentLinkOut(Open):
    booking_id: str
    ref: str
    state: Literal[ALL_STATES]  # type: ignore[valid-type]
    paid: bool = Field(description="the card is held (or the visit is over): nothing more to do here")
    category: str
    mode: str
    language: str
    price_cap: Money = Field(description="the most the card is held for; charged is only what the visit cost")
    pay_until: Optional[str] = Field(description="after this the request ends unpaid (ISO time); null once paid")
    test_mode: bool = Field(False, description="a sandbox booking: pay with a Stripe test card "
                                               "(the card field takes the test publishable key, GET /v1/payments/config?mode=test)")
    tenant: LinkTenant


class MarkInvoicePaid(Strict):
    reference: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9 ._/#:-]+$",
                           description="the bank's reference of the partner's payment")


class IssueInvoice(Strict):
    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="the month, YYYY-MM")


class InvoiceLineOut(Open):
    booking_id: str
    external_ref: Optional[str]
    completed_at: str
    description: str
    amount: int = Field(description="invoiced for this visit, minor units")
    commission: int = Field(description="the partner's share of it (set off on the invoice)")


class InvoiceOut(Open):
    tenant_id: str
    period: str
    number: int = Field(description="1, 2, 3 ... per tenant, without gaps")
    number_display: str
    currency: str
    country: Literal["CH", "DE"]
    vat_rate_bp: int = Field(description="VAT in basis points (810 = 8.1 %)")
    gross: int
    commission: int
    net: int = Field(description="gross - commission")
    vat: int
    total: int = Field(description="net + vat: what the partner owes")
    issued_at: str
    lines: list[InvoiceLineOut]
    test: bool = Field(default=False, description="a test invoice (the sandbox's test bookings; read with a test key)")
    status: Literal["open", "paid"] = Field(default="open", description="paid: operations recorded the payment")
    paid_at: Optional[str] = Field(default=None, description="when the payment was recorded (ISO time)")
    paid_reference: Optional[str] = Field(default=None, description="the payment's bank reference")


class InvoiceList(Open):
    items: list[InvoiceOut]
