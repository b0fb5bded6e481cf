"""Geo index keys and the ring search, against an in-memory index (pure, no AWS)."""
import bisect
import math
import random

import pytest

from chalicelib.domain import geo_search, geocells
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
        got = geo_search.nearest_search("t1", lat, lon, radius, index.query)
        truth = {r[2]["helper_id"] for r in index.rows
                 if haversine_km(lat, lon, r[2]["lat"], r[2]["lon"]) <= radius}
        assert {i["helper_id"] for i in got.found} == truth
        assert [i["distance_km"] for i in got.found] == sorted(i["distance_km"] for i in got.found)


def test_a_5_km_search_needs_at_most_8_queries(index):
    rng = random.Random(11)
    counts = []
    for _ in range(100):
        lat, lon = ZURICH[0] + rng.uniform(-0.05, 0.05), ZURICH[1] + rng.uniform(-0.07, 0.07)
        counts.append(geo_search.nearest_search("t1", lat, lon, 5.0, index.query).queries)
    assert max(counts) <= 8


def _brute_force_nearest(index, lat, lon, radius, n, accept=lambda h, km: True):
    ranked = sorted((haversine_km(lat, lon, r[2]["lat"], r[2]["lon"]), r[2]["helper_id"], r[2]) for r in index.rows)
    return [hid for km, hid, h in ranked if km <= radius and accept(h, km)][:n]


@pytest.fixture(scope="module")
def dense():
    return FakeIndex(_scatter(30000, seed=9, km=12))


@pytest.fixture(autouse=True)
def _no_density_hints():
    geo_search.clear_density_hints()
    yield
    geo_search.clear_density_hints()


@pytest.mark.parametrize("enough", [1, 5, 20])
def test_top_n_search_returns_exactly_the_nearest_helpers_a_scan_would_rank_first(index, dense, enough):
    rng = random.Random(enough)
    for idx in (index, dense):
        for warm in (False, True):  # cold (no density hint) and sized by the last search's density
            for _ in range(5):
                lat, lon = ZURICH[0] + rng.uniform(-0.08, 0.08), ZURICH[1] + rng.uniform(-0.1, 0.1)
                if not warm:
                    geo_search.clear_density_hints()
                got = geo_search.nearest_search("t1", lat, lon, 5.0, idx.query, enough=enough)
                assert [i["helper_id"] for i in got.found] == _brute_force_nearest(idx, lat, lon, 5.0, enough)
                assert got.queries <= 8


def test_top_n_search_with_a_filter_ranks_only_accepted_helpers(dense):
    def accept(item):
        return item["skills"]["printer"] == 3 and item["distance_km"] <= 2.0

    lat, lon = ZURICH[0] + 0.01, ZURICH[1] - 0.02
    got = geo_search.nearest_search("t1", lat, lon, 5.0, dense.query, enough=10, accept=accept)
    want = _brute_force_nearest(dense, lat, lon, 5.0, 10, lambda h, km: h["skills"]["printer"] == 3 and km <= 2.0)
    assert [i["helper_id"] for i in got.found] == want and len(want) == 10


def test_a_sparse_area_still_finds_the_one_helper_near_the_edge_of_the_radius():
    lat, lon = ZURICH
    far = {"helper_id": "h_edge", "tenant_id": "t1", "status": "active", "lat": lat + 4.9 / 111.32, "lon": lon,
           "skills": {"printer": 1}}
    outside = {**far, "helper_id": "h_out", "lat": lat - 5.1 / 111.32}
    idx = FakeIndex([far, outside])
    for warm in (False, True):
        got = geo_search.nearest_search("t1", lat, lon, 5.0, idx.query, enough=3)
        assert [i["helper_id"] for i in got.found] == ["h_edge"], warm
        assert 4.85 < got.found[0]["distance_km"] <= 5.0
        assert got.queries <= 8 and got.covered_km == 5.0


def test_dense_search_stops_early_and_reads_little(dense):
    full = geo_search.nearest_search("t1", *ZURICH, 5.0, dense.query)
    top = geo_search.nearest_search("t1", *ZURICH, 5.0, dense.query, enough=20)
    assert len(full.found) > 1000 and len(top.found) == 20
    assert top.covered_km < 1.0 and top.items_read < len(full.found) / 10
    # once the partition's density is known the next search is sized from it: one step
    again = geo_search.nearest_search("t1", ZURICH[0] + 0.005, ZURICH[1], 5.0, dense.query, enough=20)
    assert again.steps == 1 and again.items_read <= 20 * 8


def test_whole_circle_search_reads_at_most_3x_the_helpers_inside(dense):
    rng = random.Random(5)
    amps = []
    for _ in range(12):
        lat, lon = ZURICH[0] + rng.uniform(-0.05, 0.05), ZURICH[1] + rng.uniform(-0.07, 0.07)
        got = geo_search.nearest_search("t1", lat, lon, 5.0, dense.query)
        amps.append(got.items_read / len(got.found))
        assert got.queries <= 8 and got.steps == 1
    assert sorted(amps)[len(amps) // 2] <= 3


def test_spans_round_trip_through_sort_keys():
    cell = h3.latlng_to_cell(*ZURICH, 7)
    part = h3.cell_to_parent(cell, 5)
    lo, hi = geocells.leaf_range(cell)
    a, b = geocells._leaf_pos(lo), geocells._leaf_pos(hi)
    pk, qlo, qhi = geocells.span_query("t1", (part, a, b))
    assert (pk, qlo, qhi) == (f"t1#{part}", lo, hi)
    assert geocells.subtract_spans([(part, 0, 100)], [(part, 10, 20), (part, 50, 200)]) == [(part, 0, 9), (part, 21, 49)]
    assert geocells.merge_to_budget([(part, 0, 1), (part, 5, 6), (part, 100, 101)], 2) == [(part, 0, 6), (part, 100, 101)]


def test_pools_do_not_mix(index):
    assert geo_search.nearest_search("t2", *ZURICH, 10.0, index.query).found == []


def test_accept_filters_and_excludes(index):
    got = geo_search.nearest_search("t1", *ZURICH, 5.0, index.query, accept=lambda i: i["skills"]["printer"] == 3)
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


def test_merging_counts_the_pages_a_long_span_needs():
    part = "851f8a7ffffffff"
    # without a page size: down to the budget by the smallest gaps
    assert geocells.merge_to_budget([(part, 0, 99), (part, 105, 109), (part, 300, 309)], 2) == [
        (part, 0, 109), (part, 300, 309)]
    # 120 leaves fill a page: the budget still holds (never more spans than it allows); the join
    # that adds no page goes first even across a wider gap
    got = geocells.merge_to_budget([(part, 0, 99), (part, 105, 109), (part, 300, 309)], 2, page_leaves=120)
    assert got == [(part, 0, 109), (part, 300, 309)]
    got = geocells.merge_to_budget([(part, 0, 99), (part, 101, 200), (part, 230, 239)], 2, page_leaves=150)
    assert got == [(part, 0, 99), (part, 101, 239)]  # not (0, 200): that would need 2 pages
    # a sparse gap is read through even under the budget, unless it adds a page
    assert geocells.merge_to_budget([(part, 0, 9), (part, 15, 20)], 4, free_gap_leaves=5) == [(part, 0, 20)]
    assert geocells.merge_to_budget([(part, 0, 9), (part, 15, 20)], 4, free_gap_leaves=5, page_leaves=12) == [
        (part, 0, 9), (part, 15, 20)]


def test_the_item_size_is_learned_from_consumed_capacity(monkeypatch):
    monkeypatch.setattr(geo_search, "_ITEM_BYTES", [450.0])
    geo_search.observe_page(10, 5.0)  # too few items to tell
    assert geo_search._ITEM_BYTES == [450.0]
    for _ in range(30):  # 400 items of ~215 bytes: 21 x 4 KB read, 10.5 units
        geo_search.observe_page(400, 10.5)
    assert 210 < geo_search._ITEM_BYTES[0] < 225
    # a denser page size estimate follows: fewer leaves fit a page at a higher density
    assert geo_search._page_leaves(80.0) < geo_search._page_leaves(40.0) < math.inf
    assert geo_search._page_leaves(None) == math.inf
