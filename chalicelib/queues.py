"""The SQS queues crowdfix uses, described once.

**One work queue.** Offer time-outs, notifications, partner webhook deliveries and retried booking
effects are *kinds* of message on one queue (``WORK``) with one consumer (``handlers/work.py``
routes each record by its ``kind`` message attribute to that kind's handler). Lambda's SQS event source long-polls every
queue it consumes, around the clock, even when the queue is empty: about 650,000 requests a month
per queue. One consumed queue stays inside SQS's always-free million requests a month; three did
not (bench/cost.py, ``idle_month``). SQS is not ordered, so one kind never holds up another; a
failed record is retried on its own (partial batch responses); on its last delivery
(``max_receive_count``) a record that fails again is written to the failure store
(``services.failures``: what, why, replayable by ops) and taken off the queue. Only if that write
fails too does it move to the one dead-letter queue with its ``kind`` attribute, from which
``StartMessageMoveTask`` (SQS's "redrive") returns it to the work queue.

``STREAM_FAILURES`` has no consumer (nothing polls it): stream records a stream handler gave up on
are parked there for operations. Locally the pump and ``localdev`` create the queues from this
module; ``infra/`` creates the same ones in AWS.
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


@dataclass(frozen=True)
class Kind:
    """A kind of message on a physical queue: ``send(kind, ...)`` tags it, the queue's consumer
    routes on the tag. ``name``/``dlq_name``/``max_receive_count`` are the queue's."""
    short_name: str
    queue: QueueSpec

    @property
    def name(self) -> str:
        return self.queue.name

    @property
    def dlq_name(self) -> str:
        return self.queue.dlq_name

    @property
    def max_receive_count(self) -> int:
        return self.queue.max_receive_count


WORK = QueueSpec("work")
STREAM_FAILURES = QueueSpec("stream-failures", max_receive_count=1)

OFFER_TIMEOUTS = Kind("offer-timeouts", WORK)
NOTIFICATIONS = Kind("notifications", WORK)
# partner webhooks: HTTP failures are retried by re-enqueueing with back-off (services.webhooks);
# a handler crash is retried by SQS and lands in the DLQ after max_receive_count
WEBHOOK_DELIVERIES = Kind("webhook-deliveries", WORK)
# one effect of a booking transition that failed inline, retried on its own (services.effects);
# after max_receive_count tries it goes to the failure store, not silently to the DLQ
EFFECTS = Kind("effects", WORK)
# the booking state machine's clocks (domain.booking_states.TIMERS, services.timers): a delayed
# message applies the timer's transition if the booking is still waiting for it
TIMERS = Kind("timers", WORK)
# one card hold due for renewal (services.payments.renew_or_release_holds fans them out oldest first)
HOLD_RENEWALS = Kind("hold-renewals", WORK)

ALL_QUEUES = [WORK]  # consumed queues (each with a DLQ); STREAM_FAILURES is not consumed
ALL_KINDS = [OFFER_TIMEOUTS, NOTIFICATIONS, WEBHOOK_DELIVERIES, EFFECTS, TIMERS, HOLD_RENEWALS]
KIND_ATTRIBUTE = "kind"


def kind_attribute(kind: Kind) -> dict:
    """The message attribute that tags a message with its kind (SendMessage shape)."""
    return {KIND_ATTRIBUTE: {"DataType": "String", "StringValue": kind.short_name}}


def record_kind(record: dict) -> str | None:
    """The kind of a Lambda SQS record (``messageAttributes.kind.stringValue``), if tagged."""
    attr = (record.get("messageAttributes") or {}).get(KIND_ATTRIBUTE) or {}
    return attr.get("stringValue")


def queue_url(spec: QueueSpec | Kind) -> str:
    from chalicelib.aws import client

    return _url_cache.get(spec.name) or _url_cache.setdefault(
        spec.name, client("sqs").get_queue_url(QueueName=spec.name)["QueueUrl"])


_url_cache: dict[str, str] = {}


def send(kind: Kind, message: dict, delay_seconds: int = 0) -> None:
    """Enqueue one JSON message of ``kind`` on its queue (``delay_seconds`` up to 900, SQS's limit)."""
    from chalicelib.aws import client

    client("sqs").send_message(QueueUrl=queue_url(kind), MessageBody=json.dumps(message),
                               DelaySeconds=max(0, min(900, int(delay_seconds))),
                               MessageAttributes=kind_attribute(kind))


def send_many(kind: Kind, messages: list[dict]) -> None:
    """Enqueue JSON messages of ``kind`` in order, ten per ``SendMessageBatch`` (SQS's maximum): a
    tenth of the requests of one ``send`` each. Raises if SQS refused any of them."""
    from chalicelib.aws import client

    for start in range(0, len(messages), 10):
        entries = [{"Id": str(i), "MessageBody": json.dumps(m), "MessageAttributes": kind_attribute(kind)}
                   for i, m in enumerate(messages[start:start + 10])]
        failed = client("sqs").send_message_batch(QueueUrl=queue_url(kind), Entries=entries).get("Failed") or []
        if failed:
            raise RuntimeError(f"SQS refused {len(failed)} of {len(entries)} {kind.short_name} messages: "
                               f"{failed[0].get('Code')} {failed[0].get('Message')}")
