"""Operations API (v1) for review quality: hide a comment, read both sides' ratings, the quality
list (flags and spot checks), suspend or reinstate a helper, record a follow-up call, figures."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.ratings import QUALITY_RULES
from chalicelib.http import Edge, signed_in
from chalicelib.http import types as t
from chalicelib.lazy import lazy

bp = Blueprint(__name__)
api = Edge(bp, tag="quality (ops)")
quality = lazy("chalicelib.services.quality")
reviews = lazy("chalicelib.services.reviews")
OPS = signed_in("ops")
TENANT = t.TenantId.but(description="the tenant (default: the caller's own)")
PERIOD = t.Param({"type": "string"}, lambda raw: raw or None, description="first or last day, YYYY-MM-DD")


def _tenant(call) -> str:
    tenant = call.query["tenant"] or (call.actor.tenant_id if call.actor.tenant_id != "*" else None)
    if not tenant:
        raise ValidationFailed("name the tenant (?tenant=...)", field="tenant")
    return tenant


@api.post("/v1/ops/bookings/{booking_id}/review/visibility", auth=OPS, body="review_schemas:HideComment",
          response="ReviewOut")
def hide_comment(call, booking_id):
    """Hide or show a review's comment"""
    review = reviews.set_comment_hidden(call.actor, booking_id, call.body.hidden, call.body.reason)
    return reviews.review_view(review, ops=True)


@api.get("/v1/ops/bookings/{booking_id}/ratings", auth=OPS, response="BookingRatings")
def booking_ratings(call, booking_id):
    """Both sides' ratings of a booking"""
    return reviews.ratings_of_booking(call.actor, booking_id)


@api.get("/v1/ops/quality/cases", auth=OPS, response="QualityCaseList",
         query={"status": t.one_of(("open", "done"), "open"), "kind": t.one_of(("flag", "spot_check", "action")),
                "tenant": TENANT, "limit": t.limit(50, 200)})
def quality_cases(call):
    """The quality list: flags, spot checks, actions"""
    q = call.query
    cases = quality.list_cases(call.actor, _tenant(call), q["status"], q["kind"], limit=q["limit"])
    return {"items": [quality.case_view(c) for c in cases]}


@api.post("/v1/ops/helpers/{helper_id}/suspend", auth=OPS, body="review_schemas:SuspendHelper",
          response="HelperStatusOut")
def suspend(call, helper_id):
    """Suspend a helper"""
    helper = quality.suspend_helper(call.actor, helper_id, call.body.reason)
    return {"helper_id": helper.helper_id, "status": helper.status}


@api.post("/v1/ops/helpers/{helper_id}/reinstate", auth=OPS, body="review_schemas:SuspendHelper",
          response="HelperStatusOut")
def reinstate(call, helper_id):
    """Reinstate a helper"""
    helper = quality.reinstate_helper(call.actor, helper_id, call.body.reason)
    return {"helper_id": helper.helper_id, "status": helper.status}


@api.post("/v1/ops/helpers/{helper_id}/flags/{rule}/resolve", auth=OPS, body="review_schemas:ResolveFlag",
          path_types={"rule": t.one_of(tuple(QUALITY_RULES))}, response="QualityCase")
def resolve_flag(call, helper_id, rule):
    """Resolve a quality flag"""
    return quality.case_view(quality.resolve_flag(call.actor, helper_id, rule, call.body.notes))


@api.post("/v1/ops/spot-checks/{booking_id}", auth=OPS, body="review_schemas:SpotCheckOutcome", response="QualityCase")
def record_spot_check(call, booking_id):
    """Record the outcome of a spot-check call"""
    return quality.case_view(quality.record_spot_check(call.actor, booking_id, call.body.outcome, call.body.notes))


@api.get("/v1/ops/figures", auth=OPS, query={"tenant": TENANT, "from": PERIOD, "to": PERIOD}, response="Figures")
def figures(call):
    """Quality figures of a tenant"""
    return quality.figures(call.actor, _tenant(call), call.query["from"], call.query["to"])
