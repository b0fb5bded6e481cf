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
from chalicelib.models.base import now_iso

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
    from pynamodb.exceptions import PutError

    from chalicelib.models.failures import FailedUnit
    from chalicelib.store.conditions import is_condition_failure

    try:
        message = json.loads(body)
    except ValueError:
        message = {}
    if not isinstance(message, dict):
        message = {}
    unit = unit_of(kind, message, message_id)
    fid = failure_id_for(unit)
    now = now_iso()
    item = FailedUnit(failure_id=fid, unit=unit, kind=kind, name=message.get("effect") or kind,
                      booking_id=message.get("booking_id"), tenant_id=message.get("tenant_id"), status="open",
                      error=_short(exc), attempts=attempts, first_failed_at=now, last_failed_at=now,
                      payload=body, replays=0, version=1)
    try:
        item.save(condition=FailedUnit.failure_id.does_not_exist())
    except PutError as exc2:
        if not is_condition_failure(exc2):
            raise
        # failed again after a replay: open again, with the newest error
        FailedUnit(failure_id=fid).update(actions=[
            FailedUnit.status.set("open"), FailedUnit.error.set(_short(exc)), FailedUnit.last_failed_at.set(now),
            FailedUnit.attempts.add(attempts), FailedUnit.payload.set(body), FailedUnit.version.add(1)],
            condition=FailedUnit.failure_id.exists())
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


def list_failures(actor: Actor | None, status: str = "open", limit: int = 50) -> list:
    from chalicelib.models.failures import FailedUnit

    if actor is not None:
        _require_ops(actor)
    if status not in STATUSES:
        raise ValidationFailed(f"status must be one of {', '.join(STATUSES)}", field="status")
    rows = list(FailedUnit.by_status.query(status, scan_index_forward=False, limit=limit))
    if actor is not None and actor.tenant_id != "*":
        rows = [r for r in rows if r.tenant_id in (None, actor.tenant_id)]
    return rows


def get_failure(actor: Actor | None, failure_id: str):
    from chalicelib.models.failures import FailedUnit

    if actor is not None:
        _require_ops(actor)
    try:
        f = FailedUnit.get(failure_id, consistent_read=True)
    except FailedUnit.DoesNotExist:
        raise NotFound(f"failure {failure_id} was not found", field="failure_id") from None
    if actor is not None and actor.tenant_id != "*" and f.tenant_id not in (None, actor.tenant_id):
        raise NotFound(f"failure {failure_id} was not found", field="failure_id")
    return f


def replay(actor: Actor | None, failure_id: str):
    """Send the failed message to the work queue again; the record says who replayed it when."""
    from pynamodb.exceptions import UpdateError

    from chalicelib.aws import client
    from chalicelib.models.failures import FailedUnit
    from chalicelib.queues import ALL_KINDS, WORK, queue_url
    from chalicelib.store.conditions import is_condition_failure

    f = get_failure(actor, failure_id)
    if f.status != "open":
        raise Conflict(f"this failure is {f.status}; only open failures can be replayed", extra={"failure_status": f.status})
    kinds = {k.short_name: k for k in ALL_KINDS}
    if f.kind not in kinds:
        raise Conflict(f"work of kind {f.kind!r} cannot be replayed", extra={"kind": f.kind})
    try:
        f.update(actions=[FailedUnit.status.set("replayed"), FailedUnit.replays.add(1),
                          FailedUnit.replayed_at.set(now_iso()), FailedUnit.replayed_by.set(actor.id if actor else "cli"),
                          FailedUnit.version.add(1)],
                 condition=(FailedUnit.version == f.version) & (FailedUnit.status == "open"))
    except UpdateError as exc:
        if is_condition_failure(exc):
            raise Conflict("this failure was replayed or changed at the same time; load it again") from None
        raise
    from chalicelib.queues import kind_attribute
    client("sqs").send_message(QueueUrl=queue_url(WORK), MessageBody=f.payload,
                               MessageAttributes=kind_attribute(kinds[f.kind]))
    return f
