"""Records of quality cases (loaded on first use through ``chalicelib.store.records``)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class QualityCaseRecord:
    """Work on the ops quality list: a flagged helper, a spot check, or a logged action."""
    case_id: str
    kind: str  # flag | spot_check | action
    tenant_id: str
    helper_id: str
    created_at: str
    status: str = "open"  # open | done
    booking_id: str | None = None
    customer_id: str | None = None
    rule: str | None = None
    detail: str | None = None
    outcome: str | None = None
    notes: str | None = None
    resolved_by: str | None = None
    resolved_at: str | None = None
    version: int = 1
