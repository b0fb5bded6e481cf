"""Request bodies of the payments API (validated at the edge, like ``domain.schemas``)."""
from __future__ import annotations

from typing import Optional

from pydantic import Field

from chalicelib.domain.schemas import CardChoice, Strict


class AuthorisePayment(CardChoice):
    """Hold the card for a booking made earlier (the same choice as when booking and paying at once)."""


class RefundRequest(Strict):
    amount: Optional[int] = Field(default=None, ge=1, le=10_000_000,
                                  description="minor units; leave out to refund everything left")
    reason: Optional[str] = Field(default=None, max_length=500)


class AddPart(Strict):
    description: str = Field(min_length=1, max_length=120)
    amount: int = Field(strict=True, ge=0, le=1_000_000, description="minor units, what the part cost (0 to 10,000.00)")


class SetTip(Strict):
    amount: int = Field(ge=0, le=100_000, description="minor units")


class ExtraApprovalRequest(Strict):
    """The helper asks the customer to approve more than the price cap (e.g. a part, more time)."""
    amount: int = Field(strict=True, ge=1, le=1_000_000,
                        description="minor units MORE than the current limit (e.g. 5000 = CHF 50.00 more)")
    currency: Optional[str] = Field(default=None, pattern=r"^[A-Z]{3}$",
                                    description="must be the booking's currency if given")
    reason: str = Field(min_length=3, max_length=300, description="why, in a sentence the customer understands")


class ExtraApprovalAnswer(Strict):
    """Approve/decline take no fields; an empty body or {} is fine."""
