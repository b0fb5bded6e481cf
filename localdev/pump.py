"""The local event pump: DynamoDB streams and SQS queues -> the app's own Lambda handlers.

`chalice local` serves HTTP only. The pump reads every DynamoDB stream and long-polls every SQS queue
the app registered (`app.event_sources`) and calls the very handler Chalice registered
(`app.handler_map[name](event, context)`) with Lambda's event shapes and semantics:

- DynamoDB streams, as an event source mapping with ReportBatchItemFailures,
  BisectBatchOnFunctionError and MaximumRetryAttempts=`max_stream_retries`: records in order per
  shard, batches of at most `batch_size`; `{"batchItemFailures": [{"itemIdentifier": seq}]}` retries
  from the lowest failed sequence number; a raised exception bisects the batch; a record that still
  fails after `max_stream_retries` retries goes to `stream_failure_queue` (if given) and is skipped.
- SQS, with ReportBatchItemFailures: successful messages are deleted, failed ones (or all, if the
  handler raised) stay and come back after their visibility timeout; maxReceiveCount and the
  dead-letter queue are the queue's own RedrivePolicy, enforced by the SQS service itself.

Starting position: "LATEST" applies to streams that exist when `start()` is called (their position is
taken before `start()` returns, so a write after `start()` is always seen). A stream first seen later
(table created or re-created after start) is read from TRIM_HORIZON, because in AWS the mapping could
not have existed before its stream.

The pump creates its boto3 clients from the environment (`AWS_ENDPOINT_URL_*`, region, credentials),
so set those (e.g. `LocalServices.env()`) before constructing it. Run it standalone with
`python -m localdev.pump` from the repository root.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

LOCAL_ACCOUNT_ID = "000000000000"
STREAM_POLL_SECONDS = 0.2
# Each get_records costs DynamoDB Local ~10 ms of CPU, so an idle stream backs off to this interval
# (unless someone is in wait_idle()); any record brings it back to STREAM_POLL_SECONDS.
STREAM_IDLE_POLL_SECONDS = 0.6
# Looking for new shards or a re-created table costs two calls; when nobody waits in wait_idle(),
# every few seconds is enough.
STREAM_REFRESH_SECONDS = 3.0
LAMBDA_TIMEOUT_SECONDS = 60


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-central-1"


def _client(service: str):
    import boto3  # heavy: only when the pump actually runs

    return boto3.client(service, region_name=_region())


class LambdaContext:
    """Enough of Lambda's context object for handlers, loggers and Powertools."""

    def __init__(self, function_name: str, timeout_seconds: int = LAMBDA_TIMEOUT_SECONDS):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{_region()}:{LOCAL_ACCOUNT_ID}:function:{function_name}"
        self.memory_limit_in_mb = 128
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"local/{self.aws_request_id}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class Outcome:
    """What one handler invocation reported: `failed` are the item identifiers it gave back as
    failures (all of them when it raised; `error` then holds the exception text)."""

    failed: list[str]
    error: str | None = None
    raised: bool = False


class _Activity:
    """Shared bookkeeping the workers update and `wait_idle()` reads."""

    def __init__(self):
        self._lock = threading.Lock()
        self.running = 0
        self.last_activity = time.monotonic()

    def begin(self) -> None:
        with self._lock:
            self.running += 1

    def end(self) -> None:
        with self._lock:
            self.running -= 1
            self.last_activity = time.monotonic()


class _Source:
    """Base for one event source: invokes the handler and logs the invocation."""

    kind = "?"

    def __init__(self, pump: "EventPump", config: Any):
        self.pump = pump
        self.config = config
        self.name: str = config.name
        self.handler: Callable[[dict, Any], Any] = pump.app.handler_map[config.name]
        self.function_name = f"{pump.app.app_name}-local-{config.name}"
        self.log = pump.log

    def invoke(self, records: list[dict], identifier: Callable[[dict], str]) -> Outcome:
        """Call the handler with {"Records": records}; map its answer to an Outcome."""
        ids = [identifier(record) for record in records]
        started = time.monotonic()
        self.pump._activity.begin()
        try:
            result = self.handler({"Records": records}, LambdaContext(self.function_name))
            outcome = _outcome_from_result(result, ids)
        except Exception as exc:  # a handler error must never kill the worker
            self.log.exception("%s %s: handler raised on %d record(s)", self.kind, self.name, len(records))
            outcome = Outcome(failed=ids, error=f"{type(exc).__name__}: {exc}", raised=True)
        finally:
            self.pump._activity.end()
        millis = (time.monotonic() - started) * 1000
        self.log.info("%s %s: %d record(s), %d failed, %.0f ms",
                      self.kind, self.name, len(records), len(outcome.failed), millis)
        return outcome


def _outcome_from_result(result: Any, ids: list[str]) -> Outcome:
    """Lambda's partial batch response: unknown or empty identifiers fail the whole batch."""
    if not isinstance(result, dict) or not result.get("batchItemFailures"):
        return Outcome(failed=[])
    failed = []
    for item in result["batchItemFailures"]:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if identifier not in ids:
            return Outcome(failed=ids, error=f"invalid batchItemFailures entry {item!r}")
        failed.append(identifier)
    return Outcome(failed=failed, error="reported in batchItemFailures")


# -- DynamoDB streams ---------------------------------------------------------------------------


def _json_attribute_value(value: dict) -> dict:
    """boto3's AttributeValue (bytes for B/BS) -> the JSON Lambda delivers (base64 strings)."""
    if value == {}:  # DynamoDB Local's streams render an empty map {"M": {}} as {}
        return {"M": {}}
    (kind, inner), = value.items()
    if kind == "B":
        return {"B": base64.b64encode(inner).decode()}
    if kind == "BS":
        return {"BS": [base64.b64encode(item).decode() for item in inner]}
    if kind == "M":
        return {"M": {key: _json_attribute_value(item) for key, item in inner.items()}}
    if kind == "L":
        return {"L": [_json_attribute_value(item) for item in inner]}
    return {kind: inner}


def _json_image(image: dict) -> dict:
    return {key: _json_attribute_value(value) for key, value in image.items()}


def _epoch_seconds(value: Any) -> int | float:
    if isinstance(value, dt.datetime):
        value = value.timestamp()
    value = float(value)
    return int(value) if value.is_integer() else value


def to_lambda_stream_record(record: dict, event_source_arn: str) -> dict:
    """One dynamodbstreams get_records record -> the record a Lambda stream handler receives."""
    source = record["dynamodb"]
    dynamodb: dict[str, Any] = {"ApproximateCreationDateTime": _epoch_seconds(source["ApproximateCreationDateTime"])}
    for key in ("Keys", "NewImage", "OldImage"):
        if key in source:
            dynamodb[key] = _json_image(source[key])
    dynamodb.update(SequenceNumber=source["SequenceNumber"], SizeBytes=source["SizeBytes"],
                    StreamViewType=source["StreamViewType"])
    converted = {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        # DynamoDB Local says "ddblocal"; Lambda reports the table's region, as in the ARN.
        "awsRegion": _arn_region(event_source_arn) or _region(),
        "dynamodb": dynamodb,
        "eventSourceARN": event_source_arn,
    }
    if "userIdentity" in record:  # TTL deletions
        converted["userIdentity"] = record["userIdentity"]
    return converted


def _arn_region(arn: str) -> str | None:
    parts = arn.split(":", 5)
    return parts[3] if len(parts) == 6 and parts[3] else None


def _table_name_from_stream_arn(stream_arn: str) -> str:
    # arn:aws:dynamodb:<region>:<account>:table/<TABLE>/stream/<label>
    resource = stream_arn.split(":", 5)[-1]
    parts = resource.split("/")
    if len(parts) < 2 or parts[0] != "table":
        raise ValueError(f"not a DynamoDB stream ARN: {stream_arn!r}")
    return parts[1]


@dataclass
class _Shard:
    """Reading state of one shard. `buffer` holds fetched records not yet checkpointed;
    `plan` holds the sizes of the next batches after a bisect (empty: full batches)."""

    shard_id: str
    parent_id: str | None
    iterator_type: str
    iterator: str | None = None
    last_sequence: str | None = None  # last record fetched: to re-open an expired iterator
    closed: bool = False  # no NextShardIterator: nothing more will arrive
    buffer: list[dict] = field(default_factory=list)
    plan: list[int] = field(default_factory=list)
    attempts: dict[str, int] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.closed and not self.buffer


class StreamSource(_Source):
    """One DynamoDB stream event source (all shards of the table's current stream)."""

    kind = "stream"

    def __init__(self, pump: "EventPump", config: Any):
        super().__init__(pump, config)
        self.configured_arn: str = config.stream_arn
        self.table_name = _table_name_from_stream_arn(config.stream_arn)
        self.batch_size = max(1, int(config.batch_size or 100))
        self.starting_position = (config.starting_position or "TRIM_HORIZON").upper()
        self.stream_arn: str | None = None  # DynamoDB Local's real LatestStreamArn
        self.shards: dict[str, _Shard] = {}
        self._client = None
        self._primed = False
        self._failure_queue_url: str | None = None

    @property
    def client(self):
        if self._client is None:
            self._client = (_client("dynamodb"), _client("dynamodbstreams"))
        return self._client

    def prime(self) -> None:
        """Take starting positions for a stream that exists now (LATEST means: after this call)."""
        self._refresh(initial=True)
        for shard in self.shards.values():
            if shard.iterator is None and not shard.closed:
                # Opened now, not at the first read: LATEST is "after what is there at start()".
                shard.iterator = self._open_iterator(shard)
        self._primed = True

    def poll(self, refresh: bool = True) -> int:
        """One pass over all readable shards, draining what they hold; `refresh` first looks for
        new shards or a re-created table. Returns how many records were delivered to the handler
        (retries count again; 0 means the stream had nothing new)."""
        if not self._primed:
            self.prime()
        if refresh or not self.shards:
            self._refresh(initial=False)
        handled = 0
        for shard in list(self.shards.values()):
            if self._readable(shard):
                handled += self._drain(shard)
        return handled

    # -- discovering the stream and its shards ---------------------------------------------------

    def _refresh(self, initial: bool) -> None:
        arn = self._latest_stream_arn()
        if arn != self.stream_arn:
            if self.stream_arn is not None:
                self.log.info("stream %s: table %s has a new stream", self.name, self.table_name)
            self.stream_arn, self.shards = arn, {}
            # Only a stream present at start() honours LATEST; one that appears later is read whole.
            initial = initial and arn is not None
        if arn is None:
            return
        iterator_type = self.starting_position if initial else "TRIM_HORIZON"
        for shard in self._describe_shards(arn):
            if shard["ShardId"] not in self.shards:
                self.shards[shard["ShardId"]] = _Shard(shard["ShardId"], shard.get("ParentShardId"), iterator_type)

    def _latest_stream_arn(self) -> str | None:
        ddb, _ = self.client
        try:
            table = ddb.describe_table(TableName=self.table_name)["Table"]
        except ddb.exceptions.ResourceNotFoundException:
            return None
        return table.get("LatestStreamArn") if table.get("StreamSpecification", {}).get("StreamEnabled") else None

    def _describe_shards(self, arn: str) -> list[dict]:
        _, streams = self.client
        shards, start = [], None
        while True:
            kwargs = {"StreamArn": arn, **({"ExclusiveStartShardId": start} if start else {})}
            try:
                description = streams.describe_stream(**kwargs)["StreamDescription"]
            except streams.exceptions.ResourceNotFoundException:
                return shards
            shards.extend(description.get("Shards", []))
            start = description.get("LastEvaluatedShardId")
            if not start:
                return shards

    def _readable(self, shard: _Shard) -> bool:
        """Children wait for their parent to be finished, as Lambda does (order across a split)."""
        parent = self.shards.get(shard.parent_id) if shard.parent_id else None
        return not shard.finished and (parent is None or parent.finished)

    # -- reading and invoking --------------------------------------------------------------------

    def _drain(self, shard: _Shard) -> int:
        handled = 0
        while not self.pump._stopping.is_set():
            if not shard.buffer and not self._fetch(shard):
                return handled
            handled += self._process_one_batch(shard)
        return handled

    def _fetch(self, shard: _Shard, retry: bool = True) -> bool:
        """Fill the shard's buffer from get_records; False when nothing new is there.

        A refused iterator is reopened and read again at once (``retry``): answering "nothing new"
        instead would let this pass count as an empty one, and ``wait_idle`` could then return
        while records wait (seen in bench/cost.py: a whole first batch left undispatched)."""
        if shard.closed:
            return False
        _, streams = self.client
        if shard.iterator is None:
            shard.iterator = self._open_iterator(shard)
        try:
            response = streams.get_records(ShardIterator=shard.iterator, Limit=1000)
        except streams.exceptions.ExpiredIteratorException:
            shard.iterator = None  # reopened after last_sequence
            return self._fetch(shard, retry=False) if retry else False
        except streams.exceptions.TrimmedDataAccessException:
            # DynamoDB Local answers this for a TRIM_HORIZON iterator taken on an empty shard and
            # first used after records arrived; a fresh iterator (after last_sequence, or at the
            # trim horizon) reads them. With LATEST and nothing read yet, records could be skipped.
            if not shard.last_sequence and shard.iterator_type == "LATEST":
                self.log.warning("stream %s: iterator trimmed before any read; reopening at LATEST", self.name)
            shard.iterator = None
            return self._fetch(shard, retry=False) if retry else False
        shard.iterator = response.get("NextShardIterator")
        shard.closed = shard.iterator is None
        records = response.get("Records", [])
        if records:
            shard.last_sequence = records[-1]["dynamodb"]["SequenceNumber"]
            shard.buffer.extend(to_lambda_stream_record(r, self.configured_arn) for r in records)
        return bool(records)

    def _open_iterator(self, shard: _Shard) -> str:
        _, streams = self.client
        kwargs = {"StreamArn": self.stream_arn, "ShardId": shard.shard_id}
        if shard.last_sequence:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=shard.last_sequence)
        else:
            kwargs.update(ShardIteratorType=shard.iterator_type)
        return streams.get_shard_iterator(**kwargs)["ShardIterator"]

    def _process_one_batch(self, shard: _Shard) -> int:
        """Invoke once on the head of the buffer and checkpoint per Lambda's rules.
        Returns the batch size delivered."""
        size = min(shard.plan[0] if shard.plan else self.batch_size, len(shard.buffer))
        batch = shard.buffer[:size]
        outcome = self.invoke(batch, _sequence_number)
        if not outcome.failed:
            self._checkpoint(shard, size)
            return size
        if outcome.raised and size > 1:
            # BisectBatchOnFunctionError: retry the halves; splitting costs no retry attempt.
            shard.plan[:1] = [size // 2, size - size // 2]
            return size
        # Records of a shard are in sequence order: the lowest failed sequence is the first failed.
        first_failed = min(i for i, record in enumerate(batch) if _sequence_number(record) in outcome.failed)
        self._checkpoint(shard, first_failed)  # records before the failure succeeded
        culprit = shard.buffer[0]
        sequence = _sequence_number(culprit)
        shard.attempts[sequence] = shard.attempts.get(sequence, 0) + 1
        if shard.attempts[sequence] > self.pump.max_stream_retries:
            self._send_to_failure_queue(shard, culprit, outcome.error, shard.attempts[sequence])
            self._checkpoint(shard, 1)
        return size

    def _checkpoint(self, shard: _Shard, count: int) -> None:
        """Move past the first `count` buffered records and shrink the bisect plan to match."""
        for record in shard.buffer[:count]:
            shard.attempts.pop(_sequence_number(record), None)
        del shard.buffer[:count]
        remaining = count
        while remaining and shard.plan:
            taken = min(remaining, shard.plan[0])
            shard.plan[0] -= taken
            remaining -= taken
            if shard.plan[0] == 0:
                shard.plan.pop(0)

    def _send_to_failure_queue(self, shard: _Shard, record: dict, error: str | None, invocations: int) -> None:
        """Lambda's OnFailure destination message, plus the record itself (Lambda sends only
        pointers to it; locally the record is more useful)."""
        self.log.error("stream %s: record %s failed %d time(s), giving up: %s",
                       self.name, _sequence_number(record), invocations, error)
        queue = self.pump.stream_failure_queue
        if not queue:
            return
        sequence = _sequence_number(record)
        arrival = dt.datetime.fromtimestamp(record["dynamodb"]["ApproximateCreationDateTime"], dt.timezone.utc)
        message = {
            "version": "1.0",
            "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(),
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": LambdaContext(self.function_name).invoked_function_arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": invocations,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "DDBStreamBatchInfo": {
                "shardId": shard.shard_id, "startSequenceNumber": sequence, "endSequenceNumber": sequence,
                "approximateArrivalOfFirstRecord": arrival.isoformat(),
                "approximateArrivalOfLastRecord": arrival.isoformat(),
                "batchSize": 1, "streamArn": self.configured_arn,
            },
            "source": self.name,
            "error": error,
            "record": record,
        }
        sqs = self.pump._sqs()
        if self._failure_queue_url is None:
            self._failure_queue_url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        sqs.send_message(QueueUrl=self._failure_queue_url, MessageBody=json.dumps(message))


def _sequence_number(record: dict) -> str:
    return record["dynamodb"]["SequenceNumber"]


# -- SQS ----------------------------------------------------------------------------------------


def _lambda_message_attributes(attributes: dict) -> dict:
    """boto3's MessageAttributes -> Lambda's camelCase shape (binary values base64-encoded)."""
    converted = {}
    for name, value in attributes.items():
        item = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
        if "StringValue" in value:
            item["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            item["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
        converted[name] = item
    return converted


def to_lambda_sqs_record(message: dict, queue_arn: str) -> dict:
    """One receive_message message -> the record a Lambda SQS handler receives."""
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": _lambda_message_attributes(message.get("MessageAttributes", {})),
        "md5OfBody": message.get("MD5OfBody"),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": _region(),
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


class QueueSource(_Source):
    """One SQS queue event source."""

    kind = "sqs"

    def __init__(self, pump: "EventPump", config: Any):
        super().__init__(pump, config)
        self.queue_name: str = config.queue or config.queue_arn.rsplit(":", 1)[-1]
        self.batch_size = max(1, int(config.batch_size or 10))
        self.queue_url: str | None = None
        self.queue_arn: str | None = config.queue_arn
        self._sqs = None

    @property
    def sqs(self):
        if self._sqs is None:
            self._sqs = _client("sqs")
        return self._sqs

    def resolve(self) -> bool:
        """Find the queue's URL and ARN; False while the queue does not exist yet."""
        if self.queue_url:
            return True
        try:
            url = self.sqs.get_queue_url(QueueName=self.queue_name)["QueueUrl"]
        except self.sqs.exceptions.QueueDoesNotExist:
            return False
        if not self.queue_arn:
            attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
            self.queue_arn = attributes["Attributes"]["QueueArn"]
        self.queue_url = url
        return True

    def poll(self, wait_seconds: int) -> int:
        """Receive one batch (long-polling up to wait_seconds) and handle it. Returns its size."""
        if not self.resolve():
            time.sleep(min(wait_seconds, 0.5))
            return 0
        try:
            messages = self._receive(wait_seconds)
        except self.sqs.exceptions.QueueDoesNotExist:
            self.queue_url = None  # deleted (and maybe re-created): look it up again
            return 0
        if not messages:
            return 0
        records = [to_lambda_sqs_record(message, self.queue_arn) for message in messages]
        outcome = self.invoke(records, lambda record: record["messageId"])
        self._settle(records, set(outcome.failed))
        return len(records)

    def pending(self, include_delayed: bool) -> int:
        """Messages visible or in flight (and delayed, if asked) in the queue, as SQS counts them."""
        if not self.resolve():
            return 0
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        if include_delayed:
            names.append("ApproximateNumberOfMessagesDelayed")
        try:
            response = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=names)
        except self.sqs.exceptions.QueueDoesNotExist:
            self.queue_url = None
            return 0
        attributes = response["Attributes"]
        return sum(int(attributes.get(name, 0)) for name in names)

    def _receive(self, wait_seconds: int) -> list[dict]:
        """Up to batch_size messages; SQS gives at most 10 per call, so top up without waiting."""
        messages: list[dict] = []
        wait = wait_seconds
        while len(messages) < self.batch_size:
            response = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=min(self.batch_size - len(messages), 10),
                WaitTimeSeconds=wait, AttributeNames=["All"], MessageAttributeNames=["All"])
            received = response.get("Messages", [])
            messages.extend(received)
            if not received or len(received) < 10:
                return messages
            wait = 0
        return messages

    def _settle(self, records: list[dict], failed: set[str]) -> None:
        """Delete what succeeded; failed messages stay for SQS to redeliver (or dead-letter)."""
        done = [r for r in records if r["messageId"] not in failed]
        retry = [r for r in records if r["messageId"] in failed]
        for chunk in _chunks(done, 10):
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)])
        visibility = self.pump.failed_visibility_seconds
        if visibility is None:
            return
        for chunk in _chunks(retry, 10):
            self.sqs.change_message_visibility_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": r["receiptHandle"], "VisibilityTimeout": visibility}
                for i, r in enumerate(chunk)])


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


# -- the pump -----------------------------------------------------------------------------------


class EventPump:
    """Runs the app's DynamoDB stream and SQS handlers locally (see the module docstring).

    `start()` primes stream positions and starts one daemon thread per source; `stop()` stops and
    joins them (within about `poll_wait_seconds` plus a running handler's time). `wait_idle()`
    blocks until nothing is left to deliver. `run_once()` is the single-threaded alternative for
    tests: one pass over every source; do not mix it with `start()`.
    """

    def __init__(self, app, *, stream_failure_queue: str | None = None, poll_wait_seconds: int = 1,
                 failed_visibility_seconds: int | None = None, max_stream_retries: int = 3,
                 logger: logging.Logger | None = None):
        self.app = app
        self.stream_failure_queue = stream_failure_queue
        self.poll_wait_seconds = int(poll_wait_seconds)
        self.failed_visibility_seconds = failed_visibility_seconds
        self.max_stream_retries = max_stream_retries
        self.log = logger or logging.getLogger("localdev.pump")
        self._activity = _Activity()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sqs_client = None
        self._sqs_lock = threading.Lock()  # also guards _idle_waiters
        self.streams: list[StreamSource] = []
        self.queues: list[QueueSource] = []
        self._stream_idle_since: dict[str, float] = {}  # source name -> start of last empty pass
        self._idle_waiters = 0  # wait_idle() calls in progress: streams then refresh every pass
        self._started = False
        self._discover()

    # -- setup -----------------------------------------------------------------------------------

    def _discover(self) -> None:
        from chalice.app import DynamoDBEventConfig, SQSEventConfig

        for config in self.app.event_sources:
            if isinstance(config, DynamoDBEventConfig):
                self.streams.append(StreamSource(self, config))
            elif isinstance(config, SQSEventConfig):
                self.queues.append(QueueSource(self, config))
            else:
                self.log.info("pump ignores %s event source %s (not a stream or queue)",
                              type(config).__name__, config.name)

    def _sqs(self):
        """Shared SQS client for the failure queue (boto3 clients are thread-safe once made)."""
        with self._sqs_lock:
            if self._sqs_client is None:
                self._sqs_client = _client("sqs")
            return self._sqs_client

    # -- running ---------------------------------------------------------------------------------

    def start(self) -> "EventPump":
        """Prime stream positions, then start one daemon thread per source. Returns self."""
        if self._threads:
            raise RuntimeError("EventPump already started")
        self._stopping.clear()
        self.prime()
        for source in [*self.streams, *self.queues]:
            target = self._stream_loop if isinstance(source, StreamSource) else self._queue_loop
            thread = threading.Thread(target=target, args=(source,), name=f"pump-{source.name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        self._started = True
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Ask every worker to stop and join them. Idempotent."""
        self._stopping.set()
        limit = timeout if timeout is not None else self.poll_wait_seconds + LAMBDA_TIMEOUT_SECONDS
        deadline = time.monotonic() + limit
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = [t for t in self._threads if t.is_alive()]
        self._started = False
        if self._threads:
            self.log.warning("pump: %d worker(s) still busy after stop()", len(self._threads))

    def __enter__(self) -> "EventPump":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def prime(self) -> None:
        """Take the starting position of every stream that exists now (start() does this; call it
        before writing when you drive the pump with run_once() and a stream starts at LATEST)."""
        for stream in self.streams:
            if not stream._primed:
                stream.prime()

    def run_once(self) -> int:
        """One pass over every source without waiting; returns how many records were delivered to
        handlers. Loop until it returns 0 to drain (failed SQS messages come back only after
        their visibility timeout)."""
        handled = 0
        for stream in self.streams:
            handled += self._guarded(stream, stream.poll) or 0
        for queue in self.queues:
            handled += self._guarded(queue, lambda: queue.poll(0)) or 0
        return handled

    def _stream_loop(self, stream: StreamSource) -> None:
        last_refresh, idle_passes = 0.0, 0
        while not self._stopping.is_set():
            pass_started = time.monotonic()
            refresh = self._idle_waiters > 0 or pass_started - last_refresh >= STREAM_REFRESH_SECONDS
            last_refresh = pass_started if refresh else last_refresh
            delivered = self._guarded(stream, lambda: stream.poll(refresh))
            if delivered == 0:
                if refresh:  # only a pass that also looked for new shards proves the stream drained
                    self._stream_idle_since[stream.name] = pass_started
                idle_passes += 1
                self._pause(STREAM_IDLE_POLL_SECONDS if idle_passes > 10 else STREAM_POLL_SECONDS)
            else:
                idle_passes = 0
                self._stream_idle_since.pop(stream.name, None)

    def _pause(self, seconds: float) -> None:
        """Sleep, but wake early for stop() and (after the short interval) for wait_idle()."""
        deadline = time.monotonic() + seconds
        short = time.monotonic() + STREAM_POLL_SECONDS
        while not self._stopping.is_set():
            now = time.monotonic()
            if now >= deadline or (self._idle_waiters and now >= short):
                return
            self._stopping.wait(min(0.05, deadline - now))

    def _queue_loop(self, queue: QueueSource) -> None:
        while not self._stopping.is_set():
            self._guarded(queue, lambda: queue.poll(self.poll_wait_seconds))

    def _guarded(self, source: _Source, step: Callable[[], int]) -> int | None:
        """Run one step; an error outside the handler (e.g. a service hiccup) is logged and
        retried on the next pass instead of killing the worker."""
        try:
            return step()
        except Exception:
            self.log.exception("pump: %s %s failed; retrying", source.kind, source.name)
            self._stopping.wait(1.0)
            return None

    # -- idleness --------------------------------------------------------------------------------

    def wait_idle(self, timeout: float = 30, *, include_delayed: bool = False) -> bool:
        """Block until everything written so far has been delivered: every stream read to its end,
        every source queue without visible or in-flight messages (and delayed ones if
        `include_delayed`), no handler running. True when idle, False on timeout.
        Needs `start()`: it judges streams by the workers' own passes."""
        if not self._started:
            raise RuntimeError("wait_idle() needs a started pump (use run_once() otherwise)")
        with self._sqs_lock:
            self._idle_waiters += 1
        try:
            entered = time.monotonic()
            deadline = entered + timeout
            while time.monotonic() < deadline:
                # twice, 50 ms apart: moto computes a queue's visible / in-flight / delayed counts
                # at three instants, so a delayed message whose delay ends between them is counted
                # in none (a sub-millisecond window, but a test once hit it)
                if self._idle(entered, include_delayed):
                    time.sleep(0.05)
                    if self._idle(entered, include_delayed):
                        return True
                time.sleep(0.05)
            return False
        finally:
            with self._sqs_lock:
                self._idle_waiters -= 1

    def _idle(self, entered: float, include_delayed: bool) -> bool:
        activity = self._activity
        if activity.running:
            return False
        settled = max(entered, activity.last_activity)
        # A stream is drained when a whole empty pass began after the last write we know of.
        for stream in self.streams:
            if self._stream_idle_since.get(stream.name, -1.0) <= settled:
                return False
        for queue in self.queues:
            if queue.pending(include_delayed):
                return False
        # Nothing started or finished while we looked.
        return activity.running == 0 and activity.last_activity <= settled


# -- command line -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """`python -m localdev.pump`: import `app` from the current directory and pump until a signal."""
    import argparse
    import signal
    import sys

    parser = argparse.ArgumentParser(prog="python -m localdev.pump", description=__doc__.splitlines()[0])
    parser.add_argument("--stream-failure-queue", default=None)
    parser.add_argument("--failed-visibility-seconds", type=int, default=None)
    parser.add_argument("--poll-wait-seconds", type=int, default=1)
    parser.add_argument("--max-stream-retries", type=int, default=3)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)  # not "found credentials" per client
    sys.path.insert(0, os.getcwd())
    from app import app  # noqa: E402 - the app lives in the repository root

    pump = EventPump(app, stream_failure_queue=args.stream_failure_queue,
                     poll_wait_seconds=args.poll_wait_seconds,
                     failed_visibility_seconds=args.failed_visibility_seconds,
                     max_stream_retries=args.max_stream_retries)
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    pump.start()
    logging.getLogger("localdev.pump").info(
        "pump running: %d stream(s), %d queue(s)", len(pump.streams), len(pump.queues))
    stopped.wait()
    pump.stop()


if __name__ == "__main__":
    main()
