"""Health and public reference: is the API up, how does a booking move."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.domain.booking_states import transitions_table
from chalicelib.domain.catalog import CATEGORIES, LANGUAGES
from chalicelib.domain.errors import NotFound
from chalicelib.handlers.common import ok

bp = Blueprint(__name__)


@bp.route("/v1/health", methods=["GET"])
def health():
    return ok({"ok": True})


@bp.route("/v1/meta/booking-states", methods=["GET"])
def booking_states():
    return ok({"transitions": transitions_table()})


@bp.route("/v1/meta/catalog", methods=["GET"])
def catalog():
    return ok({"categories": list(CATEGORIES), "languages": list(LANGUAGES)})


@bp.route("/{proxy+}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def not_found(proxy=None):
    path = (bp.current_request.context or {}).get("path") or f"/{proxy or ''}"
    raise NotFound(f"there is nothing at {path}; the API lives under /v1 (see the README)")
