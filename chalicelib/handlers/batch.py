"""Record-by-record processing of stream and queue batches with partial batch responses.

Only failed records are reported back (``batchItemFailures``), so Lambda (or the local pump)
retries just those. For streams the first failure stops the batch: later records of the shard are
reported too, which keeps per-booking order. Each record's id is remembered after success, so a
redelivered record changes nothing twice.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

log = logging.getLogger("crowdfix.events")


def _guard_key(source: str, record_id: str) -> str:
    return f"evt#{source}#{record_id}"


def records_of(event: Any) -> list[dict]:
    """The records of a Lambda event, whether Chalice wrapped it or not."""
    return event.to_dict()["Records"] if hasattr(event, "to_dict") else event["Records"]


def process_stream(source: str, event: Any, handle: Callable[[dict], None], *, guard: bool = True) -> dict:
    """``guard=False`` is for handlers whose whole effect is a conditional write of values derived
    from the record alone (a replay writes the same values or is refused): the guard's read and
    write per record would buy nothing there and cost a write request unit each."""
    from chalicelib.services.idempotency import mark_once, seen

    records = records_of(event)
    failures: list[dict] = []
    for i, record in enumerate(records):
        seq = record["dynamodb"]["SequenceNumber"]
        key = _guard_key(source, record["eventID"])
        try:
            if guard and seen(key):
                continue
            handle(record)
            if guard:
                mark_once(key)
        except Exception:
            log.exception("%s: record %s failed; it and the %d after it will be retried",
                          source, seq, len(records) - i - 1)
            failures = [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in records[i:]]
            break
    return {"batchItemFailures": failures}


def process_queue(source: str, event: Any, handle: Callable[[dict], None], *, guard: bool = True) -> dict:
    """``guard=False`` is for consumers that claim each effect with their own conditional write
    (a redelivered message finds its claims taken and does nothing)."""
    from chalicelib.services.idempotency import mark_once, seen

    records = records_of(event)
    failures: list[dict] = []
    for record in records:
        key = _guard_key(source, record["messageId"])
        try:
            if guard and seen(key):
                continue
            handle(record)
            if guard:
                mark_once(key)
        except Exception:
            log.exception("%s: message %s failed; it will be retried", source, record["messageId"])
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def image(record: dict, which: str, model) -> dict | None:
    """A stream record's NewImage/OldImage as a plain dict, via the table's model."""
    raw = record.get("dynamodb", {}).get(which)
    if not raw:
        return None
    return model.from_raw_data(raw).to_simple_dict()
