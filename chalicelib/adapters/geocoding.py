"""Geocoding behind one small interface: ``search(text, language) -> list of places``.

In AWS, Amazon Location Service (a place index named by env ``CROWDFIX_PLACE_INDEX``); without it
(local development, tests, offline demos) the documented offline table in
``chalicelib.domain.places``. boto3 is imported only when the managed index is used.
"""
from __future__ import annotations

import os

from chalicelib.domain import places

COUNTRIES = ["CHE", "DEU", "AUT", "FRA", "ITA", "LIE"]


def _location_search(index: str, text: str, language: str, limit: int) -> list[dict]:
    from chalicelib.aws import client

    resp = client("location").search_place_index_for_text(
        IndexName=index, Text=text, MaxResults=limit, FilterCountries=COUNTRIES, Language=language)
    out = []
    for item in resp.get("Results", []):
        place = item.get("Place", {})
        lon, lat = place.get("Geometry", {}).get("Point", [None, None])
        if lat is None:
            continue
        out.append({"label": place.get("Label", text), "postcode": place.get("PostalCode"),
                    "city": place.get("Municipality"), "lat": round(lat, 5), "lon": round(lon, 5)})
    return out


def search(text: str, language: str = "de", limit: int = 5) -> tuple[list[dict], str]:
    """Places for ``text`` and which source answered ("amazon-location" or "offline")."""
    index = os.environ.get("CROWDFIX_PLACE_INDEX")
    if index:
        return _location_search(index, text, language, limit), "amazon-location"
    return places.lookup(text, limit), "offline"
