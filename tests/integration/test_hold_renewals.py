"""Card-hold renewal fanned out through the work queue (issue 19): the hourly plan finds the due holds
oldest first and enqueues one message per hold; each is renewed at most once per hold and cycle; one
that keeps failing lands in the failure store. On DynamoDB Local and moto's SQS; the end-to-end
renewal against localstripe is tests/integration/test_payments.py::test_old_holds_are_renewed_or_released."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

pytestmark = pytest.mark.integration

# a day no other test's holds use: the plan reads day partitions of the by_hold_day index
NOW = datetime(2031, 3, 20, 12, 0, tzinfo=timezone.utc)


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _hold(age: timedelta, *, seq: int = 1, booking_id: str | None = None) -> str:
    """Given a payment holding an authorisation made ``age`` before NOW."""
    from chalicelib.models.payments import Payment

    bid = booking_id or "b_hold" + uuid.uuid4().hex[:10]
    at = NOW - age
    Payment(booking_id=bid, tenant_id="crowdfix", customer_id="c_x", currency="chf", status="authorised",
            facts={"authorised": 5000}, payment_intent_id=f"pi_{bid}", auth_seq=seq, authorised_at=_iso(at),
            hold_day=at.strftime("%Y-%m-%d"), created_at=_iso(at), updated_at=_iso(at)).save()
    return bid


@pytest.fixture()
def renewal_queue(stack, monkeypatch):
    """hold-renewals messages go to a queue of this test's own (the session's pump consumes the real one)."""
    from chalicelib import queues
    from chalicelib.aws import client

    url = client("sqs").create_queue(QueueName=f"hold-renewals-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    real = queues.queue_url
    monkeypatch.setattr(queues, "queue_url", lambda spec: url if spec is queues.HOLD_RENEWALS else real(spec))

    def drain() -> list[dict]:
        got = []
        while True:
            batch = client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                  MessageAttributeNames=["All"], WaitTimeSeconds=0).get("Messages", [])
            if not batch:
                return got
            for m in batch:
                got.append(m)
                client("sqs").delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

    yield drain
    client("sqs").delete_queue(QueueUrl=url)


def test_the_plan_enqueues_only_due_holds_oldest_first(renewal_queue):
    from chalicelib.services.payments import renew_or_release_holds

    # given holds of 9 days, 7 days, 6 days 2 h (all due after the default 144 h) and one of a day
    middle, oldest, youngest_due = _hold(timedelta(days=7)), _hold(timedelta(days=9)), _hold(timedelta(days=6, hours=2))
    fresh = _hold(timedelta(days=1))
    # and more than one SendMessageBatch worth of due holds on one older day
    crowd = [_hold(timedelta(days=8, minutes=i)) for i in range(12)]
    # when the hourly plan runs
    counts = renew_or_release_holds(now=NOW)
    # then every due hold has one message, oldest authorisation first, tagged with its kind and cycle
    messages = renewal_queue()
    bodies = [json.loads(m["Body"]) for m in messages]
    assert counts == {"queued": 15, "kept": 1}
    assert [b["booking_id"] for b in bodies] == [oldest, *reversed(crowd), middle, youngest_due]
    assert fresh not in {b["booking_id"] for b in bodies}
    assert all(b["cycle"] == 1 for b in bodies)
    assert {m["MessageAttributes"]["kind"]["StringValue"] for m in messages} == {"hold-renewals"}


def _record(body: dict, receive_count: int = 1) -> dict:
    return {"messageId": str(uuid.uuid4()), "receiptHandle": "rh", "body": json.dumps(body),
            "attributes": {"ApproximateReceiveCount": str(receive_count)},
            "messageAttributes": {"kind": {"stringValue": "hold-renewals", "dataType": "String"}}}


def test_a_hold_is_renewed_once_per_cycle(stack, monkeypatch):
    from chalicelib.handlers import work
    from chalicelib.services import payments
    from chalicelib.services.payments import holds

    # given a due hold of a booking that was cancelled (its renewal releases the hold on Stripe)
    bid = _hold(timedelta(days=7))
    released = []
    monkeypatch.setattr(payments.gw, "release", lambda pi, key, mode="live": released.append((pi, key)))
    booking = type("B", (), {"state": "cancelled"})()
    monkeypatch.setattr(holds, "booking_record", lambda booking_id: booking)
    # when its message is delivered twice (a second plan ran before the first message was taken)
    result = work.on_work({"Records": [_record({"booking_id": bid, "cycle": 1}),
                                       _record({"booking_id": bid, "cycle": 1})]}, None)
    # then Stripe released it once, the payment no longer holds, and neither delivery failed
    assert result == {"batchItemFailures": []}
    assert released == [(f"pi_{bid}", f"{bid}:release-1")]
    from chalicelib.models.payments import Payment
    pay = Payment.get(bid, consistent_read=True)
    assert pay.status == "released" and pay.hold_day is None
    # and a message of an older cycle (renewed since) changes nothing
    assert payments.renew_hold({"booking_id": bid, "cycle": 0}) == "kept"
    assert len(released) == 1


def test_a_renewal_that_keeps_failing_lands_in_the_failure_store(stack, monkeypatch):
    from chalicelib.handlers import work
    from chalicelib.models.failures import FailedUnit
    from chalicelib.queues import WORK
    from chalicelib.services import payments
    from chalicelib.services.payments import holds

    # given a due hold whose card Stripe cannot reach
    bid = _hold(timedelta(days=7))

    def stripe_down(*args, **kwargs):
        raise ConnectionError("api.stripe.com unreachable")

    monkeypatch.setattr(holds, "booking_record", lambda booking_id: type("B", (), {"state": "cancelled"})())
    monkeypatch.setattr(payments.gw, "release", stripe_down)
    # when it fails on an early delivery, it is handed back for a retry
    early = _record({"booking_id": bid, "cycle": 1}, receive_count=1)
    assert work.on_work({"Records": [early]}, None) == {"batchItemFailures": [{"itemIdentifier": early["messageId"]}]}
    # and on its last delivery it is taken off the queue into the failure store, with what replays it
    last = _record({"booking_id": bid, "cycle": 1}, receive_count=WORK.max_receive_count)
    assert work.on_work({"Records": [last]}, None) == {"batchItemFailures": []}
    failed = [f for f in FailedUnit.scan(FailedUnit.kind == "hold-renewals") if bid in (f.payload or "")]
    assert len(failed) == 1 and failed[0].status == "open" and "stripe.com unreachable" in failed[0].error
    # and the claim was released: once Stripe answers, the replayed message renews the hold
    monkeypatch.setattr(payments.gw, "release", lambda pi, key, mode="live": None)
    assert payments.renew_hold(json.loads(failed[0].payload)) == "released"


def test_a_malformed_message_is_refused_not_guessed(stack):
    from chalicelib.services.payments import renew_hold

    with pytest.raises(ValueError):
        renew_hold({"booking_id": "b_x", "cycle": "1"})
