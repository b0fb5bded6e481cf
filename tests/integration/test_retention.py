"""TTL on the local stack (issue 19): DynamoDB Local has TTL switched on for every table whose model
has a ``ttl`` attribute (localdev/provision.py, as infra/ does in AWS), and rows written through the
code carry it as epoch seconds. Told as given / when / then."""
from __future__ import annotations

import time
import uuid

import pytest

pytestmark = pytest.mark.integration

EXPECTED = {"notifications", "offers", "webhook-deliveries", "idempotency", "signin-codes", "rate-buckets",
            "geo-hints", "attribution"}


def test_ttl_is_enabled_on_every_table_with_data_that_expires(stack):
    from pynamodb.attributes import TTLAttribute

    from chalicelib.aws import client
    from chalicelib.models import all_models
    from chalicelib.settings import get_settings

    # given every model with a ttl attribute
    prefix = get_settings().resource_prefix + "-"
    with_ttl = {}
    for model in all_models():
        names = [n for n, a in model.get_attributes().items() if isinstance(a, TTLAttribute)]
        if names:
            desc = client("dynamodb").describe_time_to_live(TableName=model.Meta.table_name)["TimeToLiveDescription"]
            with_ttl[model.Meta.table_name[len(prefix):]] = (desc.get("TimeToLiveStatus"), desc.get("AttributeName"))
    # then exactly the tables whose data expires have TTL switched on, on "ttl"
    assert set(with_ttl) == EXPECTED
    assert set(with_ttl.values()) == {("ENABLED", "ttl")}


def test_a_webhook_delivery_is_stored_with_its_expiry(stack):
    from chalicelib.aws import client
    from chalicelib.models.partners import DELIVERY_RETENTION, WebhookDelivery

    # when a webhook delivery is stored
    ep = "we_" + uuid.uuid4().hex[:8]
    WebhookDelivery(endpoint_id=ep, message_id="msg_1", tenant_id="t", event_type="booking.created",
                    payload='{"data":{}}', created_at="2026-01-01T00:00:00Z").save()
    # then the raw item carries its expiry, the retention from now, in epoch seconds
    raw = client("dynamodb").get_item(TableName=WebhookDelivery.Meta.table_name,
                                      Key={"endpoint_id": {"S": ep}, "message_id": {"S": "msg_1"}})["Item"]
    assert abs(int(raw["ttl"]["N"]) - (time.time() + DELIVERY_RETENTION.total_seconds())) < 60


def test_a_notification_claim_is_stored_with_its_expiry(stack):
    from chalicelib.aws import client
    from chalicelib.models.notification_log import RETENTION, NotificationLog
    from chalicelib.services import notification_delivery

    # given a notification about to be sent
    bid = "b_ttl" + uuid.uuid4().hex[:8]
    msg = {"event_id": "e1", "event_type": "booking.created", "booking_id": bid,
           "recipient": {"role": "customer", "id": "c_1"}}
    # when its delivery is claimed
    assert notification_delivery._claim(msg, "crowdfix", {"key": "email", "channel": "email"}, "en", "Title")
    # then the claim's raw item carries its expiry
    raw = client("dynamodb").query(TableName=NotificationLog.Meta.table_name, KeyConditionExpression="#s = :s",
                                   ExpressionAttributeNames={"#s": "scope"},
                                   ExpressionAttributeValues={":s": {"S": bid}})["Items"][0]
    assert abs(int(raw["ttl"]["N"]) - (time.time() + RETENTION.total_seconds())) < 60
