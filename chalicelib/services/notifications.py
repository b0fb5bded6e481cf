"""Notifications: producers only enqueue events; the queue consumer sends them.

- ``notify`` effect: each committed booking transition becomes notification events
  (``domain.notifications.TRANSITION_EVENTS``), one queue message per recipient.
- ``enqueue_notification``: the same for other capabilities (payout sent, review request).
- ``deliver``: the consumer. For each channel the routing table allows and the recipient can use,
  it claims ``(event, recipient, channel)`` in the notifications log with a conditional write,
  sends, and records the outcome. A redelivered message finds the claim and sends nothing twice.
  A failed channel is recorded ``failed`` and the message raises ``DeliveryFailed`` so the queue
  retries it (with backoff, then the dead-letter queue); channels that already went out are not
  repeated.
"""
from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from chalicelib.store.conditions import is_condition_failure
from chalicelib.domain import links
from chalicelib.domain import notification_texts as texts
from chalicelib.domain import notifications as routing
from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import NotFound, ValidationFailed

log = logging.getLogger(__name__)

STALE_CLAIM_SECONDS = 120
DISPLAY_TZ = "Europe/Zurich"
REMOTE_AREA = {"de": "Fernhilfe", "en": "remote help", "fr": "aide à distance", "it": "aiuto a distanza"}


class DeliveryFailed(Exception):
    """At least one channel failed; the message must be retried."""


# ---------------------------------------------------------------------------------------------
# producing

def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def enqueue_notification(event_type: str, booking_id: str | None, recipient: dict, data: dict | None = None,
                         *, tenant_id: str | None = None, language: str | None = None,
                         event_id: str | None = None) -> dict:
    """Put one notification event on the queue; the consumer sends it.

    ``recipient`` is ``{"role": "customer"|"helper"|"ops", "id": ...}`` (ops: the staff e-mail).
    ``event_id`` makes it idempotent: the same id to the same recipient is sent once per channel
    (default: event type + booking + recipient, i.e. once per booking). ``tenant_id`` is needed
    when there is no booking. Returns the message.
    """
    from chalicelib.queues import NOTIFICATIONS, send

    role, rid = recipient.get("role"), recipient.get("id")
    if event_type not in routing.ROUTES:
        raise ValueError(f"unknown notification event {event_type!r}")
    if role not in routing.ROUTES[event_type] or not rid:
        raise ValueError(f"{event_type} does not notify a {role!r}")
    if not booking_id and not tenant_id:
        raise ValueError("a notification without a booking needs tenant_id")
    msg = {"v": 1, "event_type": event_type,
           "event_id": event_id or f"{event_type}#{booking_id or '-'}#{role}#{rid}",
           "booking_id": booking_id, "tenant_id": tenant_id, "recipient": {"role": role, "id": rid},
           "language": language, "data": data or {}, "created_at": _iso(_now())}
    send(NOTIFICATIONS, msg)
    return msg


def _area(booking: dict) -> str | None:
    loc = booking.get("location") or {}
    area = " ".join(str(x) for x in (loc.get("postcode"), loc.get("city")) if x)
    return area if booking.get("mode") == "onsite" and area else None


def _base(booking: dict) -> dict:
    return {"ref": booking["booking_id"][-6:].upper(), "category": booking.get("category"),
            "area": _area(booking), "booking_id": booking["booking_id"]}


def _helper_card(helper_id: str) -> dict:
    from chalicelib.models.helpers import Helper

    try:
        h = Helper.get(helper_id)
    except Helper.DoesNotExist:
        return {"helper_id": helper_id}
    count = int(h.rating_count or 0)
    return {"helper_id": helper_id, "helper_first_name": h.first_name, "photo_url": h.photo_url,
            "rating_avg": round(float(h.rating_sum) / count, 1) if count else None, "rating_count": count,
            "lat": float(h.lat), "lon": float(h.lon)}


def _eta(booking: dict, card: dict) -> str:
    from chalicelib.domain.geo import haversine_km

    loc = booking.get("location") or {}
    km = None
    if booking.get("mode") == "onsite" and loc.get("lat") is not None and card.get("lat") is not None:
        km = haversine_km(float(loc["lat"]), float(loc["lon"]), card["lat"], card["lon"])
    return _iso(routing.expected_arrival(_now(), mode=booking.get("mode", "onsite"),
                                         wanted=booking.get("wanted"), distance_km=km))


def _public(card: dict) -> dict:
    return {k: v for k, v in card.items() if k not in ("lat", "lon")}


def _ops_recipients(tenant_id: str) -> list[dict]:
    from chalicelib.models.staff import Staff

    # the staff table is small (tens of rows): a filtered scan is fine here
    return [{"role": "ops", "id": s.email} for s in Staff.scan()
            if s.role == "ops" and s.tenant_id in ("*", tenant_id)]


def _card_held(booking_id: str) -> bool:
    """A card was authorised, so settlement will e-mail a receipt (``payment_receipt``)."""
    from chalicelib.models.payments import Payment

    try:
        pay = Payment.get(booking_id, consistent_read=True)
    except Payment.DoesNotExist:
        return False
    return bool(pay.payment_intent_id) and pay.status in ("authorised", "captured", "partially_refunded", "refunded")


def _cancel_fee(booking: dict, entry: dict) -> dict | None:
    """What this cancellation costs her, by the rule the payment step applies
    (``services/payments.py::cancel_payment``): free until a helper is assigned; after that the
    tenant's late-cancel fee, at most what the card holds. None when no card is held."""
    from chalicelib.models.payments import Payment
    from chalicelib.services.tenants import tenant_policy

    try:
        pay = Payment.get(booking["booking_id"], consistent_read=True)
    except Payment.DoesNotExist:
        return None
    if not pay.payment_intent_id:
        return None
    authorised = int((pay.facts.as_dict() if pay.facts else {}).get("authorised") or 0)
    late = (entry.get("transition") == "cancel_by_customer" and booking.get("helper_id")
            and entry.get("from") in ("assigned", "en_route"))
    fee = min(int(tenant_policy(booking["tenant_id"])["late_cancel_fee_minor"]), authorised) if late else 0
    return {"amount": fee, "currency": pay.currency}


def _withdrawn_helpers(booking: dict) -> list[str]:
    from chalicelib.models.offers import Offer

    current_round = int(booking.get("dispatch_round") or 0)
    return [o.helper_id for o in Offer.query(booking["booking_id"], consistent_read=True)
            if o.state == "withdrawn" and int(o.round or 0) == current_round]


def events_for_transition(booking: dict, entry: dict, old: dict | None) -> list[tuple[str, dict, dict]]:
    """``(event_type, recipient, data)`` for one committed transition (see TRANSITION_EVENTS)."""
    customer = {"role": "customer", "id": booking["customer_id"]}
    base = _base(booking)
    out: list[tuple[str, dict, dict]] = []
    for event_type in routing.TRANSITION_EVENTS.get(entry.get("transition"), ()):
        if event_type in ("booking_received", "payment_not_held"):
            out.append((event_type, customer, base))
        elif event_type == "offer":
            from chalicelib.models.offers import Offer
            for hid in entry.get("helpers") or []:
                try:
                    expires = Offer.get(booking["booking_id"], hid, consistent_read=True).expires_at
                except Offer.DoesNotExist:
                    continue
                out.append((event_type, {"role": "helper", "id": hid}, {**base, "expires_at": expires}))
        elif event_type == "offer_withdrawn":
            for hid in _withdrawn_helpers(booking):
                out.append((event_type, {"role": "helper", "id": hid}, base))
        elif event_type in ("helper_assigned", "helper_on_the_way"):
            card = _helper_card(booking["helper_id"])
            out.append((event_type, customer, {**base, **_public(card), "arrival": _eta(booking, card)}))
        elif event_type == "booking_completed":
            card = _helper_card(booking["helper_id"]) if booking.get("helper_id") else {}
            out.append((event_type, customer, {
                **base, **_public(card), "minutes_worked": booking.get("minutes_worked"),
                "line_items": booking.get("line_items") or [], "price_cap": booking.get("price_cap"),
                "receipt_follows": _card_held(booking["booking_id"])}))
        elif event_type == "no_helper_found":
            out.append((event_type, customer, base))
            data = {**base, "rounds": entry.get("rounds") or booking.get("dispatch_round")}
            out.extend((event_type, r, data) for r in _ops_recipients(booking["tenant_id"]))
        elif event_type in ("cancelled_by_customer", "cancelled_by_ops"):
            data = {**base, "reason": entry.get("reason")}
            fee = _cancel_fee(booking, entry)
            out.append((event_type, customer, {**data, **({"cancel_fee": fee} if fee else {})}))
            helper_id = booking.get("helper_id") or (old or {}).get("helper_id")
            if helper_id and (old or {}).get("state") in ("assigned", "en_route", "started"):
                out.append((event_type, {"role": "helper", "id": helper_id}, data))
        elif event_type == "cancelled_by_helper":
            card = _helper_card(entry["helper_id"]) if entry.get("helper_id") else {}
            out.append((event_type, customer, {**base, **_public(card)}))
    return out


def notify_transition(booking: dict, entry: dict, old: dict | None) -> None:
    """Turn a committed transition into queued notification events (idempotent: the event id is
    the booking version, so a redelivered stream record is deduplicated by the consumer)."""
    for event_type, recipient, data in events_for_transition(booking, entry, old):
        enqueue_notification(event_type, booking["booking_id"], recipient, data, tenant_id=booking["tenant_id"],
                             language=booking.get("language") if recipient["role"] == "customer" else None,
                             event_id=f"{booking['booking_id']}#v{entry.get('v')}#{event_type}")


# ---------------------------------------------------------------------------------------------
# consuming

def retry_delay(receive_count: int) -> int:
    """Seconds before the next try: exponential from ``CROWDFIX_NOTIFY_RETRY_BASE_SECONDS`` (10),
    capped by ``CROWDFIX_NOTIFY_RETRY_MAX_SECONDS`` (900, SQS's limit is 12 h)."""
    base = int(os.environ.get("CROWDFIX_NOTIFY_RETRY_BASE_SECONDS", "10"))
    cap = int(os.environ.get("CROWDFIX_NOTIFY_RETRY_MAX_SECONDS", "900"))
    return max(0, min(cap, base * 2 ** max(0, receive_count - 1)))


def _prefs(role: str, rid: str):
    from chalicelib.models.notification_prefs import NotificationPrefs

    try:
        return NotificationPrefs.get(f"{role}#{rid}")
    except NotificationPrefs.DoesNotExist:
        return None


def _person(recipient: dict) -> dict:
    """Where and how to reach a recipient right now (addresses are read at send time)."""
    role, rid = recipient["role"], recipient["id"]
    prefs = _prefs(role, rid)
    person = {"role": role, "id": rid, "email": None, "phone": None, "languages": [], "on_call": False,
              "email_on": prefs.email if prefs else True, "sms_on": bool(prefs and prefs.sms),
              "language": prefs.language if prefs else None,
              "quiet_hours": prefs.quiet_hours.as_dict() if prefs and prefs.quiet_hours else None}
    if role == "customer":
        from chalicelib.models.customers import Customer
        try:
            c = Customer.get(rid)
            person.update(email=c.email, phone=c.phone, languages=[c.language])
        except Customer.DoesNotExist:
            pass
    elif role == "helper":
        from chalicelib.models.helpers import Helper
        try:
            h = Helper.get(rid)
            person.update(email=h.email, phone=h.phone, languages=list(h.languages or []), on_call=bool(h.on_call))
        except Helper.DoesNotExist:
            pass
    elif role == "ops":
        person.update(email=rid)
    if prefs and prefs.phone:
        person["phone"] = prefs.phone
    return person


def _subscriptions(role: str, rid: str) -> list:
    from chalicelib.models.push_subscriptions import PushSubscription

    return list(PushSubscription.query(f"{role}#{rid}"))


def _targets(event_type: str, person: dict) -> list[dict]:
    targets = []
    for channel in routing.channels_for(event_type, person["role"]):
        if channel == routing.EMAIL and person["email"] and person["email_on"]:
            targets.append({"channel": channel, "key": channel, "to": person["email"],
                            "masked": _mask_email(person["email"])})
        elif channel == routing.SMS and person["sms_on"] and person["phone"] and _phone_verified(person):
            targets.append({"channel": channel, "key": channel, "to": person["phone"],
                            "masked": _mask_phone(person["phone"])})
        elif channel == routing.PUSH:
            for sub in _subscriptions(person["role"], person["id"]):
                targets.append({"channel": channel, "key": f"push#{sub.subscription_id}", "sub": sub,
                                "masked": sub.device or _host(sub.endpoint)})
    return targets


def _phone_verified(person: dict) -> bool:
    """SMS only to the number this person confirmed with a texted code (issue 16)."""
    from chalicelib.services.auth import verified_phone

    verified = verified_phone(person["role"], person["id"])
    return bool(verified) and verified == (person["phone"] or "").replace(" ", "")


def _mask_email(email: str) -> str:
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


def _mask_phone(phone: str) -> str:
    digits = phone.replace(" ", "")
    return f"{digits[:3]}***{digits[-2:]}"


def _host(url: str) -> str:
    from urllib.parse import urlsplit
    return urlsplit(url).hostname or "browser"


def _local_time(iso: str | None, lang: str) -> str:
    if not iso:
        return ""
    dt = datetime.fromisoformat(str(iso).replace("Z", "+00:00")).astimezone(ZoneInfo(DISPLAY_TZ))
    today = _now().astimezone(ZoneInfo(DISPLAY_TZ)).date()
    return dt.strftime("%H:%M") if dt.date() == today else dt.strftime("%d.%m.%Y %H:%M")


def _receipt(data: dict, lang: str) -> str:
    r = texts.RECEIPT[lang]
    lines = []
    if data.get("minutes_worked") is not None:
        lines.append(r["minutes"].format(minutes=int(data["minutes_worked"])))
    items = [i for i in data.get("line_items") or [] if isinstance(i, dict)]
    if items:
        lines.append(r["items"])
        total, currency = 0, None
        for i in items:
            amount, currency = int(i.get("amount", 0)), i.get("currency") or currency
            total += amount
            lines.append(f"- {i.get('label') or i.get('description') or i.get('kind') or ''}: "
                         f"{routing.format_money(amount, currency or '')}")
        lines.append(f"{r['total']}: {routing.format_money(total, currency or '')}")
    else:
        cap = data.get("price_cap") or {}
        if cap.get("amount") is not None:
            lines.append(r["cap"].format(cap=routing.format_money(cap["amount"], cap.get("currency", ""))))
        if data.get("receipt_follows"):
            lines.append(r["pending"])
    return "\n".join(lines)


def _final_receipt(data: dict, lang: str) -> str:
    """The settled bill: each final line item, the total charged (currency included) and what the
    card hold released."""
    r = texts.RECEIPT[lang]
    currency = data.get("currency") or ""
    lines = [r["items"]]
    for i in data.get("line_items") or []:
        label = r["codes"].get(i.get("code"), i.get("description") or "")
        if i.get("code") == "time":
            unit = routing.format_money(int(i.get("unit_amount", 0)), i.get("currency") or currency)
            label = f"{label} ({int(i.get('quantity', 0))} x {unit})"
        elif i.get("code") == "part" and i.get("description"):
            label = f"{label}: {i['description']}"
        lines.append(f"- {label}: {routing.format_money(int(i.get('amount', 0)), i.get('currency') or currency)}")
    lines.append(f"{r['charged']}: {routing.format_money(int(data.get('total', 0)), currency)}")
    if int(data.get("released") or 0) > 0:
        lines.append(r["released"].format(released=routing.format_money(int(data["released"]), currency)))
    return "\n".join(lines)


def _context(msg: dict, lang: str, tenant_name: str) -> dict:
    from chalicelib.settings import get_settings

    data = dict(msg.get("data") or {})
    base = get_settings().public_base_url.rstrip("/")
    bid = msg.get("booking_id")
    ctx = {k: v for k, v in data.items() if isinstance(v, (str, int, float)) and v is not None}
    ctx["category"] = texts.category_label(data.get("category") or "other", lang)
    ctx["area"] = data.get("area") or REMOTE_AREA[lang]
    ctx["ref"] = data.get("ref") or (bid[-6:].upper() if bid else "")
    if data.get("arrival"):
        ctx["arrival"] = _local_time(data["arrival"], lang)
    if data.get("expires_at"):
        ctx["expires"] = _local_time(data["expires_at"], lang)
    if "rating_count" in data or "rating_avg" in data:
        ctx["rating"] = (texts.RATING[lang]["rated"].format(avg=texts.decimal(data["rating_avg"], lang),
                                                            count=data["rating_count"])
                         if data.get("rating_avg") is not None else
                         texts.RATING[lang]["new"].format(tenant=tenant_name))
    if data.get("photo_url"):
        ctx["photo"] = texts.PHOTO[lang].format(photo_url=data["photo_url"])
    if data.get("amount") is not None:
        ctx["amount"] = routing.format_money(int(data["amount"]), data.get("currency", ""))
    if msg["event_type"] == "booking_completed":
        ctx["receipt"] = _receipt(data, lang)
    elif msg["event_type"] == "payment_receipt":
        ctx["receipt"] = _final_receipt(data, lang)
    if isinstance(data.get("cancel_fee"), dict) and msg["recipient"]["role"] == "customer":
        fee = data["cancel_fee"]
        ctx["fee_note"] = (texts.CANCEL_FEE[lang]["fee"].format(fee=routing.format_money(int(fee["amount"]), fee.get("currency", "")))
                           if int(fee.get("amount") or 0) > 0 else texts.CANCEL_FEE[lang]["free"])
    for key in ("new_limit", "from_limit"):
        if data.get(key) is not None:
            ctx[key] = routing.format_money(int(data[key]), data.get("currency", ""))
    if bid:
        # every link is a screen of the web app's route table (domain/app_routes.json)
        ctx["url"] = links.url(base, "booking", booking_id=bid)
        ctx["accept_url"] = links.url(base, "helper_offer", booking_id=bid)
        token = _review_token(data.get("review_url"))
        ctx["review_url"] = links.url(base, "review", booking_id=bid, fragment=f"token={token}" if token else None)
    if msg["event_type"] == "offer":
        ctx["url"] = ctx.get("accept_url")
    if msg["event_type"] == "payment_link" and bid and str(data.get("pay_url", "")).startswith(
            links.url(base, "pay", booking_id=bid) + "#"):
        ctx["url"] = data["pay_url"]  # the button and the SMS open the payment screen with its token
    return ctx


def _review_token(review_url: str | None) -> str | None:
    """The signed token of a review link (it travels in the fragment, ``#token=...``)."""
    from urllib.parse import parse_qs, urlsplit

    if not review_url:
        return None
    values = parse_qs(urlsplit(str(review_url)).fragment).get("token") or []
    return values[0] if values else None


def _booking_facts(msg: dict) -> dict:
    """For a customer's message about a booking: the booking's language and, once a helper is
    assigned, the helper's card (first name, rating) when the producer did not send them
    (e.g. the review request)."""
    from chalicelib.services.transitions import load_booking

    data = msg.get("data") or {}
    if msg["recipient"]["role"] != "customer" or not msg.get("booking_id"):
        return {}
    wants_name = "helper_first_name" in _needs(msg) and not data.get("helper_first_name")
    if msg.get("language") and not wants_name:
        return {}
    try:
        booking = load_booking(msg["booking_id"], consistent=False)
    except NotFound:
        return {}
    facts: dict = {"language": booking.language}
    if booking.helper_id and wants_name:
        facts["helper"] = _public(_helper_card(booking.helper_id))
    return facts


def _needs(msg: dict) -> set[str]:
    """The fields the message's texts use (the ``{name}`` fields of its texts in any language)."""
    import string as _string

    by_role = texts.TEXTS.get(f"{msg['event_type']}:{msg['recipient']['role']}") or texts.TEXTS.get(msg["event_type"], {})
    return {f for t in by_role.values() for part in t.values()
            for _, f, _, _ in _string.Formatter().parse(part) if f}


def _log_key(msg: dict, target_key: str) -> tuple[str, str]:
    r = msg["recipient"]
    scope = msg.get("booking_id") or f"recipient#{r['role']}#{r['id']}"
    return scope, f"{msg['event_id']}|{r['role']}#{r['id']}|{target_key}"


def _claim(msg: dict, tenant_id: str, target: dict, lang: str, title: str, status: str = "sending",
           error: str | None = None) -> bool:
    """Claim (event, recipient, channel). The claim's token (its ``claimed_at``, for ``_finish``) if
    this caller may send now: nobody did yet, the last try failed, or a claim is stale (its sender
    died); False otherwise. ``status`` other than ``sending`` records a final outcome that needs no
    send (skipped, undeliverable)."""
    from pynamodb.exceptions import UpdateError

    from chalicelib.models.base import now_iso
    from chalicelib.models.notification_log import RETENTION, NotificationLog as L

    scope, key = _log_key(msg, target["key"])
    now = now_iso()
    stale = _iso(_now() - timedelta(seconds=STALE_CLAIM_SECONDS))
    item = L(scope, key)
    actions = [L.tenant_id.set(tenant_id), L.event_id.set(msg["event_id"]), L.event_type.set(msg["event_type"]),
               L.recipient_role.set(msg["recipient"]["role"]), L.recipient_id.set(msg["recipient"]["id"]),
               L.channel.set(target["channel"]), L.language.set(lang), L.title.set(title[:200]),
               L.status.set(status), L.created_at.set(L.created_at | now), L.claimed_at.set(now),
               L.ttl.set(RETENTION)]
    if target.get("masked"):
        actions.append(L.address.set(target["masked"]))
    if status == "sending":
        actions.append(L.attempts.add(1))
        condition = L.key.does_not_exist() | (L.status == "failed") | ((L.status == "sending") & (L.claimed_at < stale))
    else:
        actions.append(L.error.set(error or status))
        condition = L.key.does_not_exist()
    try:
        item.update(actions=actions, condition=condition)
        return now
    except UpdateError as exc:
        if is_condition_failure(exc):
            return False
        raise


def _finish(msg: dict, target: dict, status: str, token: str, provider_id: str | None = None,
            error: str | None = None) -> bool:
    """Record this attempt's outcome, only while its own claim (``token``) is the current one and
    still ``sending``: a late attempt (its claim went stale and another took over) never moves a
    final ``sent``/``gone`` back to ``failed`` (which would send again). False if it was too late."""
    from pynamodb.exceptions import UpdateError

    from chalicelib.models.base import now_iso
    from chalicelib.models.notification_log import NotificationLog as L

    scope, key = _log_key(msg, target["key"])
    actions = [L.status.set(status)]
    if status == "sent":
        actions += [L.sent_at.set(now_iso()), L.error.remove()]
    if provider_id:
        actions.append(L.provider_id.set(str(provider_id)[:200]))
    if error:
        actions.append(L.error.set(error[:500]))
    try:
        L(scope, key).update(actions=actions, condition=(L.status == "sending") & (L.claimed_at == token))
        return True
    except UpdateError as exc:
        if not is_condition_failure(exc):
            raise
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
        from chalicelib.services.transitions import load_booking
        tenant_id = load_booking(msg["booking_id"]).tenant_id
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
        try:
            provider_id = SENDERS[target["channel"]](target, rendered, tenant)
        except PushGone as exc:
            target["sub"].delete()
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


# ---------------------------------------------------------------------------------------------
# reading: the booking's messages

def messages_for(actor: Actor, booking) -> list[dict]:
    """What was sent about a booking, oldest first. Customers and helpers see their own messages,
    ops see all of them (addresses are masked)."""
    from chalicelib.models.notification_log import NotificationLog

    rows = []
    for r in NotificationLog.query(booking.booking_id):
        if actor.role != "ops" and not (r.recipient_role == actor.role and r.recipient_id == actor.id):
            continue
        rows.append({"at": r.sent_at or r.claimed_at or r.created_at, "event": r.event_type,
                     "to": r.recipient_role, "channel": r.channel, "status": r.status, "title": r.title,
                     "address": r.address, "language": r.language, "attempts": int(r.attempts or 0),
                     **({"error": r.error} if actor.role == "ops" and r.error else {})})
    rows.sort(key=lambda m: m["at"] or "")
    return rows


# ---------------------------------------------------------------------------------------------
# preferences and push subscriptions of the signed-in person

def get_prefs(actor: Actor) -> dict:
    p = _prefs(actor.role, actor.id)
    quiet = (p.quiet_hours.as_dict() if p and p.quiet_hours else None)
    from chalicelib.services.auth import verified_phone

    verified = verified_phone(actor.role, actor.id)
    return {"email": p.email if p else True, "sms": bool(p and p.sms), "phone": p.phone if p else None,
            "phone_verified": bool(p and p.phone and verified == p.phone),
            "language": p.language if p else None,
            **({"quiet_hours": quiet or dict(routing.DEFAULT_QUIET_HOURS)} if actor.role == "helper" else {})}


def save_prefs(actor: Actor, body) -> dict:
    from chalicelib.models.base import now_iso
    from chalicelib.models.notification_prefs import NotificationPrefs

    if body.sms and not body.phone:
        person = _person({"role": actor.role, "id": actor.id})
        if not person["phone"]:
            raise ValidationFailed("give a mobile number to get text messages", field="phone")
    if body.quiet_hours is not None and actor.role != "helper":
        raise ValidationFailed("quiet hours are for helpers", field="quiet_hours")
    NotificationPrefs(owner=f"{actor.role}#{actor.id}", tenant_id=actor.tenant_id, email=body.email, sms=body.sms,
                      phone=body.phone, language=body.language,
                      quiet_hours=body.quiet_hours.model_dump() if body.quiet_hours else None,
                      updated_at=now_iso()).save()
    return get_prefs(actor)


def _subscription_id(endpoint: str) -> str:
    import hashlib
    return "ps_" + hashlib.sha256(endpoint.encode()).hexdigest()[:24]


def register_subscription(actor: Actor, body) -> tuple[dict, bool]:
    """Store this browser's push subscription (one per device/endpoint). Returns (view, created)."""
    from chalicelib.models.base import now_iso
    from chalicelib.models.push_subscriptions import PushSubscription

    sid = _subscription_id(body.endpoint)
    owner = f"{actor.role}#{actor.id}"
    created = True
    try:
        PushSubscription.get(owner, sid)
        created = False
    except PushSubscription.DoesNotExist:
        pass
    sub = PushSubscription(owner=owner, subscription_id=sid, tenant_id=actor.tenant_id, endpoint=body.endpoint,
                           p256dh=body.keys.p256dh, auth=body.keys.auth, device=body.device, created_at=now_iso())
    sub.save()
    return subscription_view(sub), created


def subscription_view(sub) -> dict:
    return {"subscription_id": sub.subscription_id, "device": sub.device, "push_service": _host(sub.endpoint),
            "created_at": sub.created_at}


def list_subscriptions(actor: Actor) -> list[dict]:
    return [subscription_view(s) for s in _subscriptions(actor.role, actor.id)]


def delete_subscription(actor: Actor, subscription_id: str) -> None:
    from chalicelib.models.push_subscriptions import PushSubscription

    try:
        PushSubscription.get(f"{actor.role}#{actor.id}", subscription_id).delete()
    except PushSubscription.DoesNotExist:
        raise NotFound("this push subscription was not found", field="subscription_id") from None
