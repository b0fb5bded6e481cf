"""The SQS queues crowdfix uses, described once.

Each queue has a dead-letter queue; ``max_receive_count`` deliveries are tried before a message is
moved there. Locally the pump and ``localdev`` create them from this list; ``infra/`` creates the same
ones in AWS.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from chalicelib.settings import get_settings


@dataclass(frozen=True)
class QueueSpec:
    short_name: str
    visibility_timeout: int = 60
    max_receive_count: int = 5
    # consumer Lambda timeout; infra keeps visibility >= 6x this
    consumer_timeout: int = 10

    @property
    def name(self) -> str:
        return get_settings().queue_name(self.short_name)

    @property
    def dlq_name(self) -> str:
        return f"{self.name}-dlq"


OFFER_TIMEOUTS = QueueSpec("offer-timeouts")
NOTIFICATIONS = QueueSpec("notifications")
STREAM_FAILURES = QueueSpec("stream-failures", max_receive_count=1)
# partner webhooks: HTTP failures are retried by re-enqueueing with back-off (services.webhooks);
# a handler crash is retried by SQS and lands in the DLQ after max_receive_count
WEBHOOK_DELIVERIES = QueueSpec("webhook-deliveries", visibility_timeout=60, consumer_timeout=10)

ALL_QUEUES = [OFFER_TIMEOUTS, NOTIFICATIONS, WEBHOOK_DELIVERIES]


def queue_url(spec: QueueSpec) -> str:
    from chalicelib.aws import client

    return _url_cache.get(spec.name) or _url_cache.setdefault(
        spec.name, client("sqs").get_queue_url(QueueName=spec.name)["QueueUrl"])


_url_cache: dict[str, str] = {}


def send(spec: QueueSpec, message: dict, delay_seconds: int = 0) -> None:
    """Enqueue one JSON message (``delay_seconds`` up to 900, SQS's limit)."""
    from chalicelib.aws import client

    client("sqs").send_message(QueueUrl=queue_url(spec), MessageBody=json.dumps(message),
                               DelaySeconds=max(0, min(900, int(delay_seconds))))
