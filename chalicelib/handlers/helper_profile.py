"""Helper self-service API: own profile, skills, area, rate, languages, availability, earnings."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.http import Edge, signed_in
from chalicelib.lazy import lazy

bp = Blueprint(__name__)
api = Edge(bp, tag="helpers")
svc = lazy("chalicelib.services.helper_profile")
HELPER = signed_in("helper")


@api.get("/v1/helper/profile", auth=HELPER, response="HelperProfileOut")
def get_profile(call):
    """My profile (helpers)"""
    return svc.get_profile(call.actor)


@api.put("/v1/helper/profile", auth=HELPER, body="helper_schemas:HelperProfileUpdate", response="HelperProfileOut")
def put_profile(call):
    """Change my profile"""
    return svc.update_profile(call.actor, call.body)


@api.put("/v1/helper/availability", auth=HELPER, body="helper_schemas:HelperAvailabilityUpdate",
         response="AvailabilityOut")
def put_availability(call):
    """Set my availability"""
    return svc.update_availability(call.actor, call.body)


@api.get("/v1/helper/earnings", auth=HELPER, response="EarningsOut")
def get_earnings(call):
    """My earnings"""
    return svc.earnings(call.actor)
