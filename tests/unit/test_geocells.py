"""Geo index keys and the ring search, against an in-memory index (pure, no AWS)."""
import bisect
import math
import random

import pytest

from chalicelib.domain import geocells
from chalicelib.domain.geo import haversine_km

h3 = pytest.importorskip("h3")
ZURICH = (47.3769, 8.5417)


def _scatter(n, seed=7, km=25):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        r, t = km * math.sqrt(rng.random()), rng.random() * 2 * math.pi
        lat = ZURICH[0] + r * math.cos(t) / 111.32
        lon = ZURICH[1] + r * math.sin(t) / (111.32 * math.cos(math.radians(ZURICH[0])))
        out.append({"helper_id": f"h_t{i:05d}", "tenant_id": "t1", "status": "active", "lat": lat, "lon": lon,
                    "skills": {"printer": 1 + i % 3}})
    return out


class FakeIndex:
    """Sorted (pk, sk) like a GSI; counts queries and items read."""

    def __init__(self, helpers):
        self.rows = sorted((*geocells.index_keys(h["tenant_id"], h["lat"], h["lon"], h["helper_id"]), h)
                           for h in helpers)
        self.keys = [(pk, sk) for pk, sk, _ in self.rows]
        self.queries = 0

    def query(self, pk, lo, hi):
        self.queries += 1
        i = bisect.bisect_left(self.keys, (pk, lo))
        j = bisect.bisect_right(self.keys, (pk, hi))
        return [dict(r[2]) for r in self.rows[i:j]]


@pytest.fixture(scope="module")
def index():
    return FakeIndex(_scatter(6000))


def test_leaf_range_holds_every_descendant_and_nothing_of_the_neighbours():
    cell = h3.latlng_to_cell(*ZURICH, 6)
    lo, hi = geocells.leaf_range(cell)
    for child in h3.cell_to_children(cell, 9):
        assert lo <= geocells.cell_hex(h3.str_to_int(child)) + "#h_x" <= hi
    for other in h3.grid_ring(cell, 1):
        for child in h3.cell_to_children(other, 9):
            assert not lo <= geocells.cell_hex(h3.str_to_int(child)) + "#h_x" <= hi


def test_descendant_slack_covers_how_far_a_leaf_lies_from_its_ancestor_hexagon():
    rng = random.Random(3)
    for res in (6, 7, 8):
        worst = 0.0
        for _ in range(3000):
            lat, lon = ZURICH[0] + rng.uniform(-0.4, 0.4), ZURICH[1] + rng.uniform(-0.6, 0.6)
            anc = h3.cell_to_parent(h3.latlng_to_cell(lat, lon, 9), res)
            worst = max(worst, geocells._point_to_cell_km(lat, lon, anc) / geocells.edge_km(res))
        assert worst <= geocells.DESCENDANT_SLACK


@pytest.mark.parametrize("radius", [1.0, 3.0, 5.0, 12.0, 25.0])
def test_ring_search_finds_exactly_the_helpers_inside_the_circle(index, radius):
    rng = random.Random(int(radius * 10))
    for _ in range(15):
        lat, lon = ZURICH[0] + rng.uniform(-0.08, 0.08), ZURICH[1] + rng.uniform(-0.1, 0.1)
        got = geocells.ring_search("t1", lat, lon, radius, index.query)
        truth = {r[2]["helper_id"] for r in index.rows
                 if haversine_km(lat, lon, r[2]["lat"], r[2]["lon"]) <= radius}
        assert {i["helper_id"] for i in got.found} == truth
        assert [i["distance_km"] for i in got.found] == sorted(i["distance_km"] for i in got.found)


def test_a_5_km_search_needs_at_most_8_queries(index):
    rng = random.Random(11)
    counts = []
    for _ in range(100):
        lat, lon = ZURICH[0] + rng.uniform(-0.05, 0.05), ZURICH[1] + rng.uniform(-0.07, 0.07)
        counts.append(geocells.ring_search("t1", lat, lon, 5.0, index.query).queries)
    assert max(counts) <= 8


def test_search_stops_after_the_ring_that_gives_enough(index):
    full = geocells.ring_search("t1", *ZURICH, 12.0, index.query)
    early = geocells.ring_search("t1", *ZURICH, 12.0, index.query, enough=5)
    assert len(early.found) >= 5
    assert early.queries < full.queries and early.rings < full.rings


def test_pools_do_not_mix(index):
    assert geocells.ring_search("t2", *ZURICH, 10.0, index.query).found == []


def test_accept_filters_and_excludes(index):
    got = geocells.ring_search("t1", *ZURICH, 5.0, index.query, accept=lambda i: i["skills"]["printer"] == 3)
    assert got.found and all(i["skills"]["printer"] == 3 for i in got.found)


@pytest.mark.parametrize("change", [{"status": "suspended"}, {"status": "verified"}, {"off_duty": True},
                                    {"busy_with": "b_123456"}])
def test_only_helpers_who_can_take_work_are_indexed(change):
    helper = {**_scatter(1)[0], "remote": True, "rating_count": 3, "rating_sum": 14}
    assert geocells.index_fields(helper)["geo_pk"].startswith("t1#")
    assert geocells.index_fields(helper)["remote_pool"] == "t1"
    assert geocells.index_fields({**helper, **change}) == dict.fromkeys(geocells.INDEX_FIELDS)


def test_remote_pool_sorts_better_rated_first():
    base = {**_scatter(1)[0], "remote": True}
    good = geocells.index_fields({**base, "rating_count": 50, "rating_sum": 245})["remote_sk"]
    poor = geocells.index_fields({**base, "rating_count": 50, "rating_sum": 150})["remote_sk"]
    assert good < poor
