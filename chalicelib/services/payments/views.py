"""What the payments API shows of a payment record: everything to operations, the customer's part
to the customer."""
from __future__ import annotations

from typing import Any

from chalicelib.domain.actors import Actor
from chalicelib.services.payments.record import facts, requests
from chalicelib.store.records import PaymentRecord


def payment_view(pay: PaymentRecord | None, actor: Actor) -> dict[str, Any]:
    if pay is None:
        return {"status": "none"}
    f = facts(pay)
    view = {"booking_id": pay.booking_id, "status": pay.status, "currency": pay.currency,
            "authorised": f.authorised, "captured": f.captured, "refunded": f.refunded,
            "line_items": [dict(r) for r in pay.line_items], "receipt": pay.receipt,
            "extras": dict(pay.extras), "extra_approvals": requests(pay)}
    if actor.role == "ops":
        view.update(payment_intent_id=pay.payment_intent_id, steps=dict(pay.steps),
                    refunds=[dict(r) for r in pay.refunds], dispute=pay.dispute)
    return view
