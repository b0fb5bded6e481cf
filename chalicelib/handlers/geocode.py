"""Public geocoding for the booking form: postcode or address -> coordinates."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.domain.catalog import LANGUAGES
from chalicelib.domain.errors import ValidationFailed
from chalicelib.handlers.common import ok

bp = Blueprint(__name__)


@bp.route("/v1/geocode", methods=["GET"])
def geocode():
    from chalicelib.adapters import geocoding
    params = bp.current_request.query_params or {}
    q = (params.get("q") or "").strip()
    if not 2 <= len(q) <= 120:
        raise ValidationFailed("q: type a postcode or an address (2 to 120 characters)", field="q")
    lang = params.get("lang", "de")
    if lang not in LANGUAGES:
        raise ValidationFailed(f"lang must be one of {', '.join(LANGUAGES)}", field="lang")
    results, source = geocoding.search(q, lang)
    return ok({"query": q, "source": source, "results": results})
