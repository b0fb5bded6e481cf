"""The offline geocoding table for the demo cities."""
from chalicelib.domain.places import POSTCODES, lookup


def test_postcode_inside_an_address_is_found():
    results = lookup("Bahnhofstrasse 1, 8001 Zürich")
    assert results[0]["postcode"] == "8001" and results[0]["city"] == "Zürich"
    assert abs(results[0]["lat"] - 47.37) < 0.05 and abs(results[0]["lon"] - 8.54) < 0.05


def test_munich_postcode_and_city_names_in_any_spelling():
    assert lookup("80331")[0]["city"] == "München"
    for name in ("München", "muenchen", "Munich"):
        assert any(r["city"] == "München" and r["postcode"] is None for r in lookup(name)), name


def test_district_name_and_postcode_prefix():
    assert lookup("Oerlikon")[0]["postcode"] == "8050"
    assert {r["postcode"] for r in lookup("805", limit=10)} >= {"8050", "8051", "8052", "8053"}


def test_unknown_place_gives_nothing():
    assert lookup("Timbuktu") == []
    assert lookup("   ") == []


def test_table_is_inside_the_demo_cities():
    for pc, _district, city, lat, lon in POSTCODES:
        assert (city == "Zürich" and 47.3 < lat < 47.45 and 8.45 < lon < 8.62) or \
               (city == "München" and 48.05 < lat < 48.2 and 11.4 < lon < 11.7), pc
