"""Stream and queue handlers of the booking lifecycle: transition effects (dispatch, withdrawing
offers, settlement, ...) as units of work, retried effect units, offer time-outs."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

from chalice import Blueprint

from chalicelib.handlers.batch import image, process_queue, process_stream
from chalicelib.lazy import lazy
from chalicelib.queues import OFFER_TIMEOUTS, send
from chalicelib.streams import stream_arn

bp = Blueprint(__name__)
log = logging.getLogger("crowdfix.events")
effects = lazy("chalicelib.services.effects")
bookings = lazy("chalicelib.services.bookings")
timers = lazy("chalicelib.services.timers")
booking_model = lazy("chalicelib.models.bookings")
offer_model = lazy("chalicelib.models.offers")


@bp.on_dynamodb_record(stream_arn=stream_arn("bookings"), batch_size=10, starting_position="TRIM_HORIZON")
def on_booking_change(event):
    """Run the effects of each committed transition, each as its own unit of work
    (``services/effects.py``): a failing effect is handed to the work queue, the others go on."""
    def handle(record):
        if record["eventName"] == "REMOVE":
            return
        booking = booking_model.Booking
        effects.run_effects(image(record, "NewImage", booking), image(record, "OldImage", booking))

    return process_stream("bookings", event, handle, guard=runs_units)


def runs_units(record: dict) -> bool:
    """Whether a bookings stream record runs any unit, so needs the redelivery guard: one that
    applied no transition with effects or clocks (a REMOVE, a write beside the state machine)
    does nothing when delivered again, and its claim's two writes would buy nothing."""
    if record["eventName"] == "REMOVE":
        return False
    booking = booking_model.Booking
    return bool(effects.units_of(image(record, "NewImage", booking), image(record, "OldImage", booking)))


@bp.on_dynamodb_record(stream_arn=stream_arn("offers"), batch_size=25, starting_position="TRIM_HORIZON")
def on_offer_change(event):
    """A new open offer starts its clock: a delayed message fires the time-out."""
    def handle(record):
        if record["eventName"] != "INSERT":
            return
        offer = image(record, "NewImage", offer_model.Offer)
        if offer["state"] != "open":
            return
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
    def handle(record):
        effects.run_unit(json.loads(record["body"]))

    # the effect functions are idempotent by their own conditions (the same contract as inline),
    # and a unit must be able to run again when ops replay it: no per-message guard
    return process_queue("effects", event, handle, guard=False)


def on_offer_timeout(event):
    """Offer time-outs (kind ``offer-timeouts`` on the work queue, routed by ``handlers/work.py``)."""
    def handle(record):
        msg = json.loads(record["body"])
        Offer = offer_model.Offer
        try:
            offer = Offer.get(msg["booking_id"], msg["helper_id"], consistent_read=True)
        except Offer.DoesNotExist:
            return
        left = (datetime.fromisoformat(offer.expires_at.replace("Z", "+00:00"))
                - datetime.now(timezone.utc)).total_seconds()
        if offer.state == "open" and left > 0:
            # SQS delays are capped at 15 minutes: wait again for longer expiries
            send(OFFER_TIMEOUTS, msg, delay_seconds=int(left) + 1)
            return
        bookings.expire_offer(msg["booking_id"], msg["helper_id"])

    return process_queue("offer-timeouts", event, handle)


def on_timer(event):
    """A clock of the booking state machine came due (kind ``timers``, ``services/timers.py``):
    its transition is applied if the booking still waits for it; a longer clock waits again."""
    def handle(record):
        timers.fire(json.loads(record["body"]))

    # re-running is safe: the timer re-reads the booking and applies its transition only in its state
    return process_queue("timers", event, handle, guard=False)
