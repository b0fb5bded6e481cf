"""Paying helpers: the transfer of a booking's payout (once), what waited for onboarding, and the
helper's Stripe Connect account."""
from __future__ import annotations

from chalicelib.adapters import stripe_gateway as gw
from chalicelib.domain import ledger as L
from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import Forbidden
from chalicelib.domain.ids import now_iso
from chalicelib.services.payments.booking import helper_account
from chalicelib.services.payments.record import get_payment, parties, record_step, update
from chalicelib.services.payments.statements import post_movement
from chalicelib.store.bookings import bookings
from chalicelib.store.conditions import ConditionFailed
from chalicelib.store.payout_accounts import payout_accounts
from chalicelib.store.records import PayoutAccountRecord


def pay_helper(booking_id: str, helper: PayoutAccountRecord, amount: int, step: str = "payout") -> str:
    """Transfer ``amount`` to the helper once (``step``), or note it as waiting for their onboarding."""
    pay = get_payment(booking_id)
    if step not in pay.steps and amount > 0:
        if not (helper.stripe_account_id and bool(helper.payout_ready)):
            update(booking_id, lambda p: None if "payout_pending" in p.steps
                   else {"steps": {**p.steps, "payout_pending": {"amount": amount, "at": now_iso()}}})
            return "pending-onboarding"
        tr = gw.transfer(amount, pay.currency, helper.stripe_account_id, transfer_group=booking_id,
                         source_transaction=pay.charge_id,
                         metadata={"booking_id": booking_id, "helper_id": helper.helper_id},
                         key=gw.idempotency_key(booking_id, step))
        record_step(booking_id, step, {"amount": amount, "transfer_id": tr["id"]})
    done = get_payment(booking_id).steps.get(step)
    if done:
        post_movement(L.payout_movement(parties(pay, helper.helper_id), int(done["amount"]), done.get("transfer_id"),
                                        step=step))
        _tell_helper_paid(booking_id, helper.helper_id, int(done["amount"]), pay.currency, step)
        return "paid"
    return "nothing-to-pay"


def _tell_helper_paid(booking_id: str, helper_id: str, amount: int, currency: str, step: str) -> None:
    """"Payout sent" through the notification queue; the event id makes a replay send nothing twice."""
    from chalicelib.services.notifications import enqueue_notification

    enqueue_notification("payout_sent", booking_id, {"role": "helper", "id": helper_id},
                         {"amount": amount, "currency": currency}, event_id=f"payout_sent#{booking_id}#{step}")


def pay_pending(helper_id: str) -> int:
    """Pay out what waited for this helper's onboarding (settled before they were payout-ready)."""
    paid = 0
    helper = helper_account(helper_id, consistent=True)
    for booking_id in bookings().ids_for_helper(helper_id):
        pay = get_payment(booking_id)
        steps = pay.steps if pay else {}
        if "payout_pending" in steps and "payout" not in steps:
            pay_helper(booking_id, helper, int(steps["payout_pending"]["amount"]))
            paid += 1
    return paid


def start_onboarding(actor: Actor, return_url: str, refresh_url: str) -> dict:
    """The helper's Connect account (made once) and a fresh onboarding link to open."""
    if actor.role != "helper":
        raise Forbidden("only helpers have payout accounts")
    helper = helper_account(actor.id)
    account_id = helper.stripe_account_id
    if not account_id:
        account_id = gw.create_connected_account(helper.email, "CH" if helper.currency == "CHF" else "DE",
                                                 {"helper_id": helper.helper_id, "tenant_id": helper.tenant_id},
                                                 key=f"{helper.helper_id}:connect-account")["id"]
        try:
            payout_accounts().set_account(helper.helper_id, account_id)
        except ConditionFailed:
            account_id = helper_account(actor.id).stripe_account_id
    link = gw.create_account_link(account_id, refresh_url=refresh_url, return_url=return_url)
    return {"account_id": account_id, "url": link["url"], "expires_at": link.get("expires_at"),
            "payout_ready": bool(helper.payout_ready)}


def payout_status(actor: Actor) -> dict:
    helper = helper_account(actor.id)
    return {"account_id": helper.stripe_account_id, "payout_ready": bool(helper.payout_ready)}
