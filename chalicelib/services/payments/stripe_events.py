"""Stripe's webhooks, applied once each: payment facts (monotone, refusing out-of-order states),
Connect account updates (which may release payouts that waited) and disputes."""
from __future__ import annotations

from chalicelib.domain.errors import Conflict
from chalicelib.domain.ids import now_iso
from chalicelib.domain.payment_states import PaymentFacts, facts_from_event, is_out_of_order
from chalicelib.services import idempotency
from chalicelib.services.payments.payouts import pay_pending
from chalicelib.services.payments.record import facts, get_payment, merged_facts, update
from chalicelib.services.tenants import tenant_policy
from chalicelib.store.conditions import ConditionFailed
from chalicelib.store.payments import payments
from chalicelib.store.payout_accounts import payout_accounts
from chalicelib.store.records import PaymentRecord


def handle_stripe_event(event: dict) -> str:
    """Apply a verified Stripe event once. Returns what was done (for logs and tests)."""
    from chalicelib.store.claims import Busy, run_once

    etype = event["type"]
    obj = (event.get("data") or {}).get("object") or {}
    created = int(event.get("created") or 0)

    def apply() -> str:
        if etype == "account.updated":
            return _apply_account_update(obj, created)
        if etype == "charge.dispute.created":
            return _apply_dispute(obj)
        if (incoming := facts_from_event(etype, obj)) is not None:
            return _apply_payment_facts(etype, obj, incoming)
        return "ignored"

    try:
        ran, result = run_once(f"stripe-event#{event['id']}", apply, lease_seconds=60)
    except Busy:
        # the same event is being applied by a concurrent delivery: Stripe retries on a non-2xx
        raise Conflict("this event is being processed right now; deliver it again later") from None
    return result if ran else "duplicate"


def _booking_for_intent(pi_id: str | None) -> str | None:
    return payments().booking_for_intent(pi_id) if pi_id else None


def _apply_payment_facts(etype: str, obj: dict, incoming: PaymentFacts) -> str:
    pi_id = obj.get("id") if etype.startswith("payment_intent.") else obj.get("payment_intent")
    booking_id = (obj.get("metadata") or {}).get("booking_id") if etype.startswith("payment_intent.") else None
    pay = get_payment(booking_id) if booking_id else None
    if pay is None:
        found = _booking_for_intent(pi_id)
        pay = get_payment(found) if found else None
    if pay is None:
        return "unknown-payment"
    if pay.payment_intent_id != pi_id:
        return "stale-intent"  # an earlier hold of this booking (renewed since): changes nothing
    result = {"r": "applied"}

    def change(p: PaymentRecord):
        if is_out_of_order(facts(p), incoming):
            result["r"] = "out-of-order"
            return None
        return merged_facts(p, incoming)
    update(pay.booking_id, change)
    return result["r"]


def _apply_account_update(account: dict, created: int) -> str:
    helper_id = (account.get("metadata") or {}).get("helper_id")
    helper = payout_accounts().get(helper_id) if helper_id else None
    if helper is None or helper.stripe_account_id != account.get("id"):
        return "unknown-account"
    ready = bool(account.get("payouts_enabled")) and bool(account.get("charges_enabled", True)) \
        and bool(account.get("details_submitted", True))
    try:
        payout_accounts().set_payout_ready(helper_id, ready, created)
    except ConditionFailed:
        return "out-of-order"  # a newer account state was applied already
    if ready:
        pay_pending(helper_id)
    return "payout-ready" if ready else "not-payout-ready"


def _apply_dispute(dispute: dict) -> str:
    booking_id = _booking_for_intent(dispute.get("payment_intent"))
    if booking_id is None:
        return "unknown-payment"
    row = {"dispute_id": dispute.get("id"), "charge": dispute.get("charge"), "amount": dispute.get("amount"),
           "reason": dispute.get("reason"), "status": dispute.get("status"), "at": now_iso()}
    pay = update(booking_id, lambda p: None if p.dispute else {"dispute": row, "flag_tenant": f"{p.tenant_id}#dispute"})
    _tell_ops_about_dispute(pay, row)
    return "flagged"


def _tell_ops_about_dispute(pay: PaymentRecord, row: dict) -> None:
    if not idempotency.mark_once(f"dispute-mail#{row['dispute_id']}"):
        return
    from chalicelib.adapters.email import send_email

    to = tenant_policy(pay.tenant_id)["ops_email"]
    send_email(to, f"Dispute opened on booking {pay.booking_id}",
               f"The customer's bank opened a dispute ({row['reason']}) for {row['amount']} "
               f"{pay.currency.upper()} on booking {pay.booking_id} (charge {row['charge']}).\n"
               "Gather the evidence (timeline, messages, the helper's note) and respond in the Stripe dashboard.")
