"""The failure store: units of work that used up their retries, visible to ops and replayable.

A work-queue record (a booking effect handed over by the bookings stream, a notification, a
webhook delivery, an offer time-out) that fails on its last delivery is written here by
``handlers.batch.process_queue`` instead of vanishing into a dead-letter queue: what failed (kind,
effect, booking), why (the error, short), how often, and the exact message that replays it. A
metric ``UnitsFailed`` (EMF) raises the alarm in AWS. Ops list open failures and replay one
(``POST /v1/ops/failures/{id}/replay``; locally ``python -m localdev failures``): the message goes
back on the work queue; the unit is idempotent, so a replay of something that meanwhile succeeded
changes nothing.
"""
from __future__ import annotations

import json
import logging

from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.domain.ids import now_iso
from chalicelib.store.failures import failures as failures_store
from chalicelib.store.conditions import AlreadyExists, ConditionFailed
from chalicelib.store.records import FailureRecord

log = logging.getLogger(__name__)
STATUSES = ("open", "replayed", "resolved")


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def unit_of(kind: str, message: dict, message_id: str) -> str:
    """The unit a work message is: one booking effect, or the message itself."""
    if kind == "effects" and message.get("booking_id"):
        from chalicelib.domain.booking_states import effect_unit_key
        return effect_unit_key(message["booking_id"], message.get("v"), message.get("effect"))
    return f"work#{kind}#{message_id}"


def failure_id_for(unit: str) -> str:
    import hashlib
    return "f_" + hashlib.sha256(unit.encode()).hexdigest()[:24]


def record_failure(kind: str, body: str, message_id: str, exc: BaseException, attempts: int) -> str:
    """Write (or update) the failure of one work message. Returns the failure id."""
    try:
        message = json.loads(body)
    except ValueError:
        message = {}
    if not isinstance(message, dict):
        message = {}
    unit = unit_of(kind, message, message_id)
    fid = failure_id_for(unit)
    now = now_iso()
    failure = FailureRecord(failure_id=fid, unit=unit, kind=kind, name=message.get("effect") or kind,
                            booking_id=message.get("booking_id"), tenant_id=message.get("tenant_id"),
                            status="open", error=_short(exc), attempts=attempts, first_failed_at=now,
                            last_failed_at=now, payload=body, replays=0, version=1)
    try:
        failures_store().add(failure)
    except AlreadyExists:
        # failed again after a replay: open again, with the newest error
        failures_store().failed_again(fid, error=_short(exc), at=now, attempts=attempts, payload=body)
    _metric(kind, message.get("effect"))
    log.error("unit %s failed %d time(s) and is in the failure store as %s: %s", unit, attempts, fid, _short(exc))
    return fid


def _metric(kind: str, effect: str | None) -> None:
    """``UnitsFailed`` (EMF through Powertools): the alarm on the failure store watches it."""
    from chalicelib import obs

    obs.metric("UnitsFailed", 1, kind=kind, effect=effect or kind)


def _require_ops(actor: Actor) -> None:
    if actor.role != "ops":
        raise Forbidden("only operations can see and replay failed work")


def view(f) -> dict:
    return {"failure_id": f.failure_id, "unit": f.unit, "kind": f.kind, "name": f.name, "booking_id": f.booking_id,
            "tenant_id": f.tenant_id, "status": f.status, "error": f.error, "attempts": int(f.attempts or 0),
            "first_failed_at": f.first_failed_at, "last_failed_at": f.last_failed_at,
            "replays": int(f.replays or 0), "replayed_at": f.replayed_at, "replayed_by": f.replayed_by}


def list_failures(actor: Actor | None, status: str = "open", limit: int = 50) -> list[FailureRecord]:
    if actor is not None:
        _require_ops(actor)
    if status not in STATUSES:
        raise ValidationFailed(f"status must be one of {', '.join(STATUSES)}", field="status")
    rows = failures_store().listed(status, limit)
    if actor is not None and actor.tenant_id != "*":
        rows = [r for r in rows if r.tenant_id in (None, actor.tenant_id)]
    return rows


def get_failure(actor: Actor | None, failure_id: str) -> FailureRecord:
    if actor is not None:
        _require_ops(actor)
    f = failures_store().get(failure_id)
    if f is None:
        raise NotFound(f"failure {failure_id} was not found", field="failure_id")
    if actor is not None and actor.tenant_id != "*" and f.tenant_id not in (None, actor.tenant_id):
        raise NotFound(f"failure {failure_id} was not found", field="failure_id")
    return f


def replay(actor: Actor | None, failure_id: str) -> FailureRecord:
    """Send the failed message to the work queue again; the record says who replayed it when."""
    from chalicelib.aws import client
    from chalicelib.queues import ALL_KINDS, WORK, queue_url

    f = get_failure(actor, failure_id)
    if f.status != "open":
        raise Conflict(f"this failure is {f.status}; only open failures can be replayed", extra={"failure_status": f.status})
    kinds = {k.short_name: k for k in ALL_KINDS}
    if f.kind not in kinds:
        raise Conflict(f"work of kind {f.kind!r} cannot be replayed", extra={"kind": f.kind})
    try:
        f = failures_store().mark_replayed(f, by=actor.id if actor else "cli", at=now_iso())
    except ConditionFailed:
        raise Conflict("this failure was replayed or changed at the same time; load it again") from None
    from chalicelib.queues import kind_attribute
    client("sqs").send_message(QueueUrl=queue_url(WORK), MessageBody=f.payload,
                               MessageAttributes=kind_attribute(kinds[f.kind]))
    return f
