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
"""
from __future__ import annotations

import json
import logging
from typing import Any, Callable

from chalicelib import obs
from chalicelib.lazy import lazy
from chalicelib.queues import WORK

log = logging.getLogger("crowdfix.events")
claims = lazy("chalicelib.store.claims")
failure_store = lazy("chalicelib.services.failures")


def _guard_key(source: str, record_id: str) -> str:
    return f"evt#{source}#{record_id}"


def records_of(event: Any) -> list[dict]:
    """The records of a Lambda event, whether Chalice wrapped it or not."""
    return event.to_dict()["Records"] if hasattr(event, "to_dict") else event["Records"]


# A stream record's claim: a lease longer than a stream invocation's work, and a retry that finds a
# claim held waits for it (up to the lease) instead of failing at once and using up its retries.
STREAM_LEASE_SECONDS = 40
STREAM_WAIT_SECONDS = 45


def _guarded(guard: bool, key: str, handle: Callable[[dict], None], record: dict, *, stream: bool = False) -> None:
    if not guard:
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


def process_stream(source: str, event: Any, handle: Callable[[dict], None], *, guard: bool = True) -> dict:
    """``guard=False`` is for handlers whose whole effect is a conditional write of values derived
    from the record alone (a replay writes the same values or is refused): the guard's writes per
    record would buy nothing there and cost write request units."""
    obs.setup()
    records = records_of(event)
    failures: list[dict] = []
    for i, record in enumerate(records):
        seq = record["dynamodb"]["SequenceNumber"]
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
    failures: list[dict] = []
    for record in records:
        try:
            with obs.context(source=source, record_id=record.get("messageId"), booking_id=_queue_booking(record)):
                _guarded(guard, _guard_key(source, record["messageId"]), handle, record)
        except claims.Busy:
            failures.append({"itemIdentifier": record["messageId"]})  # another worker has it: look again later
        except Exception as exc:
            count = _receive_count(record)
            if count >= max_receive_count and _to_failure_store(source, record, exc, count):
                continue
            log.exception("%s: message %s failed (delivery %d of %d); it will be retried",
                          source, record["messageId"], count, max_receive_count)
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


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
