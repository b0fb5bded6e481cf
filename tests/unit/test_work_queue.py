"""The work queue's consumer routes each record by its kind and joins the partial batch responses."""
from __future__ import annotations

import pytest

from chalicelib import queues
from chalicelib.handlers import work


def record(mid: str, kind: str | None) -> dict:
    attrs = {} if kind is None else {"kind": {"stringValue": kind, "dataType": "String"}}
    return {"messageId": mid, "receiptHandle": f"rh-{mid}", "body": "{}", "messageAttributes": attrs}


@pytest.fixture
def seen(monkeypatch):
    got: dict[str, list[str]] = {}

    def handler(kind, fail=()):
        def handle(event):
            ids = [r["messageId"] for r in event["Records"]]
            got.setdefault(kind, []).extend(ids)
            return {"batchItemFailures": [{"itemIdentifier": i} for i in ids if i in fail]}
        return handle

    monkeypatch.setattr(work, "_handlers", lambda: {
        "offer-timeouts": handler("offer-timeouts"), "notifications": handler("notifications", fail={"n2"}),
        "webhook-deliveries": handler("webhook-deliveries")})
    return got


def test_records_go_to_their_kind_in_order_and_failures_are_joined(seen):
    batch = [record("o1", "offer-timeouts"), record("n1", "notifications"), record("w1", "webhook-deliveries"),
             record("n2", "notifications"), record("o2", "offer-timeouts"), record("x1", None),
             record("y1", "no-such-kind")]
    result = work.on_work({"Records": batch}, None)
    assert seen == {"offer-timeouts": ["o1", "o2"], "notifications": ["n1", "n2"], "webhook-deliveries": ["w1"]}
    assert sorted(f["itemIdentifier"] for f in result["batchItemFailures"]) == ["n2", "x1", "y1"]


def test_every_kind_is_routed_and_rides_the_one_consumed_queue():
    assert set(work._handlers()) == {k.short_name for k in queues.ALL_KINDS}
    assert all(k.queue is queues.WORK for k in queues.ALL_KINDS)
    assert queues.ALL_QUEUES == [queues.WORK]
    tag = queues.kind_attribute(queues.NOTIFICATIONS)
    lambda_shape = {"kind": {"stringValue": tag["kind"]["StringValue"], "dataType": "String"}}
    assert queues.record_kind({"messageAttributes": lambda_shape}) == "notifications"


def test_send_tags_the_message_with_its_kind(monkeypatch):
    sent = []

    class FakeSqs:
        def send_message(self, **kwargs):
            sent.append(kwargs)

    monkeypatch.setattr("chalicelib.aws.client", lambda service: FakeSqs())
    monkeypatch.setattr(queues, "queue_url", lambda spec: f"url:{spec.name}")
    queues.send(queues.OFFER_TIMEOUTS, {"booking_id": "b_1"}, delay_seconds=5000)
    assert sent[0]["MessageAttributes"] == {"kind": {"DataType": "String", "StringValue": "offer-timeouts"}}
    assert sent[0]["QueueUrl"] == f"url:{queues.WORK.name}" and sent[0]["DelaySeconds"] == 900
