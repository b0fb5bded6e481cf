"""The geocoding adapter: Amazon Location when a place index is configured, else the offline table."""
from chalicelib import aws
from chalicelib.adapters import geocoding


class FakeLocation:
    def __init__(self):
        self.calls = []

    def search_place_index_for_text(self, **kw):
        self.calls.append(kw)
        return {"Results": [{"Place": {"Label": "Bahnhofstrasse 1, 8001 Zürich, CHE", "PostalCode": "8001",
                                        "Municipality": "Zürich", "Geometry": {"Point": [8.539183, 47.372394]}}}]}


def test_uses_amazon_location_when_place_index_is_set(monkeypatch):
    fake = FakeLocation()
    monkeypatch.setenv("CROWDFIX_PLACE_INDEX", "crowdfix-places")
    monkeypatch.setitem(aws._clients, "location", fake)
    results, source = geocoding.search("Bahnhofstrasse 1 Zürich", "de")
    assert source == "amazon-location"
    assert results == [{"label": "Bahnhofstrasse 1, 8001 Zürich, CHE", "postcode": "8001", "city": "Zürich",
                        "lat": 47.37239, "lon": 8.53918}]
    assert fake.calls[0]["IndexName"] == "crowdfix-places" and "CHE" in fake.calls[0]["FilterCountries"]


def test_offline_without_place_index(monkeypatch):
    monkeypatch.delenv("CROWDFIX_PLACE_INDEX", raising=False)
    results, source = geocoding.search("80331", "en")
    assert source == "offline" and results[0]["city"] == "München"
