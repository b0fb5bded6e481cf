"""Operations API (v1) for review quality: hide a comment, read both sides' ratings, the quality
list (flags and spot checks), suspend or reinstate a helper, record a follow-up call, figures."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.domain.errors import ValidationFailed
from chalicelib.handlers.common import authenticate, ok, parse_body, path_id, query_int

bp = Blueprint(__name__)


def _tenant_param(request, actor) -> str:
    tenant = (request.query_params or {}).get("tenant") or (actor.tenant_id if actor.tenant_id != "*" else None)
    if not tenant:
        raise ValidationFailed("name the tenant (?tenant=...)", field="tenant")
    if len(tenant) > 64 or not tenant.replace("-", "").replace("_", "").isalnum():
        raise ValidationFailed("tenant is not a valid tenant id", field="tenant")
    return tenant


@bp.route("/v1/ops/bookings/{booking_id}/review/visibility", methods=["POST"])
def hide_comment(booking_id):
    from chalicelib.domain.review_schemas import HideComment
    from chalicelib.services import reviews as svc
    request = bp.current_request
    actor = authenticate(request, "ops")
    body = parse_body(request, HideComment)
    review = svc.set_comment_hidden(actor, path_id(booking_id, "b", "booking_id"), body.hidden, body.reason)
    return ok(svc.review_view(review, ops=True))


@bp.route("/v1/ops/bookings/{booking_id}/ratings", methods=["GET"])
def booking_ratings(booking_id):
    from chalicelib.services.reviews import ratings_of_booking
    actor = authenticate(bp.current_request, "ops")
    return ok(ratings_of_booking(actor, path_id(booking_id, "b", "booking_id")))


@bp.route("/v1/ops/quality/cases", methods=["GET"])
def quality_cases():
    from chalicelib.services import quality
    request = bp.current_request
    actor = authenticate(request, "ops")
    params = request.query_params or {}
    status = params.get("status", "open")
    if status not in ("open", "done"):
        raise ValidationFailed("status must be open or done", field="status")
    kind = params.get("kind")
    if kind not in (None, "flag", "spot_check", "action"):
        raise ValidationFailed("kind must be flag, spot_check or action", field="kind")
    cases = quality.list_cases(actor, _tenant_param(request, actor), status, kind,
                               limit=query_int(request, "limit", 50, 1, 200))
    return ok({"items": [quality.case_view(c) for c in cases]})


@bp.route("/v1/ops/helpers/{helper_id}/suspend", methods=["POST"])
def suspend(helper_id):
    from chalicelib.domain.review_schemas import SuspendHelper
    from chalicelib.services import quality
    request = bp.current_request
    actor = authenticate(request, "ops")
    body = parse_body(request, SuspendHelper)
    helper = quality.suspend_helper(actor, path_id(helper_id, "h", "helper_id"), body.reason)
    return ok({"helper_id": helper.helper_id, "status": helper.status})


@bp.route("/v1/ops/helpers/{helper_id}/reinstate", methods=["POST"])
def reinstate(helper_id):
    from chalicelib.domain.review_schemas import SuspendHelper
    from chalicelib.services import quality
    request = bp.current_request
    actor = authenticate(request, "ops")
    body = parse_body(request, SuspendHelper)
    helper = quality.reinstate_helper(actor, path_id(helper_id, "h", "helper_id"), body.reason)
    return ok({"helper_id": helper.helper_id, "status": helper.status})


@bp.route("/v1/ops/helpers/{helper_id}/flags/{rule}/resolve", methods=["POST"])
def resolve_flag(helper_id, rule):
    from chalicelib.domain.review_schemas import ResolveFlag
    from chalicelib.domain.ratings import QUALITY_RULES
    from chalicelib.services import quality
    request = bp.current_request
    actor = authenticate(request, "ops")
    if rule not in QUALITY_RULES:
        raise ValidationFailed(f"rule must be one of {', '.join(QUALITY_RULES)}", field="rule")
    body = parse_body(request, ResolveFlag)
    case = quality.resolve_flag(actor, path_id(helper_id, "h", "helper_id"), rule, body.notes)
    return ok(quality.case_view(case))


@bp.route("/v1/ops/spot-checks/{booking_id}", methods=["POST"])
def record_spot_check(booking_id):
    from chalicelib.domain.review_schemas import SpotCheckOutcome
    from chalicelib.services import quality
    request = bp.current_request
    actor = authenticate(request, "ops")
    body = parse_body(request, SpotCheckOutcome)
    case = quality.record_spot_check(actor, path_id(booking_id, "b", "booking_id"), body.outcome, body.notes)
    return ok(quality.case_view(case))


@bp.route("/v1/ops/figures", methods=["GET"])
def figures():
    from chalicelib.services import quality
    request = bp.current_request
    actor = authenticate(request, "ops")
    params = request.query_params or {}
    return ok(quality.figures(actor, _tenant_param(request, actor), params.get("from"), params.get("to")))
