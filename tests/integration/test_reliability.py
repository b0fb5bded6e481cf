"""Nothing lost, nothing twice: a booking's effects are units of work of their own, guards are
atomic claims, and what used up its retries is in the failure store for ops to replay. On the
real local stack (DynamoDB Local, moto's SQS, localstripe) with the session's pump."""
from __future__ import annotations

import threading
import time
import uuid

import pytest

from chalicelib.store.payments import payments

from tests.integration.test_payments import book_and_authorise, make_helper, onboard, payment
from tests.integration.test_payments import stripe_local  # noqa: F401  (fixture)
from tests.stack_fixtures import wait_for

pytestmark = pytest.mark.integration


def _state(api, bid, who):
    return api.call("GET", f"/v1/bookings/{bid}", headers=who)[1]["state"]


def _accepted_job(api, signin, hid, helper):
    """Given a paid booking of a new customer with ``hid`` as preferred helper, accepted."""
    customer, bid, status, pay = book_and_authorise(api, signin, hid, cap=20000)
    assert status == 201 and pay["status"] == "authorised", pay
    wait_for(lambda: _state(api, bid, customer) == "offered", what=f"{bid} offered")
    status, body, _ = api.call("POST", f"/v1/bookings/{bid}/accept", headers=helper)
    assert status == 200, body
    return customer, bid


def test_a_helper_holding_two_jobs_completes_one_and_it_is_charged(api, signin, pump, stripe_local):
    from chalicelib.models.helpers import Helper

    # given one helper who accepted two customers' paid bookings
    hid, email = make_helper(rate=6000)
    helper, _ = onboard(api, signin, stripe_local, email)
    _, first = _accepted_job(api, signin, hid, helper)
    _, second = _accepted_job(api, signin, hid, helper)
    pump.wait_idle(timeout=30)
    assert Helper.get(hid, consistent_read=True).busy_with == second

    # when the first job is done
    assert api.call("POST", f"/v1/bookings/{first}/start", headers=helper)[0] == 200
    status, done, _ = api.call("POST", f"/v1/bookings/{first}/complete", {"minutes_worked": 45}, helper)
    assert status == 200 and done["state"] == "completed"

    # then it is charged (freeing the helper found them busy with the other job: not a crash)
    captured = wait_for(lambda: (p := payment(first)) is not None and p.status == "captured" and p, timeout=60,
                        what="the first booking captured")
    assert captured.facts["captured"] == 4500 + 2500  # 3 x 15 min at 60.00/h + the travel fee
    # and the helper stays busy with the job they still hold
    pump.wait_idle(timeout=30)
    assert Helper.get(hid, consistent_read=True).busy_with == second
    assert payment(second).status == "authorised"
    # the unit that used to crash here (a refused transaction read as a dict) answers plainly,
    # however often it runs
    from chalicelib.models.bookings import Booking
    from chalicelib.services.matching import free_helper
    booking = Booking.get(first, consistent_read=True).to_simple_dict()
    for _ in range(2):
        free_helper(booking, booking["history"][-1], None)
    assert Helper.get(hid, consistent_read=True).busy_with == second


@pytest.fixture()
def failing_effect(monkeypatch):
    """Makes one effect fail for the bookings named in ``broken`` (the others run the real one)."""
    from chalicelib import effects as registry

    broken: dict[str, list] = {}

    def install(name):
        real = registry.resolve(name)
        calls = broken.setdefault(name, [])

        def flaky(booking, entry, old):
            calls.append(booking["booking_id"])
            if booking["booking_id"] in broken.get(f"{name}:bookings", []):
                raise RuntimeError(f"{name} is broken for this booking")
            return real(booking, entry, old)
        monkeypatch.setitem(registry._resolved, name, flaky)
        return broken.setdefault(f"{name}:bookings", [])
    return install, broken


def test_a_failing_effect_never_blocks_the_others_and_lands_in_the_failure_store(api, signin, pump, failing_effect,
                                                                                stripe_local):
    from chalicelib.services.failures import failure_id_for
    from chalicelib.services.effects import unit_key

    install, calls = failing_effect
    broken = install("request_review")
    hid, email = make_helper(rate=6000)
    helper, _ = onboard(api, signin, stripe_local, email)
    customer, bid = _accepted_job(api, signin, hid, helper)
    broken.append(bid)
    assert api.call("POST", f"/v1/bookings/{bid}/start", headers=helper)[0] == 200

    # when the job is completed and asking for a review keeps failing
    status, done, _ = api.call("POST", f"/v1/bookings/{bid}/complete", {"minutes_worked": 30}, helper)
    assert status == 200
    v = done["version"]

    # then settlement (the same transition's other effect) still charges the customer
    wait_for(lambda: (p := payment(bid)) is not None and p.status == "captured", timeout=60, what="captured")
    # and the failing unit is retried on its own, then kept in the failure store with its reason
    ops = signin("ops@crowdfix.local", "ops")
    fid = failure_id_for(unit_key(bid, v, "request_review"))

    def stored():
        status, body, _ = api.call("GET", "/v1/ops/failures?status=open&limit=200", headers=ops)
        assert status == 200, body
        return next((f for f in body["items"] if f["failure_id"] == fid), None)
    failure = wait_for(stored, timeout=90, what="the failed unit in the failure store")
    assert failure["name"] == "request_review" and failure["booking_id"] == bid
    assert "request_review is broken for this booking" in failure["error"]
    from chalicelib.queues import WORK
    tries = calls["request_review"].count(bid)
    assert tries == 1 + WORK.max_receive_count  # inline once, then each delivery from the work queue
    # nobody but ops may see it
    assert api.call("GET", "/v1/ops/failures", headers=customer)[0] == 403

    # when ops replay it after the cause is fixed
    broken.remove(bid)
    status, replayed, _ = api.call("POST", f"/v1/ops/failures/{fid}/replay", headers=ops)
    assert status == 202 and replayed["status"] == "replayed" and replayed["replays"] == 1
    # then it runs again (and a second replay of the same failure is refused)
    wait_for(lambda: calls["request_review"].count(bid) == tries + 1, timeout=60, what="the replay ran")
    assert api.call("POST", f"/v1/ops/failures/{fid}/replay", headers=ops)[0] == 409
    pump.wait_idle(timeout=30)
    assert api.call("GET", "/v1/ops/failures?status=replayed&limit=200", headers=ops)[1]["items"][0]["failure_id"]


def _stream_event(event_id: str) -> dict:
    return {"Records": [{"eventID": event_id, "eventName": "MODIFY",
                         "dynamodb": {"SequenceNumber": "1", "Keys": {}}}]}


def test_two_concurrent_deliveries_of_one_record_do_the_work_once(stack):
    """The guard is one conditional claim, not check-then-act: the second delivery finds the first
    one's claim running and waits for it, a later one finds it done."""
    from chalicelib.handlers.batch import process_stream

    ran, started = [], threading.Event()
    answers: list[dict] = []
    barrier = threading.Barrier(2)
    event = _stream_event(f"test-{uuid.uuid4().hex}")

    def handle(record):
        ran.append(record["eventID"])
        started.set()
        time.sleep(0.5)  # still working when the other delivery arrives

    def deliver():
        barrier.wait()
        answers.append(process_stream("claims-test", event, handle))
    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(ran) == 1
    assert [a["batchItemFailures"] for a in answers] == [[], []]  # the second waited, then found it done
    # a later redelivery changes nothing
    assert process_stream("claims-test", event, handle) == {"batchItemFailures": []}
    assert len(ran) == 1


def test_a_record_whose_worker_died_holding_its_claim_is_run_by_the_retry_not_given_up(stack, monkeypatch):
    from chalicelib.handlers import batch
    from chalicelib.store import claims

    monkeypatch.setattr(batch, "STREAM_LEASE_SECONDS", 1)
    monkeypatch.setattr(batch, "STREAM_WAIT_SECONDS", 5)
    event = _stream_event(f"test-{uuid.uuid4().hex}")
    # a worker claimed the record and died before finishing (no release, no done)
    assert claims.claim(batch._guard_key("claims-test", event["Records"][0]["eventID"]), lease_seconds=1)[0] == \
        claims.CLAIMED
    ran = []
    # the retry waits out the dead worker's lease, takes the claim over and does the work
    assert batch.process_stream("claims-test", event, lambda r: ran.append(1)) == {"batchItemFailures": []}
    assert ran == [1]


def test_a_delivery_that_failed_releases_its_claim_so_the_retry_runs(stack):
    from chalicelib.handlers.batch import process_stream

    ran = []
    event = _stream_event(f"test-{uuid.uuid4().hex}")

    def fails_once(record):
        ran.append(1)
        if len(ran) == 1:
            raise RuntimeError("first try fails")
    assert len(process_stream("claims-test", event, fails_once)["batchItemFailures"]) == 1
    assert process_stream("claims-test", event, fails_once) == {"batchItemFailures": []}
    assert len(ran) == 2


def test_a_claim_left_by_a_worker_that_died_is_taken_over_after_its_lease(stack):
    from chalicelib.store import claims

    key = f"claims-test#{uuid.uuid4().hex}"
    outcome, owner = claims.claim(key, lease_seconds=1)
    assert outcome == claims.CLAIMED
    assert claims.claim(key, lease_seconds=1)[0] == claims.BUSY  # the worker is (maybe) still on it
    time.sleep(1.5)  # its lease ran out: it died
    outcome, new_owner = claims.claim(key)
    assert outcome == claims.CLAIMED and new_owner != owner
    assert claims.finish(key, owner) is False  # the dead worker cannot finish what it gave up
    assert claims.finish(key, new_owner) is True
    assert claims.claim(key)[0] == claims.DONE


def _settled_job(api, signin, pump, stripe_local, minutes=60):
    """A completed booking, captured and paid out to the helper."""
    hid, email = make_helper(rate=6000)
    helper, _ = onboard(api, signin, stripe_local, email)
    customer, bid = _accepted_job(api, signin, hid, helper)
    assert api.call("POST", f"/v1/bookings/{bid}/start", headers=helper)[0] == 200
    assert api.call("POST", f"/v1/bookings/{bid}/complete", {"minutes_worked": minutes}, helper)[0] == 200
    # the last step of settlement (after the payout): nothing writes the payment after it
    wait_for(lambda: (p := payment(bid)) is not None and "receipt_sent" in (p.steps or {}), timeout=60,
             what="settled, paid out and the receipt sent")
    return bid, hid


def _concurrently(n, fn):
    barrier = threading.Barrier(n)
    results = []

    def run():
        barrier.wait()
        try:
            results.append(("ok", fn()))
        except Exception as exc:  # noqa: BLE001 — every outcome is collected and judged below
            results.append((type(exc).__name__, exc))
    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_ten_concurrent_refunds_never_pay_back_more_than_was_captured(api, signin, pump, stripe_local):
    import requests

    from chalicelib.domain.actors import Actor
    from chalicelib.domain.errors import Conflict, ValidationFailed
    from chalicelib.domain.ledger import booking_summary
    from chalicelib.services.payments import booking_movements, refund_booking

    bid, hid = _settled_job(api, signin, pump, stripe_local)
    captured = payment(bid).facts["captured"]
    assert captured == 6000 + 2500
    ops = Actor("ops", "s_racer", "*")

    # ten at once, each asking for 30.00 of the 85.00: two fit, the rest are refused plainly
    first = _concurrently(10, lambda: refund_booking(ops, bid, 3000, "race"))
    assert [r[0] for r in first].count("ok") == 2, first
    assert all(isinstance(e, (ValidationFailed, Conflict)) for kind, e in first if kind != "ok"), first
    # ten at once, each asking for "all that is left": exactly one gets the remaining 25.00
    rest = _concurrently(10, lambda: refund_booking(ops, bid, None, "race"))
    assert [r[0] for r in rest].count("ok") == 1, rest

    pay = payment(bid)
    assert sum(int(r["amount"]) for r in pay.refunds) == captured
    assert pay.facts["refunded"] == captured and pay.status == "refunded"
    # Stripe (localstripe) refunded exactly what was captured, once per refund we recorded
    charge = requests.get(f"{stripe_local['base']}/v1/charges/{pay.charge_id}", headers=stripe_local["auth"],
                          timeout=5).json()
    assert charge["amount_refunded"] - (charge["amount"] - captured) == captured
    # the ledger is balanced and no payout exceeds its capture
    movements = booking_movements(bid)
    assert sum(e.amount for m in movements for e in m.entries) == 0
    s = booking_summary(movements)
    assert s["refunded"] == captured and s["paid_out"] - s["reversed"] == 0 and s["paid_out"] <= captured


def test_ten_concurrent_settlements_capture_and_pay_out_once(api, signin, pump, stripe_local):
    import requests

    from chalicelib.domain.ledger import booking_summary
    from chalicelib.services.payments import booking_movements, settle_booking

    bid, hid = _settled_job(api, signin, pump, stripe_local)
    before = payment(bid)
    # as if every earlier run crashed after Stripe answered but before the steps were recorded...
    steps = before.steps
    steps.pop("capture"), steps.pop("payout")
    payments().write(before, {"steps": steps})
    # ... ten runs at once, as if the stream, the work queue and ops all ran settlement together
    results = _concurrently(10, lambda: settle_booking(bid))
    assert all(kind == "ok" and r["result"] == "settled" for kind, r in results), results
    pay = payment(bid)
    assert pay.facts["captured"] == before.facts["captured"] == 6000 + 2500
    transfers = [t for t in requests.get(f"{stripe_local['base']}/_config/local/transfers", timeout=5).json()["transfers"]
                 if t["transfer_group"] == bid]
    assert len(transfers) == 1
    s = booking_summary(booking_movements(bid))
    assert s["captured"] == 8500 and s["paid_out"] == transfers[0]["amount"] <= s["captured"]
    assert sum(e.amount for m in booking_movements(bid) for e in m.entries) == 0


def test_ten_concurrent_tips_leave_one_tip_not_their_sum(api, signin, pump, stripe_local):
    from chalicelib.services.payments import set_tip
    from chalicelib.domain.actors import Actor

    hid, email = make_helper(rate=6000)
    helper, _ = onboard(api, signin, stripe_local, email)
    customer, bid = _accepted_job(api, signin, hid, helper)
    actor = Actor("customer", customer["_id"], "crowdfix")
    results = _concurrently(10, lambda: set_tip(actor, bid, 500))
    assert [k for k, _ in results].count("ok") >= 1
    assert all(k in ("ok", "Conflict") for k, _ in results), results
    assert int(payment(bid).extras["tip"]) == 500
