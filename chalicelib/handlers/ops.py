"""Operations API (v1): the failure store (work that failed, listed and replayed) and erasure of a
person's data."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.http import Edge, signed_in
from chalicelib.http import types as t
from chalicelib.lazy import lazy

bp = Blueprint(__name__)
api = Edge(bp, tag="operations")
svc = lazy("chalicelib.services.failures")
erasure = lazy("chalicelib.services.erasure")
OPS = signed_in("ops")
FAILURE_STATUSES = ("open", "replayed", "resolved")  # services.failures.STATUSES (tests/unit/test_http_edge.py)


@api.get("/v1/ops/failures", auth=OPS, query={"status": t.one_of(FAILURE_STATUSES, "open"), "limit": t.limit(50, 200)},
         response="FailureList")
def list_failures(call):
    """Work that used up its retries (the failure store): what failed, why, how often"""
    rows = svc.list_failures(call.actor, call.query["status"], limit=call.query["limit"])
    return {"items": [svc.view(f) for f in rows]}


@api.post("/v1/ops/failures/{failure_id}/replay", auth=OPS, response="FailureOut", status=202)
def replay_failure(call, failure_id):
    """Send a failed unit of work to the work queue again"""
    return svc.view(svc.replay(call.actor, failure_id))


@api.post("/v1/ops/erasure", auth=OPS, body="erasure_schemas:ErasureRequest", response="ErasureOut")
def erase_person(call):
    """Erase a customer's or helper's personal data

    Bookings, payments and the ledger stay, referring to the pseudonymous id (409 while they have
    open bookings; services/erasure.py)."""
    return erasure.erase(call.actor, call.body.subject_type, call.body.subject_id)
