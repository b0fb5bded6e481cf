"""Request body of the erasure route (``POST /v1/ops/erasure``, services/erasure.py)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.domain.schemas import Strict


class ErasureRequest(Strict):
    subject_type: Literal["customer", "helper"]
    subject_id: str = Field(pattern=r"^[ch]_[A-Za-z0-9]{6,60}$", description="the customer's (c_...) or helper's (h_...) id")
