"""Helper self-service API: own profile, skills, area, rate, languages, availability, earnings."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.handlers.common import authenticate, ok, parse_body

bp = Blueprint(__name__)


@bp.route("/v1/helper/profile", methods=["GET"])
def get_profile():
    from chalicelib.services import helper_profile as svc
    return ok(svc.get_profile(authenticate(bp.current_request, "helper")))


@bp.route("/v1/helper/profile", methods=["PUT"])
def put_profile():
    from chalicelib.domain.helper_schemas import HelperProfileUpdate
    from chalicelib.services import helper_profile as svc
    request = bp.current_request
    actor = authenticate(request, "helper")
    return ok(svc.update_profile(actor, parse_body(request, HelperProfileUpdate)))


@bp.route("/v1/helper/availability", methods=["PUT"])
def put_availability():
    from chalicelib.domain.helper_schemas import HelperAvailabilityUpdate
    from chalicelib.services import helper_profile as svc
    request = bp.current_request
    actor = authenticate(request, "helper")
    return ok(svc.update_availability(actor, parse_body(request, HelperAvailabilityUpdate)))


@bp.route("/v1/helper/earnings", methods=["GET"])
def get_earnings():
    from chalicelib.services import helper_profile as svc
    return ok(svc.earnings(authenticate(bp.current_request, "helper")))
