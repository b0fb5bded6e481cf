"""Request bodies of the reviews and quality API (validated at the edge; 422 names the field).

Stars are strict whole numbers 1–5: ``"5"``, ``4.5`` or ``true`` are refused, not coerced.
"""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, StrictBool, StrictInt, model_validator

from chalicelib.domain.schemas import Strict

Stars = StrictInt


class SubmitReview(Strict):
    overall: Stars = Field(ge=1, le=5, description="overall stars, 1 to 5")
    patience: Stars = Field(ge=1, le=5, description="how patient the helper was, 1 to 5")
    clarity: Stars = Field(ge=1, le=5, description="how clearly the helper explained, 1 to 5")
    would_recommend: StrictBool
    would_book_again: StrictBool
    comment: Optional[str] = Field(default=None, max_length=2000)


class EditReview(Strict):
    overall: Optional[Stars] = Field(default=None, ge=1, le=5)
    patience: Optional[Stars] = Field(default=None, ge=1, le=5)
    clarity: Optional[Stars] = Field(default=None, ge=1, le=5)
    would_recommend: Optional[StrictBool] = None
    would_book_again: Optional[StrictBool] = None
    comment: Optional[str] = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _something(self):
        if not self.model_fields_set:
            raise ValueError("change at least one of overall, patience, clarity, would_recommend, "
                             "would_book_again, comment")
        return self


class RateCustomer(Strict):
    stars: Stars = Field(ge=1, le=5)
    comment: Optional[str] = Field(default=None, max_length=1000)


class HideComment(Strict):
    hidden: StrictBool = True
    reason: str = Field(min_length=3, max_length=500)


class SuspendHelper(Strict):
    reason: str = Field(min_length=3, max_length=500)


class SpotCheckOutcome(Strict):
    outcome: Literal["satisfied", "concern", "unreachable", "declined"]
    notes: Optional[str] = Field(default=None, max_length=2000)


class ResolveFlag(Strict):
    notes: str = Field(min_length=3, max_length=2000)
