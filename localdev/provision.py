"""Create crowdfix's tables and queues on the local stack (idempotent).

Tables come from the pynamodb models (one source of truth with the app), queues from
``chalicelib.queues``; each queue gets a dead-letter queue with the spec's max receive count.
"""
from __future__ import annotations

import json
import logging

log = logging.getLogger("localdev")


def create_tables() -> list[str]:
    from chalicelib.models import all_models

    made = []
    for model in all_models():
        if not model.exists():
            model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
            made.append(model.Meta.table_name)
        _enable_ttl(model)
    return made


def _enable_ttl(model) -> None:
    from pynamodb.attributes import TTLAttribute

    ttl_attrs = [name for name, attr in model.get_attributes().items() if isinstance(attr, TTLAttribute)]
    if not ttl_attrs:
        return
    from chalicelib.aws import client

    ddb = client("dynamodb")
    status = ddb.describe_time_to_live(TableName=model.Meta.table_name)["TimeToLiveDescription"]
    if status.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
        ddb.update_time_to_live(TableName=model.Meta.table_name,
                                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attrs[0]})


def create_queues(visibility_timeout: int | None = None) -> dict[str, str]:
    """Create every queue and its DLQ. ``visibility_timeout`` overrides the specs' (tests use a
    short one so retries come quickly)."""
    from chalicelib.aws import client
    from chalicelib.queues import ALL_QUEUES, STREAM_FAILURES

    sqs = client("sqs")
    urls = {}
    for spec in [*ALL_QUEUES, STREAM_FAILURES]:
        dlq_url = sqs.create_queue(QueueName=spec.dlq_name)["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        attrs = {
            "VisibilityTimeout": str(visibility_timeout or spec.visibility_timeout),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": spec.max_receive_count}),
        }
        urls[spec.name] = sqs.create_queue(QueueName=spec.name, Attributes=attrs)["QueueUrl"]
        urls[spec.dlq_name] = dlq_url
    return urls


def verify_sender() -> None:
    from chalicelib.aws import client
    from chalicelib.settings import get_settings

    client("ses").verify_email_identity(EmailAddress=get_settings().mail_from)


def create_photo_bucket() -> None:
    """The private bucket of helper photos (chalicelib/adapters/photos.py) on moto server's S3."""
    from chalicelib.adapters.photos import bucket
    from chalicelib.aws import client

    s3 = client("s3")
    try:
        s3.create_bucket(Bucket=bucket(), CreateBucketConfiguration={"LocationConstraint": s3.meta.region_name})
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass


def provision(visibility_timeout: int | None = None) -> None:
    create_tables()
    create_queues(visibility_timeout)
    create_photo_bucket()
    verify_sender()
