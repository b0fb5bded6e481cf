"""Notifications: the queue consumer that sends e-mail, SMS and Web Push, the booking's messages,
and each person's notification settings and push subscriptions."""
from __future__ import annotations

import json
import logging

from chalice import Blueprint

from chalicelib.handlers.batch import process_queue
from chalicelib.http import Edge, Reply, signed_in
from chalicelib.lazy import lazy
from chalicelib.queues import NOTIFICATIONS, queue_url

bp = Blueprint(__name__)
api = Edge(bp, tag="notifications")
delivery = lazy("chalicelib.services.notification_delivery")
messages = lazy("chalicelib.services.notification_messages")
notify_settings = lazy("chalicelib.services.notification_settings")
bookings = lazy("chalicelib.services.bookings")
webpush = lazy("chalicelib.adapters.webpush")
aws = lazy("chalicelib.aws")
PERSON = signed_in("customer", "helper")
log = logging.getLogger("crowdfix.notifications")


def on_notification(event):
    """Send each notification event (kind ``notifications`` on the work queue, routed by
    ``handlers/work.py``); a failed one is retried later (exponential backoff through its
    visibility timeout), then goes to the dead-letter queue."""
    def handle(record):
        try:
            delivery.deliver(json.loads(record["body"]))
        except delivery.DeliveryFailed:
            count = int((record.get("attributes") or {}).get("ApproximateReceiveCount", "1"))
            _delay_retry(record, delivery.retry_delay(count))
            raise

    # deliver() claims every (event, recipient, channel) with a conditional write before sending,
    # so a redelivered message sends nothing again: no per-message guard (a write saved each)
    return process_queue("notifications", event, handle, guard=False)


_urls_by_arn: dict[str, str] = {}


def _source_queue_url(record: dict) -> str:
    """The URL of the queue this record came from (its ``eventSourceARN``), else the work queue's."""
    arn = record.get("eventSourceARN")
    if not arn:
        return queue_url(NOTIFICATIONS)
    if arn not in _urls_by_arn:
        _urls_by_arn[arn] = aws.client("sqs").get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"]
    return _urls_by_arn[arn]


def _delay_retry(record: dict, seconds: int) -> None:
    try:
        aws.client("sqs").change_message_visibility(QueueUrl=_source_queue_url(record),
                                                ReceiptHandle=record["receiptHandle"], VisibilityTimeout=seconds)
    except Exception:  # the queue's own visibility timeout still brings it back
        log.warning("could not delay the retry of %s", record.get("messageId"), exc_info=True)


@api.get("/v1/bookings/{booking_id}/messages", auth=signed_in("customer", "helper", "ops"), response="MessageList")
def booking_messages(call, booking_id):
    """The messages sent about a booking"""
    booking = bookings.get_booking_for(call.actor, booking_id)
    return {"booking_id": booking.booking_id, "items": messages.messages_for(call.actor, booking)}


@api.get("/v1/me/notification-settings", auth=PERSON, response="NotificationSettingsOut")
def get_settings_route(call):
    """How I am told (e-mail, SMS, push, language, quiet hours)"""
    return notify_settings.get_prefs(call.actor)


@api.put("/v1/me/notification-settings", auth=PERSON, body="notification_schemas:NotificationSettings",
         response="NotificationSettingsOut")
def put_settings_route(call):
    """Choose how to be told (e-mail, SMS, push, language, quiet hours)"""
    return notify_settings.save_prefs(call.actor, call.body)


@api.get("/v1/push/vapid-public-key", response="VapidKey")
def vapid_key(call):
    """The public key Web Push subscriptions are made with"""
    return Reply({"public_key": webpush.vapid_public_key()}, headers={"Cache-Control": "public, max-age=3600"})


@api.post("/v1/push/subscriptions", auth=PERSON, body="notification_schemas:PushSubscriptionIn",
          response="PushSubscriptionOut", status=201, also=(200,))
def add_subscription(call):
    """Register this browser for Web Push"""
    view, created = notify_settings.register_subscription(call.actor, call.body)
    return Reply(view, status=201 if created else 200)


@api.get("/v1/push/subscriptions", auth=PERSON, response="PushSubscriptionList")
def my_subscriptions(call):
    """My push subscriptions"""
    return {"items": notify_settings.list_subscriptions(call.actor)}


@api.delete("/v1/push/subscriptions/{subscription_id}", auth=PERSON, response="PushSubscriptionDeleted")
def remove_subscription(call, subscription_id):
    """Remove a push subscription"""
    notify_settings.delete_subscription(call.actor, subscription_id)
    return {"subscription_id": subscription_id, "deleted": True}
