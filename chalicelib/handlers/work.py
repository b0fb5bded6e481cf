"""The work queue's one consumer: routes each record to its kind's handler.

Offer time-outs, notifications and partner webhook deliveries share one SQS queue (see
``chalicelib.queues``: one polled queue instead of three keeps the idle stack inside SQS's free
requests). Each kind keeps its own handler, guard and retry behaviour; this function only groups
the batch by the ``kind`` message attribute and joins the handlers' partial batch responses.
A record without a known kind is reported failed: SQS retries it and then parks it in the
dead-letter queue, where operations can see what sent it.
"""
from __future__ import annotations

import json
import logging
from collections import defaultdict

from chalice import Blueprint

from chalicelib.handlers.batch import context_of, out_of_time, process_queue, records_of, time_budget
from chalicelib.handlers.events import on_effect_unit, on_offer_timeout, on_timer
from chalicelib.handlers.notifications import on_notification
from chalicelib.handlers.partners import on_webhook_delivery
from chalicelib.lazy import lazy
from chalicelib.queues import (EFFECTS, HOLD_RENEWALS, NOTIFICATIONS, OFFER_TIMEOUTS, TIMERS,
                               WEBHOOK_DELIVERIES, WORK, record_kind)

bp = Blueprint(__name__)
log = logging.getLogger("crowdfix.work")
payments = lazy("chalicelib.services.payments")


def _handlers() -> dict:
    return {OFFER_TIMEOUTS.short_name: on_offer_timeout, NOTIFICATIONS.short_name: on_notification,
            WEBHOOK_DELIVERIES.short_name: on_webhook_delivery, EFFECTS.short_name: on_effect_unit,
            TIMERS.short_name: on_timer, HOLD_RENEWALS.short_name: on_hold_renewal}


def on_hold_renewal(event):
    """Card holds due for renewal (kind ``hold-renewals``, planned by the hourly schedule): each
    renewed at most once per hold and cycle (``services.payments.renew_hold`` claims it)."""
    return process_queue("hold-renewals", event, lambda record: payments.renew_hold(json.loads(record["body"])),
                         guard=False)


@bp.on_sqs_message(queue=WORK.name, batch_size=10)
def on_work(event):
    """One batch of the work queue: each kind's records go to that kind's handler, in order. Near
    the invocation's deadline the handlers stop taking records (``handlers.batch.time_budget``)."""
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
    with time_budget(context_of(event)):
        for kind, batch in groups.items():
            if out_of_time(None):  # nothing of this kind taken: hand it all back at once
                failures.extend({"itemIdentifier": r["messageId"]} for r in batch)
                continue
            failures.extend(handlers[kind]({"Records": batch})["batchItemFailures"])
    return {"batchItemFailures": failures}
