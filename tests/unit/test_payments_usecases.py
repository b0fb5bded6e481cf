"""The payment paths as use cases against the in-memory store: no JVM, no network.

Stripe is a stand-in that keeps Stripe's promise the payments code relies on (one answer per
idempotency key) and records every money-moving call, so a test can say "charged once". Each test
reads as a story (given / when / then). The same paths over HTTP, the bookings stream and
localstripe on DynamoDB Local are tests/integration/test_payments.py and test_payments_extra.py;
the repositories these run on pass one contract on both (tests/contract/store_contract.py).
"""
from __future__ import annotations

import contextvars
import threading
from dataclasses import replace

import pytest

from chalicelib.adapters import stripe_gateway as gw
from chalicelib.domain import ledger as L
from chalicelib.domain import policy
from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.services import payments
from chalicelib.services.transitions import apply_transition
from chalicelib.store import memory_repos, using
from chalicelib.store.records import BookingRecord, PayoutAccountRecord, SavedCardRecord

TENANT = "crowdfix"
AT = "2026-12-01T09:00:00.000Z"
CUSTOMER = Actor("customer", "c_erika", TENANT)
HELPER = Actor("helper", "h_anna", TENANT)
OPS = Actor("ops", "ops_1", TENANT)
CAP = 20000
RATE = 6000  # per hour


class FakeStripe:
    """One answer per idempotency key, as Stripe gives; ``moves`` lists each call that moved money."""

    def __init__(self):
        self.answers: dict[str, dict] = {}
        self.moves: list[tuple] = []
        self.declining: set[str] = set()
        self.n = 0
        self.modes: list[tuple[str, str]] = []  # (call, Stripe mode) of each money call

    def _once(self, key, make):
        if key not in self.answers:
            self.n += 1
            self.answers[key] = make(self.n)
        return self.answers[key]

    def create_customer(self, email, name, metadata, key, mode="live"):
        self.modes.append(("create_customer", mode))
        return self._once(key, lambda n: {"id": f"cus_{n}"})

    def attach_payment_method(self, payment_method, customer_id, mode="live"):
        self.modes.append(("attach", mode))
        if payment_method in self.declining:
            raise gw.PaymentDeclined("your card was declined", field="payment_method")
        return {"id": payment_method, "card": {"last4": "4242"}}

    def authorise(self, amount, currency, customer_id, payment_method, metadata, key, off_session=False, mode="live"):
        self.modes.append(("authorise", mode))
        if payment_method in self.declining:
            raise gw.PaymentDeclined("your card was declined", field="payment_method")
        def make(n):
            self.moves.append(("authorise", amount))
            return {"id": f"pi_{n}", "status": "requires_capture", "amount": amount}
        return self._once(key, make)

    def capture(self, payment_intent_id, amount, key, mode="live"):
        self.modes.append(("capture", mode))
        def make(n):
            self.moves.append(("capture", amount))
            return {"id": payment_intent_id, "status": "succeeded", "amount": amount, "amount_received": amount,
                    "latest_charge": f"ch_{n}"}
        return self._once(key, make)

    def release(self, payment_intent_id, key, mode="live"):
        self.modes.append(("release", mode))
        def make(n):
            self.moves.append(("release", payment_intent_id))
            return {"id": payment_intent_id, "status": "canceled"}
        return self._once(key, make)

    def refund(self, payment_intent_id, amount, key, metadata, mode="live"):
        self.modes.append(("refund", mode))
        def make(n):
            self.moves.append(("refund", amount))
            return {"id": f"re_{n}", "amount": amount}
        return self._once(key, make)

    def transfer(self, amount, currency, destination, transfer_group, source_transaction, metadata, key):
        self.modes.append(("transfer", "live"))
        def make(n):
            self.moves.append(("transfer", amount, destination))
            return {"id": f"tr_{n}", "amount": amount}
        return self._once(key, make)

    def reverse_transfer(self, transfer_id, amount, key):
        def make(n):
            self.moves.append(("reversal", amount))
            return {"id": f"trr_{n}", "amount": amount}
        return self._once(key, make)

    def of(self, kind: str) -> list[tuple]:
        return [m for m in self.moves if m[0] == kind]


@pytest.fixture()
def stripe(monkeypatch):
    fake = FakeStripe()
    for name in ("create_customer", "attach_payment_method", "authorise", "capture", "release", "refund",
                 "transfer", "reverse_transfer"):
        monkeypatch.setattr(gw, name, getattr(fake, name))
    return fake


@pytest.fixture()
def told(monkeypatch):
    """The notifications the use cases enqueue (event type, recipient role, event id)."""
    from chalicelib.services import notifications

    sent: list[tuple] = []
    monkeypatch.setattr(notifications, "enqueue_notification",
                        lambda kind, booking_id, recipient, data=None, **kw: sent.append(
                            (kind, recipient["role"], kw.get("event_id"))) or {})
    return sent


@pytest.fixture()
def store(monkeypatch, stripe, told):
    from chalicelib.services.payments import booking as payment_booking

    monkeypatch.setattr(payment_booking, "tenant_policy", lambda tenant_id: policy.effective({}))
    with using(memory_repos()) as r:
        yield r


def given_customer_with_a_saved_card(store) -> SavedCardRecord:
    card = SavedCardRecord(customer_id=CUSTOMER.id, tenant_id=TENANT, email="erika@example.org", name="Erika",
                           stripe_customer_id="cus_erika", default_payment_method="pm_saved")
    store.cards.rows[card.customer_id] = card
    return card


def given_helper(store, *, payout_ready=True) -> PayoutAccountRecord:
    helper = PayoutAccountRecord(helper_id=HELPER.id, tenant_id=TENANT, first_name="Anna", email="anna@example.org",
                                 hourly_rate=RATE, stripe_account_id="acct_anna" if payout_ready else None,
                                 payout_ready=payout_ready)
    store.payout_accounts.rows[helper.helper_id] = helper
    return helper


def given_booking(store, state="awaiting_payment", **over) -> BookingRecord:
    b = BookingRecord(booking_id="b_1", tenant_id=TENANT, customer_id=CUSTOMER.id, state=state, created_at=AT,
                      updated_at=AT, category="printer", description="prints nothing", mode="remote",
                      price_cap={"amount": CAP, "currency": "CHF"}, **over)
    store.bookings.records[b.booking_id] = b
    return b


def job_done(store, minutes=60) -> BookingRecord:
    """The helper took the job at their rate, started it, worked ``minutes`` and completed it."""
    from chalicelib.services.bookings import helper_step

    store.bookings.records["b_1"] = replace(store.bookings.get("b_1"), helper_id=HELPER.id, hourly_rate=RATE,
                                            state="started")
    done = helper_step(HELPER, "b_1", "complete", minutes_worked=minutes)
    assert (done.state, done.minutes_worked, done.history[-1]["transition"]) == ("completed", minutes, "complete")
    return done


def held(store):
    """Given the card held for the booking (the customer's saved card)."""
    given_customer_with_a_saved_card(store)
    given_helper(store)
    given_booking(store)
    return payments.authorise_booking(CUSTOMER, "b_1", None, True)


def balanced(store, booking_id="b_1") -> bool:
    movements = payments.booking_movements(booking_id)
    return bool(movements) and all(sum(e.amount for e in m.entries) == 0 for m in movements)


# ---- hold ----------------------------------------------------------------------------------------

def test_the_customer_holds_the_price_cap_and_the_booking_goes_to_matching(store, stripe):
    given_customer_with_a_saved_card(store)
    given_booking(store)

    pay = payments.authorise_booking(CUSTOMER, "b_1", None, True)

    assert (pay.status, payments.payment_view(pay, CUSTOMER)["authorised"]) == ("authorised", CAP)
    assert stripe.of("authorise") == [("authorise", CAP)]
    assert store.bookings.get("b_1").state == "requested"  # hold_card moved it on
    # authorising again returns the hold there is; the card is held once
    assert payments.authorise_booking(CUSTOMER, "b_1", None, True).payment_intent_id == pay.payment_intent_id
    assert len(stripe.of("authorise")) == 1


def test_a_new_card_is_saved_for_next_time_and_a_declined_one_is_a_402_that_holds_nothing(store, stripe):
    store.cards.rows[CUSTOMER.id] = SavedCardRecord(customer_id=CUSTOMER.id, tenant_id=TENANT, email="e@example.org")
    given_booking(store)
    stripe.declining.add("pm_card_declined")

    with pytest.raises(gw.PaymentDeclined):
        payments.authorise_booking(CUSTOMER, "b_1", "pm_card_declined", False)
    assert payments.get_payment("b_1").status == "failed" and store.bookings.get("b_1").state == "awaiting_payment"

    pay = payments.authorise_booking(CUSTOMER, "b_1", "pm_card_visa", False)
    assert pay.status == "authorised"
    card = store.cards.get(CUSTOMER.id)
    assert (card.default_payment_method, card.card_last4, card.stripe_customer_id) == ("pm_card_visa", "4242", "cus_1")


def test_nobody_but_the_customer_holds_a_card_on_the_booking(store):
    given_customer_with_a_saved_card(store)
    given_booking(store)

    with pytest.raises(NotFound):
        payments.authorise_booking(Actor("customer", "c_other", TENANT), "b_1", None, True)
    assert payments.get_payment("b_1") is None


# ---- settle and pay out ----------------------------------------------------------------------------

def test_a_completed_job_is_charged_once_divided_in_the_ledger_and_the_helper_paid_once(store, stripe, told):
    held(store)
    payments.set_tip(CUSTOMER, "b_1", 500)
    job_done(store, minutes=60)

    result = payments.settle_booking("b_1")

    pay = payments.get_payment("b_1")
    price = pay.steps["price"]
    assert result == {"result": "settled", "total": price["total"], "payout": "paid"}
    # an hour at 60.00 (four 15-minute blocks) and the tip; the platform keeps 15 % of the time, not of the tip
    assert [(i["code"], i["amount"]) for i in pay.line_items] == [("time", 6000), ("tip", 500)]
    assert (price["total"], price["tip"], price["platform_fee"], price["helper_payout"]) == (6500, 500, 900, 5600)
    assert (pay.status, payments.payment_view(pay, OPS)["captured"]) == ("captured", price["total"])
    assert stripe.of("capture") == [("capture", price["total"])]
    assert stripe.of("transfer") == [("transfer", price["helper_payout"], "acct_anna")]
    assert price["platform_fee"] + price["partner_share"] + price["helper_payout"] == price["total"]
    assert balanced(store)
    assert payments.helper_statement(HELPER, HELPER.id)["totals"]["CHF"] == {
        "earned": price["helper_payout"], "paid_out": price["helper_payout"], "unpaid": 0}
    assert store.bookings.get("b_1").line_items == pay.line_items  # the booking view's copy
    assert ("payment_receipt", "customer", "payment_receipt#b_1") in told

    # replayed (a redelivered stream record): nothing moves twice
    moves, entries = list(stripe.moves), len(store.ledger.rows)
    assert payments.settle_booking("b_1")["result"] == "settled"
    assert stripe.moves == moves and len(store.ledger.rows) == entries


def test_a_helper_not_yet_payout_ready_is_paid_when_stripe_says_the_account_is_ready(store, stripe):
    given_customer_with_a_saved_card(store)
    given_helper(store, payout_ready=False)
    given_booking(store)
    payments.authorise_booking(CUSTOMER, "b_1", None, True)
    job_done(store)

    assert payments.settle_booking("b_1")["payout"] == "pending-onboarding"
    assert stripe.of("transfer") == []

    # the helper onboards; Stripe tells us (twice, and an older event late)
    store.payout_accounts.rows[HELPER.id] = replace(store.payout_accounts.get(HELPER.id), stripe_account_id="acct_anna")
    ready = {"id": "evt_1", "type": "account.updated", "created": 200,
             "data": {"object": {"id": "acct_anna", "payouts_enabled": True, "metadata": {"helper_id": HELPER.id}}}}
    assert payments.handle_stripe_event(ready) == "payout-ready"
    assert payments.handle_stripe_event(ready) == "duplicate"
    older = {**ready, "id": "evt_0", "created": 100,
             "data": {"object": {**ready["data"]["object"], "payouts_enabled": False}}}
    assert payments.handle_stripe_event(older) == "out-of-order"

    helper_payout = payments.get_payment("b_1").steps["price"]["helper_payout"]
    assert stripe.of("transfer") == [("transfer", helper_payout, "acct_anna")]
    assert payments.helper_statement(HELPER, HELPER.id)["totals"]["CHF"]["unpaid"] == 0


def test_a_completion_without_a_hold_is_flagged_not_charged(store, stripe):
    given_helper(store)
    given_booking(store, state="started", helper_id=HELPER.id, minutes_worked=30)
    apply_transition("b_1", "complete", HELPER)

    assert payments.settle_booking("b_1") == {"result": "unpaid"}
    assert payments.get_payment("b_1").flag_tenant == f"{TENANT}#unpaid" and stripe.moves == []


# ---- cancel --------------------------------------------------------------------------------------

def test_a_cancel_before_a_helper_is_assigned_releases_the_hold_for_free(store, stripe):
    held(store)
    booking = store.bookings.get("b_1")

    assert payments.cancel_payment({"booking_id": "b_1", "tenant_id": TENANT, "terms": booking.terms},
                                   {"transition": "cancel_by_customer", "from": "requested"}) == "released"
    assert payments.get_payment("b_1").status == "released"
    assert stripe.of("capture") == [] and len(stripe.of("release")) == 1


def test_a_late_cancel_captures_the_fee_and_the_helper_gets_it(store, stripe):
    held(store)
    store.bookings.records["b_1"] = replace(store.bookings.get("b_1"), state="assigned", helper_id=HELPER.id)
    cancelled = apply_transition("b_1", "cancel_by_customer", CUSTOMER, data={"reason": "fixed it myself"})
    entry = cancelled.history[-1]
    fee = policy.PLATFORM_DEFAULTS["late_cancel_fee_minor"]

    assert payments.cancel_payment({"booking_id": "b_1", "tenant_id": TENANT, "helper_id": HELPER.id}, entry) \
        == "late-cancel-fee"
    # replayed: charged and paid once
    payments.cancel_payment({"booking_id": "b_1", "tenant_id": TENANT, "helper_id": HELPER.id}, entry)

    assert stripe.of("capture") == [("capture", fee)]
    assert stripe.of("transfer") == [("transfer", fee, "acct_anna")]
    assert payments.get_payment("b_1").status == "captured" and balanced(store)
    assert payments.helper_statement(HELPER, HELPER.id)["totals"]["CHF"]["earned"] == fee


# ---- refund --------------------------------------------------------------------------------------

def settled(store) -> int:
    held(store)
    job_done(store)
    return payments.settle_booking("b_1")["total"]


def test_operations_refund_in_parts_never_more_than_was_charged(store, stripe):
    total = settled(store)

    part = payments.refund_booking(OPS, "b_1", 1000, "the cable was not needed")
    assert part.status == "partially_refunded"
    with pytest.raises(ValidationFailed) as too_much:
        payments.refund_booking(OPS, "b_1", total, "again")
    assert too_much.value.extra == {"refundable": total - 1000}
    rest = payments.refund_booking(OPS, "b_1", None, "all of it")
    with pytest.raises(Conflict):
        payments.refund_booking(OPS, "b_1", None, "once more")

    assert rest.status == "refunded" and payments.payment_view(rest, OPS)["refunded"] == total
    assert [m[1] for m in stripe.of("refund")] == [1000, total - 1000]
    # the helper's part came back by transfer reversals; the ledger balances and the helper is owed nothing
    helper_payout = rest.steps["price"]["helper_payout"]
    assert sum(m[1] for m in stripe.of("reversal")) == helper_payout
    assert balanced(store)
    summary = L.booking_summary(payments.booking_movements("b_1"))
    assert summary["helper_earning"] + summary["platform_fee"] + summary["partner_share"] == 0


def test_ten_refunds_at_once_pay_back_at_most_what_was_charged(store, stripe):
    total = settled(store)
    outcomes: list[str] = []

    def refund():
        try:
            payments.refund_booking(OPS, "b_1", total // 4, "at once")
            outcomes.append("refunded")
        except (Conflict, ValidationFailed) as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=contextvars.copy_context().run, args=(refund,)) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert outcomes.count("refunded") == 4 and len(outcomes) == 10
    assert sum(m[1] for m in stripe.of("refund")) == 4 * (total // 4) <= total
    assert payments.payment_view(payments.get_payment("b_1"), OPS)["refunded"] == 4 * (total // 4)


def test_a_refund_decided_on_a_stale_record_is_decided_again_before_stripe_is_called(store, stripe):
    total = settled(store)
    # given another container reserves all but 500 between this refund's read and its write
    write = store.payments.write
    raced = []

    def write_after_a_rival(pay, changes):
        if "refund_reserved" in changes and not raced:
            raced.append(write(store.payments.get("b_1"), {"refund_reserved": total - 500, "refund_seq": 1}))
        return write(pay, changes)
    store.payments.write = write_after_a_rival

    # when operations refund 1000, then the reservation is re-read and refused: only 500 are left
    with pytest.raises(ValidationFailed) as refused:
        payments.refund_booking(OPS, "b_1", 1000, "the cable")
    assert refused.value.extra == {"refundable": 500}
    assert stripe.of("refund") == []


def test_only_operations_refund(store):
    settled(store)
    from chalicelib.domain.errors import Forbidden

    with pytest.raises(Forbidden):
        payments.refund_booking(CUSTOMER, "b_1", None, "I want it back")


# ---- Stripe's events -----------------------------------------------------------------------------

def test_a_late_webhook_never_moves_a_payment_back(store):
    pay = settled(store) and payments.get_payment("b_1")
    stale = {"id": "evt_late", "type": "payment_intent.amount_capturable_updated", "created": 1,
             "data": {"object": {"id": pay.payment_intent_id, "status": "requires_capture", "amount": CAP,
                                 "metadata": {"booking_id": "b_1"}}}}

    assert payments.handle_stripe_event(stale) == "out-of-order"
    assert payments.get_payment("b_1").status == "captured"
