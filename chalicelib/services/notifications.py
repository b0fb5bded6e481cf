"""Notifications, the producing side: each committed booking transition becomes notification
events (``domain.notifications.TRANSITION_EVENTS``), one queue message per recipient;
``enqueue_notification`` does the same for other capabilities (payout sent, review request).

The rest of the capability, one concern a module: ``notification_delivery`` (the queue consumer),
``notification_channels`` (who is reached how), ``notification_render`` (what a message says),
``notification_settings`` (preferences and push subscriptions), ``notification_messages`` (a
booking's sent messages).
"""
from __future__ import annotations

from chalicelib.domain import notifications as routing
from chalicelib.services.notification_render import helper_card as _helper_card, iso as _iso, now as _now, \
    public_card as _public


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


def _eta(booking: dict, card: dict) -> str:
    from chalicelib.domain.geo import haversine_km

    loc = booking.get("location") or {}
    km = None
    if booking.get("mode") == "onsite" and loc.get("lat") is not None and card.get("lat") is not None:
        km = haversine_km(float(loc["lat"]), float(loc["lon"]), card["lat"], card["lon"])
    return _iso(routing.expected_arrival(_now(), mode=booking.get("mode", "onsite"),
                                         wanted=booking.get("wanted"), distance_km=km))


def _ops_recipients(tenant_id: str) -> list[dict]:
    from chalicelib.store.people import people

    return [{"role": "ops", "id": s.email} for s in people().ops_for(tenant_id)]


def _card_held(booking_id: str) -> bool:
    """A card was authorised, so settlement will e-mail a receipt (``payment_receipt``)."""
    from chalicelib.store.payments import payments

    pay = payments().get(booking_id)
    if pay is None:
        return False
    return bool(pay.payment_intent_id) and pay.status in ("authorised", "captured", "partially_refunded", "refunded")


def _cancel_fee(booking: dict, entry: dict) -> dict | None:
    """What this cancellation costs her, by the rule the payment step applies
    (``services/payments.py::cancel_payment``): free until a helper is assigned; after that the
    tenant's late-cancel fee, at most what the card holds. None when no card is held."""
    from chalicelib.services.tenants import tenant_policy
    from chalicelib.store.payments import payments

    pay = payments().get(booking["booking_id"])
    if pay is None or not pay.payment_intent_id:
        return None
    authorised = int((pay.facts or {}).get("authorised") or 0)
    late = (entry.get("transition") == "cancel_by_customer" and booking.get("helper_id")
            and entry.get("from") in ("assigned", "en_route"))
    fee = min(int(tenant_policy(booking["tenant_id"])["late_cancel_fee_minor"]), authorised) if late else 0
    return {"amount": fee, "currency": pay.currency}


def _withdrawn_helpers(booking: dict) -> list[str]:
    from chalicelib.store.offers import offers

    current_round = int(booking.get("dispatch_round") or 0)
    return [o.helper_id for o in offers().for_booking(booking["booking_id"])
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
            from chalicelib.store.offers import offers
            for hid in entry.get("helpers") or []:
                offer = offers().get(booking["booking_id"], hid)
                if offer is None:
                    continue
                out.append((event_type, {"role": "helper", "id": hid}, {**base, "expires_at": offer.expires_at}))
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


