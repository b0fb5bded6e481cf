"""Offline place table for the demo cities (Zürich, München): the geocoding fallback that works
without any network, used locally and in tests when no managed place index is configured.

Coordinates are the approximate centre of each postcode area (WGS84, 4 decimals, ~10 m), enough
to find helpers nearby; the street address the customer types is kept as text on the booking.
Sources: public postcode maps of the two cities, rounded. To add a place, add a row here.
"""
from __future__ import annotations

import re
import unicodedata

# postcode, district, city, lat, lon
POSTCODES: tuple[tuple[str, str, str, float, float], ...] = (
    ("8001", "Altstadt", "Zürich", 47.3717, 8.5423),
    ("8002", "Enge", "Zürich", 47.3640, 8.5300),
    ("8003", "Wiedikon", "Zürich", 47.3720, 8.5160),
    ("8004", "Aussersihl", "Zürich", 47.3780, 8.5200),
    ("8005", "Industriequartier", "Zürich", 47.3870, 8.5200),
    ("8006", "Unterstrass", "Zürich", 47.3880, 8.5480),
    ("8008", "Seefeld", "Zürich", 47.3560, 8.5550),
    ("8032", "Hottingen", "Zürich", 47.3700, 8.5650),
    ("8037", "Wipkingen", "Zürich", 47.3960, 8.5300),
    ("8044", "Fluntern", "Zürich", 47.3800, 8.5650),
    ("8045", "Friesenberg", "Zürich", 47.3600, 8.5050),
    ("8046", "Affoltern", "Zürich", 47.4200, 8.5100),
    ("8047", "Albisrieden", "Zürich", 47.3750, 8.4850),
    ("8048", "Altstetten", "Zürich", 47.3880, 8.4850),
    ("8049", "Höngg", "Zürich", 47.4030, 8.4970),
    ("8050", "Oerlikon", "Zürich", 47.4110, 8.5440),
    ("8051", "Schwamendingen", "Zürich", 47.4050, 8.5720),
    ("8052", "Seebach", "Zürich", 47.4220, 8.5450),
    ("8053", "Witikon", "Zürich", 47.3600, 8.5900),
    ("8057", "Unterstrass Nord", "Zürich", 47.3970, 8.5410),
    ("80331", "Altstadt", "München", 48.1366, 11.5735),
    ("80333", "Maxvorstadt", "München", 48.1450, 11.5690),
    ("80335", "Maxvorstadt West", "München", 48.1440, 11.5550),
    ("80469", "Isarvorstadt", "München", 48.1300, 11.5750),
    ("80539", "Lehel", "München", 48.1420, 11.5870),
    ("80634", "Neuhausen", "München", 48.1520, 11.5300),
    ("80636", "Neuhausen Süd", "München", 48.1480, 11.5420),
    ("80796", "Schwabing", "München", 48.1600, 11.5720),
    ("80799", "Maxvorstadt Nord", "München", 48.1530, 11.5760),
    ("80802", "Schwabing Ost", "München", 48.1590, 11.5850),
    ("80999", "Allach", "München", 48.1900, 11.4650),
    ("81369", "Sendling", "München", 48.1150, 11.5300),
    ("81379", "Obersendling", "München", 48.1000, 11.5250),
    ("81539", "Giesing", "München", 48.1100, 11.5800),
    ("81541", "Au", "München", 48.1200, 11.5950),
    ("81667", "Haidhausen", "München", 48.1310, 11.5980),
    ("81675", "Bogenhausen", "München", 48.1390, 11.6050),
)

CITIES: dict[str, tuple[str, float, float]] = {
    "zurich": ("Zürich", 47.3769, 8.5417), "zuerich": ("Zürich", 47.3769, 8.5417),
    "zurigo": ("Zürich", 47.3769, 8.5417),
    "munchen": ("München", 48.1351, 11.5820), "muenchen": ("München", 48.1351, 11.5820),
    "munich": ("München", 48.1351, 11.5820), "monaco di baviera": ("München", 48.1351, 11.5820),
}


def _fold(text: str) -> str:
    """Lower case without accents: "Zürich" -> "zurich"."""
    norm = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in norm if not unicodedata.combining(c))


def _result(label: str, postcode: str | None, city: str, lat: float, lon: float) -> dict:
    return {"label": label, "postcode": postcode, "city": city, "lat": lat, "lon": lon}


def lookup(query: str, limit: int = 5) -> list[dict]:
    """Places matching ``query``: a postcode anywhere in it ("Bahnhofstr. 1, 8001 Zürich"), the
    start of a postcode ("800"), a district ("Oerlikon") or a city name. Best matches first."""
    q = _fold(query).strip()
    if not q:
        return []
    results: list[dict] = []
    codes = re.findall(r"\b\d{4,5}\b", q)
    for code in codes:
        results += [_result(f"{pc} {city} ({district})", pc, city, lat, lon)
                    for pc, district, city, lat, lon in POSTCODES if pc == code]
    if not results and re.fullmatch(r"\d{2,5}", q):
        results += [_result(f"{pc} {city} ({district})", pc, city, lat, lon)
                    for pc, district, city, lat, lon in POSTCODES if pc.startswith(q)]
    words = re.sub(r"[^a-z ]", " ", q)
    for pc, district, city, lat, lon in POSTCODES:
        d = _fold(district)
        if len(words.strip()) >= 3 and (d.startswith(words.strip()) or re.search(rf"\b{re.escape(d)}\b", words)):
            results.append(_result(f"{pc} {city} ({district})", pc, city, lat, lon))
    for key, (city, lat, lon) in CITIES.items():
        if re.search(rf"\b{re.escape(key)}\b", words) and not any(r["city"] == city for r in results):
            results.append(_result(city, None, city, lat, lon))
    seen, unique = set(), []
    for r in results:
        if r["label"] not in seen:
            seen.add(r["label"])
            unique.append(r)
    return unique[:limit]
