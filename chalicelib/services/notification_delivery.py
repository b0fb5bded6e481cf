"""The notification consumer: ``deliver`` sends one queued notification event.

For each channel the routing table allows and the recipient can use, it claims
``(event, recipient, channel)`` in the notifications log with a conditional write, sends, and
records the outcome. A redelivered message finds the claim and sends nothing twice. A failed
channel is recorded ``failed`` and the message raises ``DeliveryFailed`` so the queue retries it
(with backoff, then the dead-letter queue); channels that already went out are not repeated.
"""
from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta

from chalicelib.domain import notification_texts as texts
from chalicelib.domain import notifications as routing
from chalicelib.domain.errors import NotFound
from chalicelib.domain.ids import now_iso
from chalicelib.store.bookings import bookings
from chalicelib.store.notification_log import notification_log
from chalicelib.store.records import NotificationLogRecord
from chalicelib.services.notification_channels import person as _person, targets as _targets
from chalicelib.services.notification_render import (context as _context, helper_card as _helper_card,
                                                      iso as _iso, needs as _needs, now as _now,
                                                      public_card as _public)

log = logging.getLogger(__name__)

STALE_CLAIM_SECONDS = 120


class DeliveryFailed(Exception):
    """At least one channel failed; the message must be retried."""


def retry_delay(receive_count: int) -> int:
    """Seconds before the next try: exponential from ``CROWDFIX_NOTIFY_RETRY_BASE_SECONDS`` (10),
    capped by ``CROWDFIX_NOTIFY_RETRY_MAX_SECONDS`` (900, SQS's limit is 12 h)."""
    base = int(os.environ.get("CROWDFIX_NOTIFY_RETRY_BASE_SECONDS", "10"))
    cap = int(os.environ.get("CROWDFIX_NOTIFY_RETRY_MAX_SECONDS", "900"))
    return max(0, min(cap, base * 2 ** max(0, receive_count - 1)))


def _booking_facts(msg: dict) -> dict:
    """For a customer's message about a booking: the booking's language and, once a helper is
    assigned, the helper's card (first name, rating) when the producer did not send them
    (e.g. the review request)."""
    data = msg.get("data") or {}
    if msg["recipient"]["role"] != "customer" or not msg.get("booking_id"):
        return {}
    wants_name = "helper_first_name" in _needs(msg) and not data.get("helper_first_name")
    if msg.get("language") and not wants_name:
        return {}
    booking = bookings().facts(msg["booking_id"])
    if booking is None:
        return {}
    facts: dict = {"language": booking.language}
    if booking.helper_id and wants_name:
        facts["helper"] = _public(_helper_card(booking.helper_id))
    return facts


def _log_key(msg: dict, target_key: str) -> tuple[str, str]:
    r = msg["recipient"]
    scope = msg.get("booking_id") or f"recipient#{r['role']}#{r['id']}"
    return scope, f"{msg['event_id']}|{r['role']}#{r['id']}|{target_key}"


def _claim(msg: dict, tenant_id: str, target: dict, lang: str, title: str, status: str = "sending",
           error: str | None = None) -> str | bool:
    """Claim (event, recipient, channel). The claim's token (its ``claimed_at``, for ``_finish``) if
    this caller may send now: nobody did yet, the last try failed, or a claim is stale (its sender
    died); False otherwise. ``status`` other than ``sending`` records a final outcome that needs no
    send (skipped, undeliverable)."""
    scope, key = _log_key(msg, target["key"])
    now = now_iso()
    row = NotificationLogRecord(
        scope=scope, key=key, tenant_id=tenant_id, event_id=msg["event_id"], event_type=msg["event_type"],
        recipient_role=msg["recipient"]["role"], recipient_id=msg["recipient"]["id"], channel=target["channel"],
        status=status, created_at=now, claimed_at=now, language=lang, title=title, address=target.get("masked"),
        error=None if status == "sending" else (error or status))
    stale = _iso(_now() - timedelta(seconds=STALE_CLAIM_SECONDS))
    return notification_log().claim(row, stale_before=stale) or False


def _finish(msg: dict, target: dict, status: str, token: str, provider_id: str | None = None,
            error: str | None = None) -> bool:
    """Record this attempt's outcome, only while its own claim (``token``) is the current one and
    still ``sending``: a late attempt (its claim went stale and another took over) never moves a
    final ``sent``/``gone`` back to ``failed`` (which would send again). False if it was too late."""
    scope, key = _log_key(msg, target["key"])
    if notification_log().finish(scope, key, token=token, status=status, at=now_iso() if status == "sent" else None,
                                 provider_id=provider_id, error=error):
        return True
    log.warning("notification %s: a later attempt decided %s; this attempt's %s is not recorded",
                msg["event_id"], target["key"], status)
    return False


def _send_email(target: dict, rendered: dict, tenant: dict) -> str:
    from chalicelib.adapters.email import send_email
    return send_email(target["to"], rendered["title"], rendered["text"], rendered["html"])


def _send_sms(target: dict, rendered: dict, tenant: dict) -> str:
    from chalicelib.adapters.sms import send_sms
    return send_sms(target["to"], rendered["sms"], sender_id=(tenant.get("name") or "crowdfix").replace(" ", ""))


def _send_push(target: dict, rendered: dict, tenant: dict) -> str:
    from chalicelib.adapters.webpush import send_push
    sub = target["sub"]
    payload = {**rendered["push"], "tag": rendered.get("tag"), "tenant": tenant.get("name")}
    return f"http-{send_push(sub.endpoint, sub.p256dh, sub.auth, payload)}"


# Channel senders; tests replace an entry to make a channel fail.
SENDERS = {routing.EMAIL: _send_email, routing.SMS: _send_sms, routing.PUSH: _send_push}


def _test_booking(msg: dict) -> bool:
    """A message about a sandbox booking (made with a test key) is recorded instead of sent."""
    if not msg.get("booking_id"):
        return False
    facts = bookings().facts(msg["booking_id"])
    return bool(facts and facts.sandbox == "test")


def deliver(msg: dict, now: datetime | None = None) -> list[dict]:
    """Send one notification event on every usable channel, once each. Returns what happened per
    channel. Raises ``DeliveryFailed`` if any channel failed (after recording it)."""
    from chalicelib.adapters.webpush import PushGone
    from chalicelib.services.tenants import get_tenant

    event_type, recipient = msg["event_type"], msg["recipient"]
    if event_type not in routing.ROUTES:
        raise ValueError(f"unknown notification event {event_type!r}")
    tenant_id = msg.get("tenant_id")
    if not tenant_id:
        booking = bookings().facts(msg["booking_id"])
        if booking is None:
            raise NotFound(f"booking {msg['booking_id']} was not found", field="booking_id")
        tenant_id = booking.tenant_id
    tenant_model = get_tenant(tenant_id)
    tenant = {"name": tenant_model.name,
              "branding": tenant_model.branding.as_dict() if tenant_model.branding else {}}
    person = _person(recipient)
    facts = _booking_facts(msg)
    if facts.get("helper"):
        msg = {**msg, "data": {**facts["helper"], **(msg.get("data") or {})}}
    # her own setting, else the message's, else the booking's language, else her account's
    lang = texts.pick_language(person["language"], msg.get("language"), facts.get("language"),
                               *person["languages"], tenant_model.locale)
    rendered = texts.render(event_type, recipient["role"], lang, _context(msg, lang, tenant["name"]), tenant)
    rendered["tag"] = f"{event_type}:{msg.get('booking_id') or ''}"
    targets = _targets(event_type, person)
    outcomes = []
    if not targets:
        _claim(msg, tenant_id, {"channel": "none", "key": "none"}, lang, rendered["title"],
               status="undeliverable", error="no usable channel for this recipient")
        return [{"channel": "none", "status": "undeliverable"}]
    quiet = (recipient["role"] == "helper" and not person["on_call"]
             and routing.in_quiet_hours(now or _now(), person["quiet_hours"]))
    failures = []
    for target in targets:
        if quiet and target["channel"] in routing.INTERRUPTING:
            _claim(msg, tenant_id, target, lang, rendered["title"], status="skipped", error="quiet hours")
            outcomes.append({"channel": target["channel"], "status": "skipped"})
            continue
        token = _claim(msg, tenant_id, target, lang, rendered["title"])
        if not token:
            outcomes.append({"channel": target["channel"], "status": "already-done"})
            continue
        if _test_booking(msg):  # sandbox: recorded in the delivery log, never sent (services/sandbox.py)
            _finish(msg, target, "recorded", token, error="test booking: recorded, not sent")
            outcomes.append({"channel": target["channel"], "status": "recorded"})
            continue
        try:
            provider_id = SENDERS[target["channel"]](target, rendered, tenant)
        except PushGone as exc:
            from chalicelib.store.push_subscriptions import push_subscriptions
            push_subscriptions().delete(target["sub"].owner, target["sub"].subscription_id)
            _finish(msg, target, "gone", token, error=str(exc))
            outcomes.append({"channel": target["channel"], "status": "gone"})
            continue
        except Exception as exc:
            log.warning("notification %s to %s via %s failed: %s", msg["event_id"], recipient["role"],
                        target["channel"], exc)
            if _finish(msg, target, "failed", token, error=f"{type(exc).__name__}: {exc}"):
                failures.append(target["channel"])  # retried; a late failure after a takeover is not
            outcomes.append({"channel": target["channel"], "status": "failed"})
            continue
        _finish(msg, target, "sent", token, provider_id=provider_id)
        outcomes.append({"channel": target["channel"], "status": "sent"})
    if failures:
        raise DeliveryFailed(f"{msg['event_id']}: {', '.join(failures)} failed")
    return outcomes


