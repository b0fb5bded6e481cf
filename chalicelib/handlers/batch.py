"""Record-by-record processing of stream and queue batches with partial batch responses.

Only failed records are reported back (``batchItemFailures``), so Lambda (or the local pump)
retries just those. For streams the first failure stops the batch: later records of the shard are
reported too, which keeps per-booking order.

The guard (``guard=True``) is an atomic claim per record (``store.claims``): one conditional write
decides which delivery does the work; a concurrent delivery of the same record finds it running
and is retried later, a later one finds it done and changes nothing.

A queue record that fails on its last delivery (``max_receive_count``) goes to the failure store
(``services.failures``) and is taken off the queue: ops see it and can replay it. Only when that
write fails as well is it left to SQS's dead-letter queue.

**Deadline.** A batch stops taking records while the invocation still has
``RECORD_RESERVE_MS`` left (``context.get_remaining_time_in_millis()``): the records not taken are
reported as ``batchItemFailures`` without being counted as failed work, so SQS (or the stream)
hands them out again instead of Lambda killing the invocation halfway through a record and
redelivering the whole batch. The context comes from the Chalice event (``event.context``) or, for
the work queue's per-kind handlers, from :func:`time_budget` around them.
"""
from __future__ import annotations

import json
import logging
import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Iterator

from chalicelib import obs
from chalicelib.lazy import lazy
from chalicelib.queues import WORK

log = logging.getLogger("crowdfix.events")
aws = lazy("chalicelib.aws")
claims = lazy("chalicelib.store.claims")
idempotency_model = lazy("chalicelib.models.idempotency")
failure_store = lazy("chalicelib.services.failures")

# The longest one record may take: a hold renewal's two Stripe calls (5 s x 2 tries each, see
# adapters/stripe_gateway.py) and its DynamoDB writes, or a partner webhook / push (5 s) with
# retries. Queue and stream functions run 120 s (infra/stack.py); tests/infra checks both bounds.
RECORD_RESERVE_MS = 30_000
_budget: ContextVar[Any] = ContextVar("crowdfix_time_budget", default=None)


@contextmanager
def time_budget(context: Any) -> Iterator[None]:
    """Within this block, batches stop before ``context``'s deadline (a Lambda context)."""
    token = _budget.set(context)
    try:
        yield
    finally:
        _budget.reset(token)


def context_of(event: Any) -> Any:
    """The Lambda context of a Chalice-wrapped event (None for a plain dict)."""
    return getattr(event, "context", None)


def out_of_time(context: Any) -> bool:
    """True when less than ``RECORD_RESERVE_MS`` is left of the invocation (never without a context)."""
    context = context if context is not None else _budget.get()
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return remaining is not None and remaining() < RECORD_RESERVE_MS


def _guard_key(source: str, record_id: str) -> str:
    return f"evt#{source}#{record_id}"


def records_of(event: Any) -> list[dict]:
    """The records of a Lambda event, whether Chalice wrapped it or not."""
    return event.to_dict()["Records"] if hasattr(event, "to_dict") else event["Records"]


# A stream record's claim: a lease longer than a stream invocation's work, and a retry that finds a
# claim held waits for it (up to the lease) instead of failing at once and using up its retries.
STREAM_LEASE_SECONDS = 40
STREAM_WAIT_SECONDS = 45


def _guarded(guard: bool | Callable[[dict], bool], key: str, handle: Callable[[dict], None], record: dict, *,
             stream: bool = False) -> None:
    if not (guard(record) if callable(guard) else guard):
        handle(record)
        return
    if stream:
        claims.run_once(key, lambda: handle(record), lease_seconds=STREAM_LEASE_SECONDS,
                        wait_seconds=STREAM_WAIT_SECONDS)
    else:
        claims.run_once(key, lambda: handle(record))


def _stream_booking(record: dict) -> str | None:
    keys = (record.get("dynamodb") or {}).get("Keys") or {}
    return (keys.get("booking_id") or {}).get("S")


def _queue_booking(record: dict) -> str | None:
    try:
        body = json.loads(record.get("body") or "")
    except ValueError:
        return None
    return body.get("booking_id") if isinstance(body, dict) and isinstance(body.get("booking_id"), str) else None


def process_stream(source: str, event: Any, handle: Callable[[dict], None], *,
                   guard: bool | Callable[[dict], bool] = True) -> dict:
    """``guard=False`` is for handlers whose whole effect is a conditional write of values derived
    from the record alone (a replay writes the same values or is refused): the guard's writes per
    record would buy nothing there and cost write request units. ``guard`` may also be a function
    of the record: True for the records that need the guard (those that run any work)."""
    obs.setup()
    records = records_of(event)
    context = context_of(event)
    failures: list[dict] = []
    for i, record in enumerate(records):
        seq = record["dynamodb"]["SequenceNumber"]
        if out_of_time(context):
            log.warning("%s: near the deadline; record %s and the %d after it are handed back untaken",
                        source, seq, len(records) - i - 1)
            failures = [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in records[i:]]
            break
        try:
            with obs.context(source=source, record_id=record.get("eventID"), booking_id=_stream_booking(record)):
                _guarded(guard, _guard_key(source, record["eventID"]), handle, record, stream=True)
        except Exception:
            log.exception("%s: record %s failed; it and the %d after it will be retried",
                          source, seq, len(records) - i - 1)
            failures = [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in records[i:]]
            break
    return {"batchItemFailures": failures}


def _receive_count(record: dict) -> int:
    try:
        return int((record.get("attributes") or {}).get("ApproximateReceiveCount", "1"))
    except (TypeError, ValueError):
        return 1


def process_queue(source: str, event: Any, handle: Callable[[dict], None], *, guard: bool = True,
                  max_receive_count: int | None = None) -> dict:
    """``guard=False`` is for consumers that claim each effect with their own conditional write
    (a redelivered message finds its claims taken and does nothing). ``max_receive_count``: the
    queue's (default: the work queue's); the last failing delivery goes to the failure store."""
    obs.setup()
    if max_receive_count is None:
        max_receive_count = WORK.max_receive_count
    records = records_of(event)
    context = context_of(event)
    failures: list[dict] = []
    for i, record in enumerate(records):
        if out_of_time(context):
            log.warning("%s: near the deadline; %d message(s) handed back untaken", source, len(records) - i)
            failures.extend({"itemIdentifier": r["messageId"]} for r in records[i:])
            break
        try:
            with obs.context(source=source, record_id=record.get("messageId"), booking_id=_queue_booking(record)):
                _guarded(guard, _guard_key(source, record["messageId"]), handle, record)
        except claims.Busy:
            failures.append({"itemIdentifier": record["messageId"]})  # another worker has it: look again later
            if guard:
                _hide_while_claimed(_guard_key(source, record["messageId"]), record)
        except Exception as exc:
            count = _receive_count(record)
            if count >= max_receive_count and _to_failure_store(source, record, exc, count):
                continue
            log.exception("%s: message %s failed (delivery %d of %d); it will be retried",
                          source, record["messageId"], count, max_receive_count)
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def _hide_while_claimed(key: str, record: dict) -> None:
    """Bring a message whose claim another worker holds back when that claim's lease ends (then
    it is done, or its worker died and it can be taken over), not after the visibility timeout:
    every early receive counts toward maxReceiveCount, and a worker killed holding the claim would
    otherwise get the message dead-lettered before anyone may take it over (seen with a short
    local visibility timeout; a healthy holder deletes the message when it finishes)."""
    try:
        held = idempotency_model.IdempotencyRecord.get(key, consistent_read=True)
        seconds = int(max(1, min(43_200, float(held.lease_until or 0) - time.time() + 1)))
        sqs = aws.client("sqs")
        url = sqs.get_queue_url(QueueName=record["eventSourceARN"].rsplit(":", 1)[-1])["QueueUrl"]
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=seconds)
    except Exception:  # noqa: BLE001 — gone, finished meanwhile or unreachable: the visibility timeout brings it back
        log.info("message %s: not hidden for its claim's lease", record.get("messageId"), exc_info=True)


def _to_failure_store(source: str, record: dict, exc: Exception, count: int) -> bool:
    try:
        failure_store.record_failure(source, record["body"], record["messageId"], exc, count)
        return True
    except Exception:
        log.exception("%s: message %s could not be written to the failure store; SQS will dead-letter it",
                      source, record["messageId"])
        return False


def image(record: dict, which: str, model) -> dict | None:
    """A stream record's NewImage/OldImage as a plain dict, via the table's model."""
    raw = record.get("dynamodb", {}).get(which)
    if not raw:
        return None
    return model.from_raw_data(raw).to_simple_dict()
