"""Stream and queue handlers of the booking lifecycle: transition effects (dispatch, withdrawing
offers, settlement, ...) as units of work, retried effect units, offer time-outs."""
from __future__ import annotations

import json
import logging

from chalice import Blueprint

from chalicelib.handlers.batch import image, process_queue, process_stream
from chalicelib.queues import OFFER_TIMEOUTS
from chalicelib.streams import stream_arn

bp = Blueprint(__name__)
log = logging.getLogger("crowdfix.events")


@bp.on_dynamodb_record(stream_arn=stream_arn("bookings"), batch_size=10, starting_position="TRIM_HORIZON")
def on_booking_change(event):
    """Run the effects of each committed transition, each as its own unit of work
    (``services/effects.py``): a failing effect is handed to the work queue, the others go on."""
    from chalicelib.models.bookings import Booking
    from chalicelib.services.effects import run_effects

    def handle(record):
        if record["eventName"] == "REMOVE":
            return
        run_effects(image(record, "NewImage", Booking), image(record, "OldImage", Booking))

    return process_stream("bookings", event, handle)


@bp.on_dynamodb_record(stream_arn=stream_arn("offers"), batch_size=25, starting_position="TRIM_HORIZON")
def on_offer_change(event):
    """A new open offer starts its clock: a delayed message fires the time-out."""
    from chalicelib.models.offers import Offer
    from chalicelib.queues import send

    def handle(record):
        if record["eventName"] != "INSERT":
            return
        offer = image(record, "NewImage", Offer)
        if offer["state"] != "open":
            return
        from datetime import datetime, timezone
        expires = datetime.fromisoformat(offer["expires_at"].replace("Z", "+00:00"))
        delay = max(0, int((expires - datetime.now(timezone.utc)).total_seconds()) + 1)
        send(OFFER_TIMEOUTS, {"booking_id": offer["booking_id"], "helper_id": offer["helper_id"],
                              "round": offer.get("round")}, delay_seconds=delay)

    # replay-safe without the redelivery guard (a read and a write saved on every offer record): a
    # redelivered INSERT only sends another time-out message, and a time-out re-reads the offer and
    # expires it on the condition that it is still open
    return process_stream("offers", event, handle, guard=False)


def on_effect_unit(event):
    """Booking effects that failed inline (kind ``effects`` on the work queue, routed by
    ``handlers/work.py``): each message is one (booking, version, effect), retried on its own; the
    last failing delivery lands in the failure store."""
    from chalicelib.services.effects import run_unit

    def handle(record):
        run_unit(json.loads(record["body"]))

    # the effect functions are idempotent by their own conditions (the same contract as inline),
    # and a unit must be able to run again when ops replay it: no per-message guard
    return process_queue("effects", event, handle, guard=False)


def on_offer_timeout(event):
    """Offer time-outs (kind ``offer-timeouts`` on the work queue, routed by ``handlers/work.py``)."""
    from chalicelib.queues import send
    from chalicelib.services.bookings import expire_offer

    def handle(record):
        msg = json.loads(record["body"])
        from chalicelib.models.offers import Offer
        try:
            offer = Offer.get(msg["booking_id"], msg["helper_id"], consistent_read=True)
        except Offer.DoesNotExist:
            return
        from datetime import datetime, timezone
        left = (datetime.fromisoformat(offer.expires_at.replace("Z", "+00:00"))
                - datetime.now(timezone.utc)).total_seconds()
        if offer.state == "open" and left > 0:
            # SQS delays are capped at 15 minutes: wait again for longer expiries
            send(OFFER_TIMEOUTS, msg, delay_seconds=int(left) + 1)
            return
        expire_offer(msg["booking_id"], msg["helper_id"])

    return process_queue("offer-timeouts", event, handle)


def on_payment_timeout(event):
    """A card booking's payment window ran out (kind ``payment-timeouts``): cancel it if it still
    has no hold; a window longer than SQS's 15-minute delay waits again."""
    from chalicelib.services.bookings import expire_unpaid_booking

    def handle(record):
        expire_unpaid_booking(json.loads(record["body"])["booking_id"])

    # re-running is safe: the time-out re-reads the booking and only an awaiting one is cancelled
    return process_queue("payment-timeouts", event, handle, guard=False)
