"""A queue message whose claim another worker holds comes back when that claim's lease ends,
not after the (short) visibility timeout: a worker killed while holding the claim must not get
the message dead-lettered before it may be taken over (found by bench/chaos.py killing the pump)."""
from __future__ import annotations

import json
import uuid

import pytest

pytestmark = pytest.mark.integration


def test_a_message_claimed_by_a_dead_worker_stays_hidden_for_the_claims_lease(stack):
    from chalicelib.aws import client
    from chalicelib.handlers.batch import _guard_key, process_queue
    from chalicelib.store import claims

    # a private queue of its own (the record names it): the session's pump never sees it
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=f"crowdfix-local-busy-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    try:
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"booking_id": "b_busy"}))
        got = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0, AttributeNames=["All"])["Messages"][0]
        record = {"messageId": got["MessageId"], "receiptHandle": got["ReceiptHandle"], "body": got["Body"],
                  "attributes": got["Attributes"], "eventSourceARN": arn}
        # given a worker that claimed this message and died (its lease runs for 5 more minutes)
        outcome, _ = claims.claim(_guard_key("busy-test", got["MessageId"]), lease_seconds=300)
        assert outcome == claims.CLAIMED
        handled = []

        result = process_queue("busy-test", {"Records": [record]}, handled.append)

        assert result == {"batchItemFailures": [{"itemIdentifier": got["MessageId"]}]} and handled == []
        assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages") is None
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
        assert attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"
    finally:
        sqs.delete_queue(QueueUrl=url)
