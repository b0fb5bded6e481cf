"""Health and public reference: is the API up, how does a booking move."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.domain.booking_states import transitions_table
from chalicelib.domain.catalog import CATEGORIES, LANGUAGES
from chalicelib.domain.errors import NotFound
from chalicelib.http import Edge
from chalicelib.http import types as t

bp = Blueprint(__name__)
api = Edge(bp, tag="meta")


@api.get("/v1/health", response="Health")
def health(call):
    """Is the API up"""
    return {"ok": True}


@api.get("/v1/meta/booking-states", response="BookingStates")
def booking_states(call):
    """The booking state machine"""
    return {"transitions": transitions_table()}


@api.get("/v1/meta/catalog", response="Catalog")
def catalog(call):
    """Categories and languages"""
    return {"categories": list(CATEGORIES), "languages": list(LANGUAGES)}


@api.route(("GET", "POST", "PUT", "PATCH", "DELETE"), "/{proxy+}", response="Problem", status=404,
           path_types={"proxy": t.Param({"type": "string"}, str)}, documented=False)
def not_found(call, proxy=None):
    """Anything else: a 404 problem"""
    path = (call.request.context or {}).get("path") or f"/{proxy or ''}"
    raise NotFound(f"there is nothing at {path}; the API lives under /v1 (see the README)")
