"""Notifications: the queue consumer that sends e-mail, SMS and Web Push, the booking's messages,
and each person's notification settings and push subscriptions."""
from __future__ import annotations

import json
import logging

from chalice import Blueprint

from chalicelib.handlers.batch import process_queue
from chalicelib.handlers.common import authenticate, ok, parse_body, path_id
from chalicelib.queues import NOTIFICATIONS

bp = Blueprint(__name__)
log = logging.getLogger("crowdfix.notifications")


def on_notification(event):
    """Send each notification event (kind ``notifications`` on the work queue, routed by
    ``handlers/work.py``); a failed one is retried later (exponential backoff through its
    visibility timeout), then goes to the dead-letter queue."""
    from chalicelib.services.notifications import DeliveryFailed, deliver, retry_delay

    def handle(record):
        try:
            deliver(json.loads(record["body"]))
        except DeliveryFailed:
            count = int((record.get("attributes") or {}).get("ApproximateReceiveCount", "1"))
            _delay_retry(record, retry_delay(count))
            raise

    # deliver() claims every (event, recipient, channel) with a conditional write before sending,
    # so a redelivered message sends nothing again: no per-message guard (a write saved each)
    return process_queue("notifications", event, handle, guard=False)


_urls_by_arn: dict[str, str] = {}


def _source_queue_url(record: dict) -> str:
    """The URL of the queue this record came from (its ``eventSourceARN``), else the work queue's."""
    from chalicelib.aws import client
    from chalicelib.queues import queue_url

    arn = record.get("eventSourceARN")
    if not arn:
        return queue_url(NOTIFICATIONS)
    if arn not in _urls_by_arn:
        _urls_by_arn[arn] = client("sqs").get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"]
    return _urls_by_arn[arn]


def _delay_retry(record: dict, seconds: int) -> None:
    from chalicelib.aws import client

    try:
        client("sqs").change_message_visibility(QueueUrl=_source_queue_url(record),
                                                ReceiptHandle=record["receiptHandle"], VisibilityTimeout=seconds)
    except Exception:  # the queue's own visibility timeout still brings it back
        log.warning("could not delay the retry of %s", record.get("messageId"), exc_info=True)


@bp.route("/v1/bookings/{booking_id}/messages", methods=["GET"])
def booking_messages(booking_id):
    from chalicelib.services.bookings import get_booking_for
    from chalicelib.services.notifications import messages_for

    actor = authenticate(bp.current_request, "customer", "helper", "ops")
    booking = get_booking_for(actor, path_id(booking_id, "b", "booking_id"))
    return ok({"booking_id": booking.booking_id, "items": messages_for(actor, booking)})


@bp.route("/v1/me/notification-settings", methods=["GET"])
def get_settings_route():
    from chalicelib.services.notifications import get_prefs

    return ok(get_prefs(authenticate(bp.current_request, "customer", "helper")))


@bp.route("/v1/me/notification-settings", methods=["PUT"])
def put_settings_route():
    from chalicelib.domain.notification_schemas import NotificationSettings
    from chalicelib.services.notifications import save_prefs

    request = bp.current_request
    actor = authenticate(request, "customer", "helper")
    return ok(save_prefs(actor, parse_body(request, NotificationSettings)))


@bp.route("/v1/push/vapid-public-key", methods=["GET"])
def vapid_key():
    from chalicelib.adapters.webpush import vapid_public_key

    return ok({"public_key": vapid_public_key()}, headers={"Cache-Control": "public, max-age=3600"})


@bp.route("/v1/push/subscriptions", methods=["POST"])
def add_subscription():
    from chalicelib.domain.notification_schemas import PushSubscriptionIn
    from chalicelib.services.notifications import register_subscription

    request = bp.current_request
    actor = authenticate(request, "customer", "helper")
    view, created = register_subscription(actor, parse_body(request, PushSubscriptionIn))
    return ok(view, status=201 if created else 200)


@bp.route("/v1/push/subscriptions", methods=["GET"])
def my_subscriptions():
    from chalicelib.services.notifications import list_subscriptions

    return ok({"items": list_subscriptions(authenticate(bp.current_request, "customer", "helper"))})


@bp.route("/v1/push/subscriptions/{subscription_id}", methods=["DELETE"])
def remove_subscription(subscription_id):
    from chalicelib.services.notifications import delete_subscription

    actor = authenticate(bp.current_request, "customer", "helper")
    delete_subscription(actor, path_id(subscription_id, "ps", "subscription_id"))
    return ok({"subscription_id": subscription_id, "deleted": True})
