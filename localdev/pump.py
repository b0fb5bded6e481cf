"""The local event pump: DynamoDB streams and SQS queues -> the app's own Lambda handlers.

`chalice local` serves HTTP only. The pump reads every DynamoDB stream and long-polls every SQS queue
the app registered (`app.event_sources`) and calls the very handler Chalice registered
(`app.handler_map[name](event, context)`) with Lambda's event shapes and semantics:

- DynamoDB streams, as an event source mapping with ReportBatchItemFailures,
  BisectBatchOnFunctionError, MaximumRetryAttempts=`max_stream_retries` and ParallelizationFactor=
  `parallelization_factor`: records in order per partition key (per shard when the factor is 1,
  Lambda's default), batches of at most `batch_size`; the shards of a stream, and the lanes of a
  shard (one per partition-key hash), are invoked concurrently, one batch in flight per lane;
  `{"batchItemFailures": [{"itemIdentifier": seq}]}` retries from the lowest failed sequence number;
  a raised exception bisects the batch; a record that still fails after `max_stream_retries` retries
  goes to `stream_failure_queue` (if given) and is skipped.
- SQS, with ReportBatchItemFailures, `queue_workers` concurrent pollers per queue (each with its own
  batch and invocation): successful messages are deleted, failed ones (or all, if the handler
  raised) stay and come back after their visibility timeout; maxReceiveCount and the dead-letter
  queue are the queue's own RedrivePolicy, enforced by the SQS service itself. A killed pump needs
  no state for queues: what it had received comes back after the visibility timeout.

Defaults: `EventPump` (the test suite's in-process pump) has one poller per queue, one lane per shard
and no checkpoint store; `python -m localdev.pump` (`make dev`, `make load`) has 4 pollers per queue,
4 lanes per shard and checkpoints in the table `localdev-pump-checkpoints`.

Starting position, without a checkpoint store (`checkpoints=None`, the default of `EventPump`):
"LATEST" applies to streams that exist when `start()` is called (their position is taken before
`start()` returns, so a write after `start()` is always seen). A stream first seen later (table
created or re-created after start) is read from TRIM_HORIZON, because in AWS the mapping could not
have existed before its stream. Positions live in memory: a new pump starts over.

Checkpoints (`checkpoints=CheckpointStore(...)`, the default of `python -m localdev.pump`): each
shard's position — the last sequence number up to which every record is handled — is written to a
small DynamoDB table after every handled batch, and for a shard the pump starts reading before
`start()` returns. A pump started against a store that knows the stream resumes after each shard's
checkpoint, even after SIGKILL: records after it are delivered again (at least once, as Lambda's
mapping; handlers are idempotent), none is skipped, and a stream already read is never read from
TRIM_HORIZON again (a shard of it not read yet is, as it is new). Only the first-ever start of a
mapping uses the configured position; a "LATEST" start is written down as "after the last record
there now", since an iterator does not survive a restart. A table re-created while the pump was
down has a new stream: read from TRIM_HORIZON. One pump per database writes the checkpoints.

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
import zlib
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
# `python -m localdev.pump`: concurrent pollers (and handler invocations) per SQS queue, as Lambda
# scales a queue's mapping out. `EventPump` itself defaults to one (the test suite's in-process pump).
QUEUE_WORKERS = 4
# `python -m localdev.pump`: concurrent batches per stream shard (Lambda's ParallelizationFactor).
PARALLELIZATION_FACTOR = 4
CHECKPOINT_TABLE = "localdev-pump-checkpoints"


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
class _Lane:
    """One ordered lane of a shard: the shard's records whose partition key hashes to it (all of
    them when the parallelization factor is 1). `buffer` holds fetched records not yet handled;
    `plan` holds the sizes of the next batches after a bisect (empty: full batches)."""

    buffer: list[dict] = field(default_factory=list)
    plan: list[int] = field(default_factory=list)
    attempts: dict[str, int] = field(default_factory=dict)


@dataclass
class _Shard:
    """Reading state of one shard. `pending` lists the sequence numbers fetched and not yet
    handled, in shard order; `handled` those of them already done (a later lane may finish before
    an earlier one); `checkpoint` is the last sequence number up to which everything is handled."""

    shard_id: str
    parent_id: str | None
    iterator_type: str
    iterator: str | None = None
    last_sequence: str | None = None  # last record fetched: to re-open an expired iterator
    closed: bool = False  # no NextShardIterator: nothing more will arrive
    lanes: list[_Lane] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    handled: set[str] = field(default_factory=set)
    checkpoint: str | None = None
    saved: str | None = None  # the checkpoint as last written to the store

    @property
    def finished(self) -> bool:
        return self.closed and not self.pending

    @property
    def buffered(self) -> int:
        return sum(len(lane.buffer) for lane in self.lanes)


class CheckpointStore:
    """Stream positions that survive the pump: one DynamoDB item per (mapping, shard) in a small
    table of the same DynamoDB (Local), so a fresh local database starts without positions.

    An item says: of `stream_arn`, shard `shard`, everything up to `sequence` is handled (`""`:
    nothing yet — read the shard from its beginning). The pump writes it after each handled batch
    and before `start()` returns for a shard it starts reading; one pump per database writes it."""

    def __init__(self, table_name: str = CHECKPOINT_TABLE):
        self.table_name = table_name
        self._ddb = None
        self._lock = threading.Lock()
        self._ready = False

    @property
    def ddb(self):
        with self._lock:
            if self._ddb is None:
                self._ddb = _client("dynamodb")
            return self._ddb

    def ensure_table(self) -> None:
        """Create the table if it is missing (idempotent)."""
        if self._ready:
            return
        ddb = self.ddb
        try:
            ddb.create_table(
                TableName=self.table_name, BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "mapping", "AttributeType": "S"},
                                      {"AttributeName": "shard", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "mapping", "KeyType": "HASH"},
                           {"AttributeName": "shard", "KeyType": "RANGE"}])
            ddb.get_waiter("table_exists").wait(TableName=self.table_name, WaiterConfig={"Delay": 0.2})
        except ddb.exceptions.ResourceInUseException:
            pass
        self._ready = True

    def load(self, mapping: str) -> list[dict]:
        """Every checkpoint of `mapping`: dicts with stream_arn, shard, sequence."""
        self.ensure_table()
        items, start = [], None
        while True:
            kwargs = {"TableName": self.table_name, "ConsistentRead": True,
                      "KeyConditionExpression": "mapping = :m", "ExpressionAttributeValues": {":m": {"S": mapping}},
                      **({"ExclusiveStartKey": start} if start else {})}
            response = self.ddb.query(**kwargs)
            items += [{"stream_arn": i["stream_arn"]["S"], "shard": i["shard"]["S"], "sequence": i["sequence"]["S"]}
                      for i in response.get("Items", [])]
            start = response.get("LastEvaluatedKey")
            if not start:
                return items

    def save(self, mapping: str, stream_arn: str, shard_id: str, sequence: str) -> None:
        self.ensure_table()
        self.ddb.put_item(TableName=self.table_name, Item={
            "mapping": {"S": mapping}, "shard": {"S": f"{stream_arn}|{shard_id}"}, "stream_arn": {"S": stream_arn},
            "sequence": {"S": sequence}, "saved_at": {"N": str(time.time())}})


def _lane_of(record: dict, hash_key: str | None, lanes: int) -> int:
    """Records with the same partition key always go to the same lane (their order is kept)."""
    if lanes == 1:
        return 0
    keys = record["dynamodb"].get("Keys") or {}
    key = keys.get(hash_key) if hash_key and hash_key in keys else keys
    return zlib.crc32(json.dumps(key, sort_keys=True).encode()) % lanes


class StreamSource(_Source):
    """One DynamoDB stream event source (all shards of the table's current stream)."""

    kind = "stream"

    def __init__(self, pump: "EventPump", config: Any):
        super().__init__(pump, config)
        self.configured_arn: str = config.stream_arn
        self.table_name = _table_name_from_stream_arn(config.stream_arn)
        self.batch_size = max(1, int(config.batch_size or 100))
        self.starting_position = (pump.starting_position or config.starting_position or "TRIM_HORIZON").upper()
        self.lanes = max(1, int(pump.parallelization_factor))
        self.stream_arn: str | None = None  # DynamoDB Local's real LatestStreamArn
        self.hash_key: str | None = None
        self.shards: dict[str, _Shard] = {}
        self._client = None
        self._primed = False
        self._failure_queue_url: str | None = None
        self._saved: dict[str, str] | None = None  # shard id -> sequence, of the current stream
        self._seen_before = False  # the store knows this mapping (maybe of an earlier stream)
        self._lock = threading.Lock()
        self._pool = None

    @property
    def client(self):
        if self._client is None:
            self._client = (_client("dynamodb"), _client("dynamodbstreams"))
        return self._client

    @property
    def store(self) -> CheckpointStore | None:
        return self.pump.checkpoints

    def prime(self) -> None:
        """Take starting positions for a stream that exists now (LATEST means: after this call)
        and, with a checkpoint store, write them down before returning."""
        if self.store is not None:
            saved = self.store.load(self.name)
            self._seen_before = bool(saved)
            self._checkpoints_of = {item["stream_arn"]: {} for item in saved}
            for item in saved:
                self._checkpoints_of[item["stream_arn"]][item["shard"].split("|", 1)[-1]] = item["sequence"]
        self._refresh(initial=True)
        for shard in self.shards.values():
            self._take_position(shard)
        self._primed = True

    def poll(self, refresh: bool = True) -> int:
        """One pass over all readable shards, draining what they hold; `refresh` first looks for
        new shards or a re-created table. Returns how many records were delivered to the handler
        (retries count again; 0 means the stream had nothing new)."""
        if not self._primed:
            self.prime()
        if refresh or not self.shards:
            self._refresh(initial=False)
            for shard in list(self.shards.values()):
                self._take_position(shard)
        handled = 0
        in_flight: dict = {}  # future -> (shard, lane): one batch per lane at a time keeps its order
        while True:
            stopping = self.pump._stopping.is_set()
            readable = [shard for shard in list(self.shards.values()) if self._readable(shard)]
            if not stopping:
                for shard in readable:
                    if shard.buffered < self.batch_size * self.lanes:
                        self._fetch(shard)
            busy = {id(lane) for _, lane in in_flight.values()}
            ready = [] if stopping else [(shard, lane) for shard in readable for lane in shard.lanes
                                         if lane.buffer and id(lane) not in busy]
            if not in_flight and len(ready) == 1 and self.lanes == 1:
                handled += self._process_one_batch(*ready[0])  # one lane: no thread hand-off
                self._advance(ready[0][0])
                continue
            for shard, lane in ready:
                in_flight[self._executor().submit(self._process_one_batch, shard, lane)] = (shard, lane)
            if not in_flight:
                return handled
            from concurrent.futures import FIRST_COMPLETED, wait
            # not only for a finished lane: records for idle lanes are fetched while another one
            # waits (a claim held by a killed worker can hold its lane for the claim's lease)
            done, _ = wait(list(in_flight), timeout=STREAM_POLL_SECONDS, return_when=FIRST_COMPLETED)
            for future in done:
                shard, _lane = in_flight.pop(future)
                try:
                    handled += future.result()
                except Exception:  # noqa: BLE001 — its records stay in the lane and are tried again
                    self.log.exception("stream %s: a batch of shard %s failed outside the handler",
                                       self.name, shard.shard_id)
                    self.pump._stopping.wait(1.0)
                self._advance(shard)

    # -- discovering the stream and its shards ---------------------------------------------------

    def _refresh(self, initial: bool) -> None:
        arn = self._latest_stream_arn()
        if arn != self.stream_arn:
            if self.stream_arn is not None:
                self.log.info("stream %s: table %s has a new stream", self.name, self.table_name)
            self.stream_arn, self.shards = arn, {}
            self._saved = getattr(self, "_checkpoints_of", {}).get(arn) if arn else None
            # Only a stream present at start() honours the starting position, and only if this
            # mapping never read a stream of this table: one that appears later is read whole.
            initial = initial and arn is not None and not self._seen_before
        if arn is None:
            return
        iterator_type = self.starting_position if initial else "TRIM_HORIZON"
        for shard in self._describe_shards(arn):
            shard_id = shard["ShardId"]
            if shard_id in self.shards:
                continue
            state = _Shard(shard_id, shard.get("ParentShardId"), iterator_type,
                           lanes=[_Lane() for _ in range(self.lanes)])
            saved = (self._saved or {}).get(shard_id)
            if saved is not None:  # read before: go on after the checkpoint (or from the start)
                state.iterator_type = "TRIM_HORIZON"
                state.last_sequence = state.checkpoint = state.saved = saved or None
                if not saved:
                    state.saved = ""
            elif self._saved is not None:
                state.iterator_type = "TRIM_HORIZON"  # a shard of a known stream not read yet
            self.shards[shard_id] = state

    def _take_position(self, shard: _Shard) -> None:
        """Open a shard's starting position now and, with a store, write it down: a LATEST start
        becomes "after the last record there is now" (a sequence number survives a restart, an
        iterator does not)."""
        if shard.iterator is not None or shard.closed or shard.last_sequence or shard.saved is not None:
            return
        if shard.iterator_type == "LATEST":
            if self.store is None:
                # Opened now, not at the first read: LATEST is "after what is there at start()".
                shard.iterator = self._open_iterator(shard)
                return
            shard.last_sequence = shard.checkpoint = self._last_sequence_now(shard)
            shard.iterator_type = "TRIM_HORIZON"  # nothing there now: everything later is new
        if self.store is not None:
            self._save(shard, shard.checkpoint or "")

    def _last_sequence_now(self, shard: _Shard) -> str | None:
        """The shard's last sequence number right now (None when it holds no records)."""
        _, streams = self.client
        try:
            iterator = streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard.shard_id,
                                                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        except streams.exceptions.ResourceNotFoundException:
            return None
        last = None
        while iterator:
            try:
                response = streams.get_records(ShardIterator=iterator, Limit=1000)
            except (streams.exceptions.TrimmedDataAccessException, streams.exceptions.ExpiredIteratorException):
                return last
            records = response.get("Records", [])
            if not records:
                return last
            last = records[-1]["dynamodb"]["SequenceNumber"]
            iterator = response.get("NextShardIterator")
        shard.closed = True
        return last

    def _latest_stream_arn(self) -> str | None:
        ddb, _ = self.client
        try:
            table = ddb.describe_table(TableName=self.table_name)["Table"]
        except ddb.exceptions.ResourceNotFoundException:
            return None
        self.hash_key = next((k["AttributeName"] for k in table.get("KeySchema", []) if k["KeyType"] == "HASH"), None)
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

    def _fetch(self, shard: _Shard, retry: bool = True) -> bool:
        """Add what get_records returns to the shard's lanes; False when nothing new is there.

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
            for raw in records:
                record = to_lambda_stream_record(raw, self.configured_arn)
                lane = shard.lanes[_lane_of(record, self.hash_key, self.lanes)]
                with self._lock:  # its worker may be taking records off the head right now
                    shard.pending.append(_sequence_number(record))
                    lane.buffer.append(record)
        return bool(records)

    def _open_iterator(self, shard: _Shard) -> str:
        _, streams = self.client
        kwargs = {"StreamArn": self.stream_arn, "ShardId": shard.shard_id}
        if shard.last_sequence:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=shard.last_sequence)
        else:
            kwargs.update(ShardIteratorType=shard.iterator_type)
        return streams.get_shard_iterator(**kwargs)["ShardIterator"]

    def _executor(self):
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor
            self._pool = ThreadPoolExecutor(max_workers=self.lanes * 4, thread_name_prefix=f"pump-{self.name}")
        return self._pool

    def _process_one_batch(self, shard: _Shard, lane: _Lane) -> int:
        """Invoke once on the head of a lane and move past what is handled, per Lambda's rules.
        Returns the batch size delivered."""
        with self._lock:
            size = min(lane.plan[0] if lane.plan else self.batch_size, len(lane.buffer))
            batch = lane.buffer[:size]
        outcome = self.invoke(batch, _sequence_number)
        if not outcome.failed:
            self._handled(shard, lane, size)
            return size
        if outcome.raised and size > 1:
            # BisectBatchOnFunctionError: retry the halves; splitting costs no retry attempt.
            lane.plan[:1] = [size // 2, size - size // 2]
            return size
        # Records of a lane are in sequence order: the lowest failed sequence is the first failed.
        first_failed = min(i for i, record in enumerate(batch) if _sequence_number(record) in outcome.failed)
        self._handled(shard, lane, first_failed)  # records before the failure succeeded
        culprit = lane.buffer[0]
        sequence = _sequence_number(culprit)
        lane.attempts[sequence] = lane.attempts.get(sequence, 0) + 1
        if lane.attempts[sequence] > self.pump.max_stream_retries:
            self._send_to_failure_queue(shard, culprit, outcome.error, lane.attempts[sequence])
            self._handled(shard, lane, 1)
        return size

    def _handled(self, shard: _Shard, lane: _Lane, count: int) -> None:
        """Move past the first `count` records of a lane and shrink its bisect plan to match."""
        with self._lock:
            for record in lane.buffer[:count]:
                lane.attempts.pop(_sequence_number(record), None)
                shard.handled.add(_sequence_number(record))
            del lane.buffer[:count]
        remaining = count
        while remaining and lane.plan:
            taken = min(remaining, lane.plan[0])
            lane.plan[0] -= taken
            remaining -= taken
            if lane.plan[0] == 0:
                lane.plan.pop(0)

    def _advance(self, shard: _Shard) -> None:
        """Move the checkpoint over the handled head of the shard and write it down."""
        with self._lock:
            moved = 0
            while moved < len(shard.pending) and shard.pending[moved] in shard.handled:
                shard.handled.discard(shard.pending[moved])
                moved += 1
            if not moved:
                return
            shard.checkpoint = shard.pending[moved - 1]
            del shard.pending[:moved]
        if self.store is not None:
            self._save(shard, shard.checkpoint)

    def _save(self, shard: _Shard, sequence: str) -> None:
        """Write a checkpoint; a failed write is logged and the next one carries the position
        (a restart in between redelivers a little more: at least once, as Lambda)."""
        try:
            self.store.save(self.name, self.stream_arn, shard.shard_id, sequence)
            shard.saved = sequence
        except Exception:  # noqa: BLE001 — never lose the worker over a checkpoint
            self.log.exception("stream %s: checkpoint of shard %s not written", self.name, shard.shard_id)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None

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

    `start()` primes stream positions and starts one daemon thread per stream (its shards' lanes
    run concurrently, see `parallelization_factor`) and `queue_workers` per queue; `stop()` stops
    and joins them (within about `poll_wait_seconds` plus a running handler's time). `wait_idle()`
    blocks until nothing is left to deliver. `run_once()` is the single-threaded alternative for
    tests: one pass over every source; do not mix it with `start()`.
    """

    def __init__(self, app, *, stream_failure_queue: str | None = None, poll_wait_seconds: int = 1,
                 failed_visibility_seconds: int | None = None, max_stream_retries: int = 3,
                 checkpoints: CheckpointStore | None = None, queue_workers: int = 1,
                 parallelization_factor: int = 1, starting_position: str | None = None,
                 logger: logging.Logger | None = None):
        self.app = app
        self.checkpoints = checkpoints
        self.queue_workers = max(1, int(queue_workers))
        self.parallelization_factor = max(1, min(10, int(parallelization_factor)))
        self.starting_position = starting_position
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
        """Prime stream positions, then start the worker threads. Returns self."""
        if self._threads:
            raise RuntimeError("EventPump already started")
        self._stopping.clear()
        self.prime()
        workers = [(self._stream_loop, stream, stream.name) for stream in self.streams]
        workers += [(self._queue_loop, queue, f"{queue.name}-{n}") for queue in self.queues
                    for n in range(self.queue_workers)]
        for target, source, name in workers:
            thread = threading.Thread(target=target, args=(source,), name=f"pump-{name}", daemon=True)
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
        for stream in self.streams:
            stream.close()
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
    parser.add_argument("--queue-workers", type=int, default=QUEUE_WORKERS,
                        help=f"concurrent pollers per SQS queue (default {QUEUE_WORKERS})")
    parser.add_argument("--parallelization-factor", type=int, default=PARALLELIZATION_FACTOR,
                        help="concurrent batches per stream shard, by partition key (1-10, default "
                             f"{PARALLELIZATION_FACTOR})")
    parser.add_argument("--checkpoint-table", default=CHECKPOINT_TABLE,
                        help="DynamoDB table keeping stream positions across restarts")
    parser.add_argument("--no-checkpoints", action="store_true",
                        help="keep stream positions in memory only: a restart starts over at the "
                             "starting position (loses or repeats records; for tests of that)")
    parser.add_argument("--starting-position", choices=["LATEST", "TRIM_HORIZON"], default=None,
                        help="override every stream's configured starting position")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)  # not "found credentials" per client
    sys.path.insert(0, os.getcwd())
    from app import app  # noqa: E402 - the app lives in the repository root

    pump = EventPump(app, stream_failure_queue=args.stream_failure_queue,
                     poll_wait_seconds=args.poll_wait_seconds,
                     failed_visibility_seconds=args.failed_visibility_seconds,
                     max_stream_retries=args.max_stream_retries,
                     checkpoints=None if args.no_checkpoints else CheckpointStore(args.checkpoint_table),
                     queue_workers=args.queue_workers, parallelization_factor=args.parallelization_factor,
                     starting_position=args.starting_position)
    run_until_signal(pump)


def run_until_signal(pump: EventPump) -> None:
    """Start `pump`, run until SIGINT or SIGTERM, stop it (what `python -m localdev.pump` does)."""
    import signal

    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    pump.start()
    pump.log.info("pump running: %d stream(s), %d queue(s) x %d worker(s), %d lane(s) per shard, checkpoints %s",
                  len(pump.streams), len(pump.queues), pump.queue_workers, pump.parallelization_factor,
                  pump.checkpoints.table_name if pump.checkpoints else "in memory")
    stopped.wait()
    pump.stop()


if __name__ == "__main__":
    main()
