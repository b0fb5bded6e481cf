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
    raise NotFound(f"there is nothing at {bp.current_request.path}; see /v1/meta/booking-states "
                   "and the README for the API")
