"""The one condition reader (``chalicelib.store.conditions``) against DynamoDB Local: every shape a
conditional write or a transaction can end in, read the same way everywhere.

Refused conditions come from DynamoDB Local itself. DynamoDB Local cannot be made to throttle or to
report a transaction conflict on demand, so for those two the test answers the real request on the
wire with the exact error body DynamoDB sends (a ``before-send`` hook on the same connection), so
botocore's and pynamodb's parsing of it runs as it does in AWS. Told as given / when / then."""
import json
import uuid
from contextlib import contextmanager

import pytest

from chalicelib.store import conditions as c

pytestmark = pytest.mark.integration


class _Raw:
    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **_):
        yield self._body

    def read(self, *_):
        return self._body


def _answer(error_type: str, message: str, reasons: list | None = None):
    """A before-send hook answering with DynamoDB's JSON error for ``error_type``."""
    from botocore.awsrequest import AWSResponse

    def hook(request, **_):
        body = {"__type": f"com.amazonaws.dynamodb.v20120810#{error_type}", "message": message}
        if reasons is not None:
            body["CancellationReasons"] = reasons
        return AWSResponse(request.url, 400, {"x-amzn-ErrorType": error_type,
                                              "Content-Type": "application/x-amz-json-1.0"},
                           _Raw(json.dumps(body).encode()))
    return hook


@contextmanager
def _wire_answers(events, operation: str, hook):
    """While inside, ``operation`` calls on this connection get ``hook``'s answer."""
    name = f"before-send.dynamodb.{operation}"
    events.register_first(name, hook)
    try:
        yield
    finally:
        events.unregister(name, hook)


def _record(key=None):
    from chalicelib.models.idempotency import IdempotencyRecord
    from datetime import timedelta
    return IdempotencyRecord(key=key or f"cond-test#{uuid.uuid4().hex}", ttl=timedelta(minutes=10))


def _tx(*items):
    from pynamodb.transactions import TransactWrite

    from chalicelib.aws import tx_connection
    from chalicelib.models.idempotency import IdempotencyRecord

    with TransactWrite(connection=tx_connection()) as tx:
        for item in items:
            tx.save(item, condition=IdempotencyRecord.key.does_not_exist())


def test_a_write_that_succeeds_raises_nothing(stack):
    # when a new item is saved, and two new items in one transaction, then nothing is raised
    _record().save()
    _tx(_record(), _record())


def test_a_refused_single_item_condition_reads_as_condition(stack):
    from pynamodb.exceptions import PutError

    from chalicelib.models.idempotency import IdempotencyRecord

    # given an item
    rec = _record()
    rec.save()
    # when another save of its key requires that it does not exist
    with pytest.raises(PutError) as err:
        _record(rec.key).save(condition=IdempotencyRecord.key.does_not_exist())
    # then the failure reads as a refused condition, not worth a retry
    assert c.outcome(err.value) == c.CONDITION and c.is_condition_failure(err.value)
    assert not c.is_retryable(err.value)


def test_a_transaction_refused_on_one_items_condition_reads_as_condition(stack):
    from pynamodb.exceptions import TransactWriteError

    # given an item
    taken = _record()
    taken.save()
    # when a transaction writes a new item and that one, each required not to exist
    with pytest.raises(TransactWriteError) as err:
        _tx(_record(), _record(taken.key))
    # then it reads as a condition: DynamoDB Local reports one reason per item: None for the fine one, the code for the other
    assert c.cancellation_codes(err.value) == [None, "ConditionalCheckFailed"]
    assert c.outcome(err.value) == c.CONDITION


def test_an_update_of_a_missing_item_with_an_exists_condition_reads_as_condition(stack):
    from pynamodb.exceptions import UpdateError

    from chalicelib.models.idempotency import IdempotencyRecord

    # when an update requires that a missing item exists
    with pytest.raises(UpdateError) as err:
        _record().update(actions=[IdempotencyRecord.status.set(1)], condition=IdempotencyRecord.key.exists())
    # then it reads as a condition failure
    assert c.is_condition_failure(err.value)


def test_a_transaction_conflict_reads_as_retryable_not_as_condition(stack):
    from pynamodb.exceptions import TransactWriteError

    from chalicelib.aws import tx_connection

    # given DynamoDB answering a transaction with a conflict on its second item
    events = tx_connection().client.meta.events
    hook = _answer("TransactionCanceledException", "Transaction cancelled, please refer cancellation reasons",
                   [{"Code": "None"}, {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}])
    # when a transaction is written
    with _wire_answers(events, "TransactWriteItems", hook), pytest.raises(TransactWriteError) as err:
        _tx(_record(), _record())
    # then it reads as a conflict to retry, not as a refused condition
    assert c.cancellation_codes(err.value) == [None, "TransactionConflict"]
    assert c.outcome(err.value) == c.CONFLICT and c.is_retryable(err.value)
    assert not c.is_condition_failure(err.value)


def test_a_condition_and_a_conflict_in_one_transaction_read_as_condition(stack):
    from pynamodb.exceptions import TransactWriteError

    from chalicelib.aws import tx_connection

    # given DynamoDB answering with a conflict on one item and a refused condition on the other
    events = tx_connection().client.meta.events
    hook = _answer("TransactionCanceledException", "Transaction cancelled",
                   [{"Code": "TransactionConflict"}, {"Code": "ConditionalCheckFailed", "Message": "failed"}])
    # when a transaction is written
    with _wire_answers(events, "TransactWriteItems", hook), pytest.raises(TransactWriteError) as err:
        _tx(_record(), _record())
    # then the condition wins c.outcome(err.value) == c.CONDITION  # a retry would fail on the condition again


def test_a_throttled_transaction_reads_as_throttled(stack):
    from pynamodb.exceptions import TransactWriteError

    from chalicelib.aws import tx_connection

    # given DynamoDB answering a transaction with a throttle on one item
    events = tx_connection().client.meta.events
    hook = _answer("TransactionCanceledException", "Transaction cancelled",
                   [{"Code": "ThrottlingError", "Message": "Throughput exceeds the current capacity"}, {"Code": "None"}])
    # when a transaction is written
    with _wire_answers(events, "TransactWriteItems", hook), pytest.raises(TransactWriteError) as err:
        _tx(_record(), _record())
    # then it reads as throttled, worth a retry
    assert c.outcome(err.value) == c.THROTTLED and c.is_retryable(err.value)


def test_a_throttled_single_write_reads_as_throttled_not_as_condition(stack):
    from pynamodb.exceptions import PutError

    from chalicelib.models.idempotency import IdempotencyRecord

    # given DynamoDB answering a put with ProvisionedThroughputExceeded
    events = IdempotencyRecord._get_connection().connection.client.meta.events
    hook = _answer("ProvisionedThroughputExceededException", "The level of configured provisioned throughput "
                   "for the table was exceeded")
    # when an item is saved
    with _wire_answers(events, "PutItem", hook), pytest.raises(PutError) as err:
        _record().save()
    # then it reads as throttled, not as a refused condition
    assert c.outcome(err.value) == c.THROTTLED and not c.is_condition_failure(err.value)
