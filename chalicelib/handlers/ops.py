"""Operations API (v1): the failure store (work that failed, listed and replayed) and erasure of a
person's data."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.handlers.common import authenticate, ok, parse_body, path_id, query_int
from chalicelib.domain.errors import ValidationFailed

bp = Blueprint(__name__)


@bp.route("/v1/ops/failures", methods=["GET"])
def list_failures():
    from chalicelib.services import failures as svc
    request = bp.current_request
    actor = authenticate(request, "ops")
    status = (request.query_params or {}).get("status", "open")
    if status not in svc.STATUSES:
        raise ValidationFailed(f"status must be one of {', '.join(svc.STATUSES)}", field="status")
    rows = svc.list_failures(actor, status, limit=query_int(request, "limit", 50, 1, 200))
    return ok({"items": [svc.view(f) for f in rows]})


@bp.route("/v1/ops/failures/{failure_id}/replay", methods=["POST"])
def replay_failure(failure_id):
    from chalicelib.services import failures as svc
    actor = authenticate(bp.current_request, "ops")
    return ok(svc.view(svc.replay(actor, path_id(failure_id, "f", "failure_id"))), 202)


@bp.route("/v1/ops/erasure", methods=["POST"])
def erase_person():
    """A customer's or helper's personal data erased, money records kept (services/erasure.py)."""
    from chalicelib.domain.erasure_schemas import ErasureRequest
    from chalicelib.services import erasure

    request = bp.current_request
    actor = authenticate(request, "ops")
    body = parse_body(request, ErasureRequest)
    return ok(erasure.erase(actor, body.subject_type, body.subject_id))
