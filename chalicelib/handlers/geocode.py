"""Public geocoding for the booking form: postcode or address -> coordinates."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.http import Edge
from chalicelib.http import types as t
from chalicelib.lazy import lazy

bp = Blueprint(__name__)
api = Edge(bp, tag="discovery")
geocoding = lazy("chalicelib.adapters.geocoding")


def _place_text(raw: str) -> str:
    q = raw.strip()
    if not 2 <= len(q) <= 120:
        raise ValueError("must be a postcode or an address (2 to 120 characters)")
    return q


PLACE_TEXT = t.Param({"type": "string", "minLength": 2, "maxLength": 120}, _place_text,
                     description="postcode, district or city", required=True)


@api.get("/v1/geocode", query={"q": PLACE_TEXT, "lang": t.Language.but(default="de")}, response="GeocodeOut")
def geocode(call):
    """Postcode or address to coordinates"""
    results, source = geocoding.search(call.query["q"], call.query["lang"])
    return {"query": call.query["q"], "source": source, "results": results}
