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


# ---- the deadline: stop taking messages before the invocation runs out -------------------------

class FakeContext:
    """A Lambda context whose clock moves only when a handled record says so."""

    def __init__(self, remaining_ms: int):
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def test_a_queue_batch_hands_back_untaken_messages_near_the_deadline():
    from chalicelib.handlers.batch import RECORD_RESERVE_MS, process_queue

    context = FakeContext(RECORD_RESERVE_MS + 25_000)
    taken = []

    def handle(rec):  # each message takes 10 s of the invocation
        taken.append(rec["messageId"])
        context.remaining_ms -= 10_000

    class Event:  # what Chalice hands a handler: the records and the Lambda context
        def __init__(self, records):
            self.context, self._records = context, records

        def to_dict(self):
            return {"Records": self._records}

    batch = [record(f"m{i}", "notifications") for i in range(6)]
    result = process_queue("notifications", Event(batch), handle, guard=False)
    assert taken == ["m0", "m1", "m2"]
    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == ["m3", "m4", "m5"]


def test_the_work_queue_passes_its_deadline_to_every_kind(monkeypatch):
    from chalicelib.handlers import batch as batch_mod
    from chalicelib.handlers.batch import RECORD_RESERVE_MS, process_queue

    context = FakeContext(RECORD_RESERVE_MS + 15_000)
    taken = []

    def kind_handler(event):  # as the real per-kind handlers do: process_queue on a plain dict
        def handle(rec):
            taken.append(rec["messageId"])
            context.remaining_ms -= 10_000
        return process_queue("x", event, handle, guard=False)

    monkeypatch.setattr(work, "_handlers", lambda: {"offer-timeouts": kind_handler, "notifications": kind_handler})
    batch = [record("o1", "offer-timeouts"), record("o2", "offer-timeouts"), record("o3", "offer-timeouts"),
             record("n1", "notifications")]
    result = work.on_work({"Records": batch}, context)
    assert taken == ["o1", "o2"]
    assert sorted(f["itemIdentifier"] for f in result["batchItemFailures"]) == ["n1", "o3"]
    assert batch_mod._budget.get() is None  # the budget ends with the invocation


def test_a_stream_batch_stops_in_order_near_the_deadline():
    from chalicelib.handlers.batch import RECORD_RESERVE_MS, process_stream

    context = FakeContext(RECORD_RESERVE_MS + 5_000)
    taken = []

    def handle(rec):
        taken.append(rec["dynamodb"]["SequenceNumber"])
        context.remaining_ms -= 10_000

    class Event:
        def __init__(self, records):
            self.context, self._records = context, records

        def to_dict(self):
            return {"Records": self._records}

    recs = [{"eventID": f"e{i}", "eventName": "MODIFY", "dynamodb": {"SequenceNumber": str(i), "Keys": {}}}
            for i in range(3)]
    result = process_stream("s", Event(recs), handle, guard=False)
    assert taken == ["0"]
    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == ["1", "2"]


def test_without_a_context_nothing_is_held_back():
    from chalicelib.handlers.batch import process_queue

    taken = []
    result = process_queue("x", {"Records": [record("a", None), record("b", None)]},
                           lambda r: taken.append(r["messageId"]), guard=False)
    assert taken == ["a", "b"] and result == {"batchItemFailures": []}


def test_aws_clients_give_up_well_inside_the_api_timeout():
    """botocore's own defaults (60 s + 60 s per try) outlast the API's 28 s; ours do not."""
    from chalicelib import aws
    from chalicelib.models.base import BaseMeta

    cfg = aws.client_config()
    assert (cfg.connect_timeout, cfg.read_timeout) == (aws.CONNECT_TIMEOUT_SECONDS, aws.READ_TIMEOUT_SECONDS)
    assert cfg.retries == {"max_attempts": aws.MAX_ATTEMPTS, "mode": "standard"}
    aws.reset_clients()
    try:
        made = aws.client("sqs").meta.config
        assert (made.connect_timeout, made.read_timeout) == (aws.CONNECT_TIMEOUT_SECONDS, aws.READ_TIMEOUT_SECONDS)
    finally:
        aws.reset_clients()
    assert aws.worst_case_call_seconds() < 28
    assert aws.worst_case_call_seconds(BaseMeta.connect_timeout_seconds, BaseMeta.read_timeout_seconds,
                                       1 + BaseMeta.max_retry_attempts) < 28
