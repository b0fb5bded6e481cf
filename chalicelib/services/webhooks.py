"""Outbound partner webhooks, signed per the Standard Webhooks spec.

Flow: a committed booking transition -> the bookings stream runs the ``notify`` effect ->
:func:`publish_booking_event` writes one delivery record per subscribed endpoint (conditional put
on a message id derived from booking, history entry and endpoint, so a redelivered stream record
sends nothing twice) and enqueues it -> the ``webhook-deliveries`` queue handler POSTs it
(:func:`deliver`). Failures are retried with exponential back-off (30 s doubling, capped at 12 h)
for up to 3 days; SQS delays stop at 900 s, so longer waits are chained re-enqueues. After the
window the message goes to the queue's dead-letter queue and the delivery is marked ``failed``.
Every attempt is logged on the delivery record; ``redeliver`` sends a delivery again.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from datetime import datetime, timezone

from chalicelib.domain import partners as dp
from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.ids import new_id, now_iso
from chalicelib.services.partners import check_tenant_admin
from chalicelib.settings import get_settings
from chalicelib.store.bookings import bookings as bookings_store
from chalicelib.store.webhooks import webhooks as webhooks_store
from chalicelib.store.conditions import AlreadyExists, ConditionFailed
from chalicelib.store.records import WebhookDeliveryRecord, WebhookEndpointRecord

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 5


def _backoff_base() -> float:
    # tests and local demos shorten the schedule; the shape (doubling, 3-day window) stays
    return float(os.environ.get("CROWDFIX_WEBHOOK_BACKOFF_SCALE", "1"))


# ---------------------------------------------------------------------------------------------
# endpoints

def endpoint_view(ep: WebhookEndpointRecord) -> dict:
    return {"endpoint_id": ep.endpoint_id, "url": ep.url, "events": list(ep.events), "description": ep.description,
            "status": ep.status, "environment": ep.environment, "created_at": ep.created_at}


def _environment_for(actor: Actor, environment: str | None, wanted: str | None) -> str:
    """An endpoint made with an API key is in the key's environment; an admin chooses (live by default)."""
    if actor.role == "partner":
        env = environment or "live"
        if wanted and wanted != env:
            raise ValidationFailed(f"a {env} key makes {env} endpoints; use a {wanted} key for a {wanted} endpoint",
                                   field="environment")
        return env
    return wanted or "live"


def create_endpoint(actor: Actor, tenant_id: str, request: dp.CreateWebhookEndpoint,
                    environment: str | None = None) -> WebhookEndpointRecord:
    check_tenant_admin(actor, tenant_id, allow_partner_key=True)
    environment = _environment_for(actor, environment, getattr(request, "environment", None))
    url = str(request.url)
    from chalicelib.adapters.outbound import OutboundRefused, check_url
    try:  # refused up front: private, loopback (outside the local stage), metadata and odd URLs
        check_url(url)
    except OutboundRefused as exc:
        if exc.reason == "host name does not resolve":
            pass  # may exist later (DNS set up after the endpoint); every delivery checks again
        else:
            raise ValidationFailed(_endpoint_refusal(exc.reason), field="url") from None
    ep = WebhookEndpointRecord(tenant_id=tenant_id, endpoint_id=new_id("we"), url=url,
                               secret=dp.new_webhook_secret(), events=tuple(sorted(set(request.events))),
                               description=request.description, status="enabled", created_at=now_iso(),
                               environment=environment)
    webhooks_store().add_endpoint(ep)
    return ep


def _endpoint_refusal(reason: str) -> str:
    if "https" in reason:
        return "webhook URLs must use https"
    return f"this webhook URL cannot be used: {reason.removeprefix('refused: ')}"


def list_endpoints(actor: Actor, tenant_id: str, environment: str | None = None) -> list[WebhookEndpointRecord]:
    """The tenant's endpoints; an API key sees those of its own environment only."""
    check_tenant_admin(actor, tenant_id, allow_partner_key=True)
    return [ep for ep in webhooks_store().endpoints(tenant_id)
            if actor.role != "partner" or ep.environment == (environment or "live")]


def get_endpoint(actor: Actor, tenant_id: str, endpoint_id: str, environment: str | None = None) -> WebhookEndpointRecord:
    check_tenant_admin(actor, tenant_id, allow_partner_key=True)
    ep = webhooks_store().endpoint(tenant_id, endpoint_id)
    if ep is None or (actor.role == "partner" and ep.environment != (environment or "live")):
        raise NotFound(f"webhook endpoint {endpoint_id} was not found", field="endpoint_id")
    return ep


def delete_endpoint(actor: Actor, tenant_id: str, endpoint_id: str) -> None:
    get_endpoint(actor, tenant_id, endpoint_id)
    webhooks_store().delete_endpoint(tenant_id, endpoint_id)


def delivery_view(d: WebhookDeliveryRecord) -> dict:
    log_ = d.attempt_log or {}
    return {"message_id": d.message_id, "endpoint_id": d.endpoint_id, "event_type": d.event_type,
            "status": d.status, "attempts": int(d.attempts or 0),
            "last_status_code": int(d.last_status_code) if d.last_status_code is not None else None,
            "last_error": d.last_error, "created_at": d.created_at, "delivered_at": d.delivered_at,
            "attempt_log": [log_[k] for k in sorted(log_, key=int)], "payload": json.loads(d.payload)}


def list_deliveries(actor: Actor, tenant_id: str, endpoint_id: str, limit: int = 50, after: str | None = None,
                    environment: str | None = None) -> tuple[list[WebhookDeliveryRecord], str | None]:
    """One page of the endpoint's delivery log and where the next page starts (None: the last)."""
    get_endpoint(actor, tenant_id, endpoint_id, environment)
    return webhooks_store().deliveries_page(endpoint_id, limit, after)


def redeliver(actor: Actor, tenant_id: str, endpoint_id: str, message_id: str,
              environment: str | None = None) -> WebhookDeliveryRecord:
    """Send a logged delivery again (same webhook-id, so receivers can de-duplicate)."""
    get_endpoint(actor, tenant_id, endpoint_id, environment)
    try:
        delivery = webhooks_store().reset_for_redelivery(endpoint_id, message_id)
    except ConditionFailed:
        raise NotFound(f"delivery {message_id} was not found", field="message_id") from None
    _enqueue(delivery, attempt_base=int(delivery.attempts or 0), manual=True)
    return delivery


# ---------------------------------------------------------------------------------------------
# publishing

def _message_id(source: str, endpoint_id: str) -> str:
    # time-ordered prefix keeps the delivery log newest-first; the hash makes it deterministic
    return "msg_" + hashlib.sha256(f"{source}#{endpoint_id}".encode()).hexdigest()[:26]


def publish(tenant_id: str, event_type: str, data: dict, source: str, occurred_at: str,
            environment: str = "live") -> list[str]:
    """Record and enqueue ``event_type`` for every enabled endpoint of the tenant subscribed to it
    in ``environment`` (test bookings' events go to test endpoints only, live ones to live ones).
    ``source`` names the business event uniquely (idempotency). Returns the new message ids."""
    sent = []
    for ep in webhooks_store().endpoints(tenant_id):
        if ep.status != "enabled" or event_type not in ep.events or ep.environment != environment:
            continue
        msg_id = _message_id(source, ep.endpoint_id)
        payload = json.dumps({"type": event_type, "timestamp": occurred_at, "data": data},
                             separators=(",", ":"), sort_keys=True)
        delivery = WebhookDeliveryRecord(endpoint_id=ep.endpoint_id, message_id=msg_id, tenant_id=tenant_id,
                                         event_type=event_type, payload=payload, status="pending", attempts=0,
                                         created_at=now_iso())
        try:
            webhooks_store().add_delivery(delivery)
        except AlreadyExists:
            existing = webhooks_store().delivery(ep.endpoint_id, msg_id)
            if existing is None or existing.status != "pending" or existing.attempts:
                continue  # already on its way: a redelivered stream record sends nothing twice
            delivery = existing
        _enqueue(delivery, attempt_base=0)
        sent.append(msg_id)
    return sent


def booking_event_data(booking: dict) -> dict:
    """What a partner receives about its booking: ids, state and timing, no helper contact."""
    return {"booking_id": booking["booking_id"], "external_ref": booking.get("external_ref"),
            "state": booking["state"], "category": booking.get("category"), "mode": booking.get("mode"),
            "helper": {"helper_id": booking["helper_id"]} if booking.get("helper_id") else None,
            "minutes_worked": booking.get("minutes_worked"), "affiliate_code": booking.get("affiliate_code"),
            "campaign": booking.get("campaign"), "sandbox": booking.get("sandbox") == "test",
            "version": booking.get("version"), "updated_at": booking.get("updated_at")}


def publish_booking_event(booking: dict, entry: dict, old: dict | None) -> None:
    """Bookings of partner tenants: turn the transition into a webhook event."""
    event_type = dp.TRANSITION_EVENTS.get(entry.get("transition"))
    if not event_type or not booking.get("partner_id") or booking["tenant_id"] == get_settings().default_tenant:
        return
    publish(booking["tenant_id"], event_type, {**booking_event_data(booking), "transition": entry["transition"]},
            source=f"{booking['booking_id']}#v{entry.get('v')}#{entry.get('transition')}",
            occurred_at=entry.get("at") or now_iso(),
            environment="test" if booking.get("sandbox") == "test" else "live")


def publish_review_received(review: dict) -> list[str]:
    """For the reviews capability: call with the stored review (needs ``review_id``, ``booking_id``,
    ``tenant_id``) once it is published."""
    booking = bookings_store().facts(review["booking_id"])
    if booking is None or not booking.partner_id or booking.tenant_id != review.get("tenant_id"):
        return []
    data = {"booking_id": booking.booking_id, "external_ref": booking.external_ref,
            "review_id": review["review_id"], "stars": review.get("stars"),
            "would_recommend": review.get("would_recommend")}
    return publish(booking.tenant_id, "review.received", data, source=f"review#{review['review_id']}",
                   occurred_at=review.get("created_at") or now_iso(),
                   environment="test" if booking.sandbox == "test" else "live")


# ---------------------------------------------------------------------------------------------
# delivery (queue handler)

def _enqueue(delivery: WebhookDeliveryRecord, attempt_base: int, manual: bool = False, delay: int = 0,
             not_before: float | None = None) -> None:
    from chalicelib.queues import WEBHOOK_DELIVERIES, send

    send(WEBHOOK_DELIVERIES, {"endpoint_id": delivery.endpoint_id, "message_id": delivery.message_id,
                              "tenant_id": delivery.tenant_id, "manual": manual,
                              "not_before": not_before}, delay_seconds=min(delay, dp.SQS_MAX_DELAY))


def _post(url: str, body: str, headers: dict) -> tuple[int | None, str | None]:
    """POST through the SSRF-safe client: public addresses only (loopback on the local stage), no
    redirects followed, one deadline, a bounded answer; the error is a short reason, never the
    receiver's text."""
    from chalicelib.adapters import outbound

    resp = outbound.request("POST", url, body=body.encode(), headers=headers, timeout=TIMEOUT_SECONDS,
                            max_body=4096)
    return resp.status, resp.reason


def deliver(message: dict, now: float | None = None) -> str:
    """Handle one queue message: wait more (chained delay), POST, or schedule the next attempt.
    Returns what happened (for logs and tests)."""
    from chalicelib.queues import WEBHOOK_DELIVERIES, send

    now = time.time() if now is None else now
    not_before = message.get("not_before")
    if not_before and not_before > now + 1:
        send(WEBHOOK_DELIVERIES, message, delay_seconds=min(dp.SQS_MAX_DELAY, int(not_before - now) + 1))
        return "waiting"
    webhooks = webhooks_store()
    delivery = webhooks.delivery(message["endpoint_id"], message["message_id"])
    endpoint = webhooks.endpoint(message["tenant_id"], message["endpoint_id"])
    if delivery is None or endpoint is None:
        return "gone"
    manual = bool(message.get("manual"))
    if delivery.status in TERMINAL and not manual:
        return delivery.status
    # claim this attempt's number first (atomic), so concurrent attempts never share a log slot
    attempt = webhooks.claim_attempt(delivery.endpoint_id, delivery.message_id,
                                     final_states=() if manual else TERMINAL)
    if attempt is None:
        return delivery.status  # it became final meanwhile
    first = float(delivery.first_attempt_at) if delivery.first_attempt_at is not None else now
    timestamp = int(now)
    headers = dp.webhook_headers(endpoint.secret, delivery.message_id, timestamp, delivery.payload)
    started = time.monotonic()
    status, error = _post(endpoint.url, delivery.payload, headers) if endpoint.status == "enabled" else (None, "endpoint disabled")
    ms = int((time.monotonic() - started) * 1000)
    entry = {"at": datetime.fromtimestamp(now, timezone.utc).isoformat(timespec="seconds"), "status": status,
             "error": error, "ms": ms}

    def record(new_status: str, unless: tuple[str, ...], **more) -> bool:
        return webhooks.record_attempt(delivery.endpoint_id, delivery.message_id, attempt, entry,
                                       status_code=status, error=error, new_status=new_status, unless_status=unless,
                                       first_attempt_at=first if delivery.first_attempt_at is None else None, **more)

    if status is not None and 200 <= status < 300:
        # delivered is the truth whatever a slower attempt reports: it may follow any state
        record("delivered", ("delivered",), delivered_at=now_iso())
        return "delivered"
    delay = dp.next_attempt_delay(attempt, first, now) if endpoint.status == "enabled" else None
    if delay is None:
        if record("failed", ("delivered",)):
            _to_dead_letter(message)
            return "failed"
        return "delivered"
    delay = max(1, int(delay * _backoff_base()))
    # states only move forward: a late attempt never turns a final delivery back into "retrying"
    if not record("retrying", TERMINAL):
        return "final already"
    send(WEBHOOK_DELIVERIES, {**message, "manual": False, "not_before": now + delay},
         delay_seconds=min(delay, dp.SQS_MAX_DELAY))
    return f"retry in {delay}s"


TERMINAL = ("delivered", "failed")


def _to_dead_letter(message: dict) -> None:
    from chalicelib.aws import client
    from chalicelib.queues import WEBHOOK_DELIVERIES, kind_attribute

    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=WEBHOOK_DELIVERIES.dlq_name)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({**message, "reason": "delivery window of 3 days used up"}),
                     MessageAttributes=kind_attribute(WEBHOOK_DELIVERIES))
