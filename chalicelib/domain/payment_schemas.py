"""Request bodies of the payments API (validated at the edge, like ``domain.schemas``)."""
from __future__ import annotations

from typing import Optional

from pydantic import Field, model_validator

from chalicelib.domain.schemas import Strict


class AuthorisePayment(Strict):
    payment_method: Optional[str] = Field(default=None, pattern=r"^pm_[A-Za-z0-9_]{3,100}$",
                                          description="a Stripe PaymentMethod id (from Stripe.js; locally pm_card_visa)")
    use_saved: bool = Field(default=False, description="use the card saved on an earlier booking")

    @model_validator(mode="after")
    def _one(self):
        if bool(self.payment_method) == bool(self.use_saved):
            raise ValueError("give either a payment_method or use_saved: true")
        return self


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
