"""The quality loop for operations: flagged helpers and spot checks to work on, suspending a helper
(out of matching at once), outcomes of follow-up calls, and the live figures (recommend rate,
rebook rate, average rating) per tenant and platform over a period."""
from __future__ import annotations

import secrets
from datetime import date, timedelta

from chalicelib.domain import ratings
from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.domain.ids import now_iso
from chalicelib.services import ratings as agg
from chalicelib.store.helpers import helpers as helpers_store
from chalicelib.store.offers import offers as offers_store
from chalicelib.store.quality import quality as quality_store
from chalicelib.store.conditions import ConditionFailed
from chalicelib.store.records import HelperRecord, QualityCaseRecord

MAX_PERIOD_DAYS = 366


def _ops(actor: Actor) -> None:
    if actor.role != "ops":
        raise Forbidden("this is for operations staff")


def _helper_for(actor: Actor, helper_id: str) -> HelperRecord:
    _ops(actor)
    helper = helpers_store().get(helper_id, consistent=True)
    if helper is None or not actor.may_see_tenant(helper.tenant_id):
        raise NotFound(f"helper {helper_id} was not found", field="helper_id")
    return helper


def suspend_helper(actor: Actor, helper_id: str, reason: str) -> HelperRecord:
    """Take a helper out of matching now: status and the matching index key change in one
    conditional write; offers still open to them are declined on their behalf so the bookings move
    on to the next round at once."""
    helper = _helper_for(actor, helper_id)
    if helper.status == "suspended":
        raise Conflict("this helper is already suspended")
    try:
        suspended = helpers_store().set_status(helper, "suspended")
    except ConditionFailed:
        raise Conflict("the helper changed at the same time; load and retry") from None
    _decline_open_offers(helper)
    _log_case(helper, "suspended", reason, actor)
    return suspended


def reinstate_helper(actor: Actor, helper_id: str, reason: str) -> HelperRecord:
    helper = _helper_for(actor, helper_id)
    if helper.status != "suspended":
        raise Conflict(f"this helper is {helper.status}, not suspended")
    try:
        active = helpers_store().set_status(helper, "active")
    except ConditionFailed:
        raise Conflict("the helper changed at the same time; load and retry") from None
    _log_case(helper, "reinstated", reason, actor)
    return active


def _decline_open_offers(helper: HelperRecord) -> list[str]:
    from chalicelib.domain.errors import DomainError
    from chalicelib.services.bookings import decline_offer

    declined = []
    as_helper = Actor("helper", helper.helper_id, helper.tenant_id)
    for offer in offers_store().open_for_helper(helper.helper_id):
        try:
            decline_offer(as_helper, offer.booking_id)
            declined.append(offer.booking_id)
        except DomainError:  # answered or expired meanwhile: nothing to do
            pass
    return declined


def _log_case(helper: HelperRecord, what: str, reason: str, actor: Actor) -> None:
    now = now_iso()
    # the time orders a helper's actions; the random part keeps two in one millisecond apart
    quality_store().log(QualityCaseRecord(
        case_id=f"action#{helper.helper_id}#{now}#{secrets.token_hex(4)}", kind="action", tenant_id=helper.tenant_id,
        helper_id=helper.helper_id, rule=what, detail=reason, status="done", created_at=now,
        resolved_by=actor.id, resolved_at=now))


def list_cases(actor: Actor, tenant_id: str, status: str = "open", kind: str | None = None,
               limit: int = 50) -> list[QualityCaseRecord]:
    _ops(actor)
    if not actor.may_see_tenant(tenant_id):
        raise Forbidden("you may only see your own tenant", field="tenant")
    cases = quality_store().listed(tenant_id, status, limit * 3)
    return [c for c in cases if kind is None or c.kind == kind][:limit]


def record_spot_check(actor: Actor, booking_id: str, outcome: str, notes: str | None) -> QualityCase:
    """The outcome of the ops follow-up call for a sampled booking (recorded once)."""
    return _close_case(actor, f"spot#{booking_id}", outcome, notes, kind="spot_check")


def resolve_flag(actor: Actor, helper_id: str, rule: str, notes: str) -> QualityCase:
    return _close_case(actor, f"flag#{helper_id}#{rule}", "resolved", notes, kind="flag")


def _close_case(actor: Actor, case_id: str, outcome: str, notes: str | None, kind: str) -> QualityCaseRecord:
    _ops(actor)
    case = quality_store().get(case_id)
    if case is None or case.kind != kind or not actor.may_see_tenant(case.tenant_id):
        raise NotFound("there is no such case on the quality list", field="case")
    if case.status != "open":
        raise Conflict(f"this case is already closed ({case.outcome})")
    try:
        return quality_store().close(case, outcome=outcome, notes=notes or "", resolved_by=actor.id, at=now_iso())
    except ConditionFailed:
        raise Conflict("this case was closed at the same time") from None


def case_view(case: QualityCaseRecord) -> dict:
    return {k: getattr(case, k) for k in ("case_id", "kind", "tenant_id", "helper_id", "booking_id", "customer_id",
                                          "rule", "detail", "status", "outcome", "notes", "resolved_by",
                                          "created_at", "resolved_at")}


# ---------------------------------------------------------------------------------------------
# figures

def parse_period(day_from: str | None, day_to: str | None, today: date | None = None) -> tuple[str, str]:
    today = today or date.today()
    try:
        end = date.fromisoformat(day_to) if day_to else today
    except ValueError:
        raise ValidationFailed("to must be a date like 2026-11-30", field="to") from None
    try:
        start = date.fromisoformat(day_from) if day_from else end - timedelta(days=29)
    except ValueError:
        raise ValidationFailed("from must be a date like 2026-11-01", field="from") from None
    if start > end:
        raise ValidationFailed("from must not be after to", field="from")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise ValidationFailed(f"a period can be at most {MAX_PERIOD_DAYS} days", field="from")
    return start.isoformat(), end.isoformat()


def figures(actor: Actor, tenant_id: str, day_from: str | None, day_to: str | None) -> dict:
    """Recommend rate, rebook rate and average rating of the tenant (and, for platform staff, of
    the whole platform) for visits completed in the period (inclusive)."""
    _ops(actor)
    if not actor.may_see_tenant(tenant_id):
        raise Forbidden("you may only see your own tenant", field="tenant")
    start, end = parse_period(day_from, day_to)
    out = {"period": {"from": start, "to": end},
           "tenant": {"tenant_id": tenant_id, **ratings.rates(agg.period_totals(agg.tenant_scope(tenant_id), start, end))}}
    if actor.is_platform_ops:
        out["platform"] = ratings.rates(agg.period_totals(agg.PLATFORM, start, end))
    return out
