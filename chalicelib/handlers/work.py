"""The work queue's one consumer: routes each record to its kind's handler.

Offer time-outs, notifications and partner webhook deliveries share one SQS queue (see
``chalicelib.queues``: one polled queue instead of three keeps the idle stack inside SQS's free
requests). Each kind keeps its own handler, guard and retry behaviour; this function only groups
the batch by the ``kind`` message attribute and joins the handlers' partial batch responses.
A record without a known kind is reported failed: SQS retries it and then parks it in the
dead-letter queue, where operations can see what sent it.
"""
from __future__ import annotations

import logging
from collections import defaultdict

from chalice import Blueprint

from chalicelib.handlers.batch import records_of
from chalicelib.handlers.events import on_effect_unit, on_offer_timeout
from chalicelib.handlers.notifications import on_notification
from chalicelib.handlers.partners import on_webhook_delivery
from chalicelib.queues import EFFECTS, NOTIFICATIONS, OFFER_TIMEOUTS, WEBHOOK_DELIVERIES, WORK, record_kind

bp = Blueprint(__name__)
log = logging.getLogger("crowdfix.work")


def _handlers() -> dict:
    return {OFFER_TIMEOUTS.short_name: on_offer_timeout, NOTIFICATIONS.short_name: on_notification,
            WEBHOOK_DELIVERIES.short_name: on_webhook_delivery, EFFECTS.short_name: on_effect_unit}


@bp.on_sqs_message(queue=WORK.name, batch_size=10)
def on_work(event):
    """One batch of the work queue: each kind's records go to that kind's handler, in order."""
    records = records_of(event)
    handlers = _handlers()
    groups: dict[str, list[dict]] = defaultdict(list)
    failures: list[dict] = []
    for record in records:
        kind = record_kind(record)
        if kind in handlers:
            groups[kind].append(record)
        else:
            log.error("work queue: message %s has no known kind (%r); it will be retried, then dead-lettered",
                      record.get("messageId"), kind)
            failures.append({"itemIdentifier": record["messageId"]})
    for kind, batch in groups.items():
        failures.extend(handlers[kind]({"Records": batch})["batchItemFailures"])
    return {"batchItemFailures": failures}
