"""Payment links: how the customer of a card-billed partner pays (issue 17).

A partner books for its customer over the API; it cannot hold her card. The booking waits in
``awaiting_payment`` (offered to nobody) and the customer gets a link by e-mail (and SMS to a
verified phone), in her language and under the partner's name and colours. The link opens the
web app's ``/pay/{booking}`` screen; she enters her card there, the hold is made
(``payments.authorise_booking``, the same call as in the booking flow) and the booking goes
``hold_card`` → dispatched.

The link carries a signed token (role ``pay``, subject = the one booking, expiring with the
payment window) in its fragment, so it never reaches a server log; the page sends it back in
``X-Payment-Token``. It proves only "the customer of this booking, for paying it": no sign-in,
nothing else readable with it.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime, timezone

from chalicelib.domain import booking_states as bs
from chalicelib.domain import tokens
from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import Conflict, Forbidden, Unauthenticated
from chalicelib.credentials import get_secret
from chalicelib.settings import get_settings

log = logging.getLogger(__name__)
ROLE = "pay"


def _link_key() -> str:
    return hmac.new(get_secret("TOKEN_SECRET").encode(), b"crowdfix-payment-link-v1", hashlib.sha256).hexdigest()


def issue_payment_token(booking_id: str, tenant_id: str, ttl_seconds: int) -> str:
    return tokens.issue(_link_key(), role=ROLE, subject=booking_id, tenant=tenant_id, ttl_seconds=max(1, ttl_seconds))


def payer_from_token(token: str, booking_id: str) -> Actor:
    """The customer of ``booking_id`` as proven by the payment link's token."""
    from chalicelib.services.transitions import load_booking

    try:
        claims = tokens.verify(_link_key(), token)
    except Unauthenticated:
        raise Unauthenticated("this payment link is not valid or has expired; ask the shop where you booked for a "
                              "new booking", field="X-Payment-Token") from None
    if claims["role"] != ROLE or claims["sub"] != booking_id:
        raise Forbidden("this payment link is for another booking", field="X-Payment-Token")
    booking = load_booking(booking_id)
    if booking.tenant_id != claims["ten"]:
        raise Forbidden("this payment link is for another booking", field="X-Payment-Token")
    return Actor("customer", booking.customer_id, booking.tenant_id)


def payment_link(booking_id: str, token: str, tenant_id: str | None = None) -> str:
    """The link in her message. ``?tenant=`` makes the whole page the partner's (its mark, colours
    and hotline in the header and footer, as in its widget), not crowdfix's beside the partner's."""
    from chalicelib.domain import links
    return links.url(get_settings().public_base_url, "pay", booking_id=booking_id, fragment=f"token={token}",
                     query={"tenant": tenant_id} if tenant_id else None)


def _deadline(booking) -> datetime:
    """When the payment window of an awaiting-payment booking ends (its ``payment_window`` clock,
    started when the booking was made)."""
    from chalicelib.services.timers import deadline
    return deadline(bs.TIMERS["payment_window"], booking.created_at, booking.tenant_id)


def _seconds_left(booking) -> int:
    return int((_deadline(booking) - datetime.now(timezone.utc)).total_seconds())


def send_payment_link(booking: dict, entry: dict, old: dict | None) -> None:
    """Effect of ``request_with_card``: a partner's booking (the customer was not there to pay)
    gets its payment link by e-mail and SMS. The event id makes a replay send nothing twice.
    A customer's own booking is paid in the booking flow: nothing to send."""
    from chalicelib.services.notifications import enqueue_notification
    from chalicelib.services.transitions import load_booking

    if not booking.get("partner_id"):
        return
    current = load_booking(booking["booking_id"])
    if current.state != bs.AWAITING_PAYMENT:
        return
    left = _seconds_left(current)
    if left <= 0:
        return
    token = issue_payment_token(current.booking_id, current.tenant_id, left)
    cap = dict(current.price_cap or {})
    enqueue_notification("payment_link", current.booking_id, {"role": "customer", "id": current.customer_id},
                         {"pay_url": payment_link(current.booking_id, token, current.tenant_id), "amount": int(cap.get("amount") or 0),
                          "currency": cap.get("currency") or "", "minutes_left": max(1, left // 60),
                          "category": current.category},
                         tenant_id=current.tenant_id, language=current.language,
                         event_id=f"payment_link#{current.booking_id}")


def payment_page(actor: Actor, booking_id: str) -> dict:
    """What the payment screen shows: the booking in short, the amount held at most, until when,
    and the partner's name and branding (logo, colours, hotline)."""
    from chalicelib.services.bookings import get_booking_for
    from chalicelib.services.partners import tenant_view
    from chalicelib.services.tenants import get_tenant

    booking = get_booking_for(actor, booking_id)
    tenant = tenant_view(get_tenant(booking.tenant_id))
    cap = dict(booking.price_cap or {})
    deadline = None
    if booking.state == bs.AWAITING_PAYMENT:
        deadline = _deadline(booking).isoformat(timespec="seconds")
    return {"booking_id": booking.booking_id, "ref": booking.booking_id[-6:].upper(), "state": booking.state,
            "paid": booking.state not in (bs.AWAITING_PAYMENT, bs.CANCELLED, bs.UNMATCHED),
            "category": booking.category, "mode": booking.mode, "language": booking.language,
            "price_cap": {"amount": int(cap.get("amount") or 0), "currency": cap.get("currency") or tenant["currency"]},
            "pay_until": deadline, "test_mode": booking.sandbox == "test",
            "tenant": {"tenant_id": tenant["tenant_id"], "name": tenant["name"], "branding": tenant["branding"],
                       "hotline": (tenant.get("landing") or {}).get("hotline")}}


def pay(actor: Actor, booking_id: str, payment_method: str) -> dict:
    """Hold the card for the booking (the same hold as the booking flow's); the booking is then
    dispatched. Paying a booking that is already held answers the page as it is (no second hold)."""
    from chalicelib.services.payments import authorise_booking

    page = payment_page(actor, booking_id)
    if page["state"] in (bs.CANCELLED, bs.UNMATCHED, bs.COMPLETED):
        raise Conflict("this booking has ended; nothing was charged. Please book again with the shop",
                       extra={"state": page["state"], "code": "booking_ended_unpaid"})
    if page["state"] == bs.AWAITING_PAYMENT:
        authorise_booking(actor, booking_id, payment_method, use_saved=False)
    return payment_page(actor, booking_id)
