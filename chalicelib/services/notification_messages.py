"""What was sent about a booking: the notifications log as the booking's messages."""
from __future__ import annotations

from chalicelib.domain.actors import Actor


def messages_for(actor: Actor, booking) -> list[dict]:
    """What was sent about a booking, oldest first. Customers and helpers see their own messages,
    ops see all of them (addresses are masked)."""
    from chalicelib.store.notification_log import notification_log

    rows = []
    for r in notification_log().for_scope(booking.booking_id):
        if actor.role != "ops" and not (r.recipient_role == actor.role and r.recipient_id == actor.id):
            continue
        rows.append({"at": r.sent_at or r.claimed_at or r.created_at, "event": r.event_type,
                     "to": r.recipient_role, "channel": r.channel, "status": r.status, "title": r.title,
                     "address": r.address, "language": r.language, "attempts": int(r.attempts or 0),
                     **({"error": r.error} if actor.role == "ops" and r.error else {})})
    rows.sort(key=lambda m: m["at"] or "")
    return rows


