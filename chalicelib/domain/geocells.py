"""Geo cells for the helper index (H3, imported lazily: it costs ~50-80 ms at cold start).

Key design (one sparse GSI ``by_geo`` on the helpers table):

- partition key ``geo_pk = "<pool>#<res-5 cell>"``: a res-5 cell is ~250 km², so a city sits in a
  handful of partitions and a pool (tenant) never mixes with another;
- sort key ``geo_sk = "<res-9 cell as 15 hex digits>#<helper_id>"``: a res-9 cell is ~0.1 km².

H3 numbers the descendants of a cell at a fixed finer resolution as one contiguous integer range
(the resolution digits below the cell's own are 0..6, unused ones are 7). Written as fixed-width hex
those ranges sort the same way, so *one* ``Query`` (``geo_pk = parent AND geo_sk BETWEEN lo AND hi``)
returns every helper inside any cell of resolution 5..9. A search therefore picks the resolution
that fits its radius (few cells, little over-read) instead of being stuck with the one resolution
the index was built at. That is why the index stores res 9 under res 5 rather than one fixed
search resolution.

The search (``nearest_search``) is density-adaptive: the product asks for the N nearest helpers
who qualify, so it starts with a small circle at a fine resolution (res 8/9 ranges on the same res-9
sort key) and widens only as far as the density it sees requires, reading leaf spans it has not
read yet; in a dense city it stops within a few hundred metres, in a sparse area it reaches the
full radius. Cells are turned into leaf-position spans per res-5 partition, merged across the
smallest gaps to stay within 8 queries per search, and each step's queries run in parallel.

Everything here is pure (no AWS); the search takes the query function as an argument so it can be
tested with an in-memory fake.
"""
from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterable

from chalicelib.domain.geo import haversine_km

PARTITION_RES = 5
LEAF_RES = 9
_RES_SHIFT = 52
_RES_MASK = 0xF << _RES_SHIFT
# The logical descendants of an H3 cell stick out of its hexagon a little (aperture-7 children do
# not tile the parent exactly). A helper's res-9 cell can therefore belong to a res-r ancestor whose
# hexagon lies up to this fraction of a res-r edge away from the helper. Measured on 200,000 random
# points around Zürich (tests/unit/test_geocells.py keeps it honest): max 0.14 at res 5..8.
DESCENDANT_SLACK = 0.2


def _h3():
    import h3  # lazy: keeps `import app` light

    return h3


def cell_hex(value: int) -> str:
    return f"{value:015x}"


def leaf_cell(lat: float, lon: float) -> str:
    return _h3().latlng_to_cell(lat, lon, LEAF_RES)


def index_keys(pool: str, lat: float, lon: float, helper_id: str) -> tuple[str, str]:
    """``(geo_pk, geo_sk)`` for a helper at ``lat, lon`` in ``pool``."""
    h3 = _h3()
    leaf = h3.latlng_to_cell(lat, lon, LEAF_RES)
    parent = h3.cell_to_parent(leaf, PARTITION_RES)
    return f"{pool}#{parent}", f"{cell_hex(h3.str_to_int(leaf))}#{helper_id}"


def leaf_range(cell: str) -> tuple[str, str]:
    """Sort-key bounds covering every res-9 descendant of ``cell`` (res 5..9), any helper id."""
    h3 = _h3()
    res = h3.get_resolution(cell)
    v = (h3.str_to_int(cell) & ~_RES_MASK) | (LEAF_RES << _RES_SHIFT)
    lo = hi = v
    for digit in range(res + 1, LEAF_RES + 1):
        off = 3 * (15 - digit)
        lo &= ~(7 << off)
        hi = (hi & ~(7 << off)) | (6 << off)
    return cell_hex(lo) + "#", cell_hex(hi) + "#\uffff"


def edge_km(res: int) -> float:
    return _h3().average_hexagon_edge_length(res, unit="km")


def search_resolution(radius_km: float) -> int:
    """The finest resolution (5..9) whose first ring already spans the radius: about 5-7 queries
    for the circle, over-read ~2-3x. Finer means more queries, coarser means more items read."""
    for res in (9, 8, 7, 6):
        if edge_km(res) * 1.5 >= radius_km:
            return res
    return PARTITION_RES


def _point_to_cell_km(lat: float, lon: float, cell: str) -> float:
    """Distance from a point to a cell's hexagon (0 inside). Local equirectangular projection:
    good to well under 1% at the few-km scale we search."""
    h3 = _h3()
    if h3.latlng_to_cell(lat, lon, h3.get_resolution(cell)) == cell:
        return 0.0
    kx = 111.32 * math.cos(math.radians(lat))
    ky = 110.574
    pts = [((plon - lon) * kx, (plat - lat) * ky) for plat, plon in h3.cell_to_boundary(cell)]
    best = float("inf")
    for (x1, y1), (x2, y2) in zip(pts, pts[1:] + pts[:1]):
        dx, dy = x2 - x1, y2 - y1
        t = max(0.0, min(1.0, -(x1 * dx + y1 * dy) / ((dx * dx + dy * dy) or 1e-12)))
        best = min(best, math.hypot(x1 + t * dx, y1 + t * dy))
    return best


def ring_cells(lat: float, lon: float, radius_km: float, res: int | None = None) -> list[list[str]]:
    """The cells to query, ring by ring from the point's own cell (ring 0), keeping only cells that
    can hold a helper within ``radius_km`` (with the descendant slack)."""
    h3 = _h3()
    res = res if res is not None else search_resolution(radius_km)
    centre = h3.latlng_to_cell(lat, lon, res)
    reach = radius_km + DESCENDANT_SLACK * edge_km(res)
    rings: list[list[str]] = []
    k = 0
    while True:
        ring = [centre] if k == 0 else list(h3.grid_ring(centre, k))
        keep = sorted(c for c in ring if _point_to_cell_km(lat, lon, c) <= reach)
        if not keep and k > 0:
            return rings
        rings.append(keep)
        k += 1


def cell_queries(pool: str, cells: Iterable[str]) -> list[tuple[str, str, str]]:
    """``(geo_pk, sk_lo, sk_hi)`` per cell; one DynamoDB Query each."""
    h3 = _h3()
    out = []
    for cell in cells:
        res = h3.get_resolution(cell)
        parent = cell if res == PARTITION_RES else h3.cell_to_parent(cell, PARTITION_RES)
        lo, hi = leaf_range(cell)
        out.append((f"{pool}#{parent}", lo, hi))
    return out


def _leaf_pos(sk: str) -> int:
    """Position of a leaf among the res-9 cells of its res-5 partition (base-7 digits 6..9)."""
    v = int(sk[:15], 16)
    pos = 0
    for digit in range(PARTITION_RES + 1, LEAF_RES + 1):
        pos = pos * 7 + min(6, (v >> (3 * (15 - digit))) & 7)
    return pos


def _fine_parts(lat: float, lon: float, cell: str, reach_fine: float) -> list[str]:
    """The cell itself if the circle may cover all of it, else its children that it may touch."""
    h3 = _h3()
    res = h3.get_resolution(cell)
    if res >= LEAF_RES:
        return [cell]
    children = h3.cell_to_children(cell, res + 1)
    keep = [c for c in children if _point_to_cell_km(lat, lon, c) <= reach_fine]
    return [cell] if len(keep) == len(children) else keep


def _pos_hex(partition: str, pos: int) -> str:
    """The res-9 cell (15 hex digits) at leaf position ``pos`` of a res-5 partition (inverse of
    :func:`_leaf_pos`)."""
    v = (_h3().str_to_int(partition) & ~_RES_MASK) | (LEAF_RES << _RES_SHIFT)
    for digit in range(LEAF_RES, PARTITION_RES, -1):
        off = 3 * (15 - digit)
        v = (v & ~(7 << off)) | ((pos % 7) << off)
        pos //= 7
    return cell_hex(v)


Span = tuple[str, int, int]  # (res-5 partition cell, first leaf position, last leaf position)


def _union(spans: Iterable[Span], touching: bool = True) -> list[Span]:
    """Sorted, with overlapping (and, if ``touching``, adjacent) spans of one partition joined."""
    out: list[list] = []
    for part, a, b in sorted(spans):
        if out and out[-1][0] == part and a <= out[-1][2] + (1 if touching else 0):
            out[-1][2] = max(out[-1][2], b)
        else:
            out.append([part, a, b])
    return [tuple(s) for s in out]


def _subtract(spans: list[Span], done: list[Span]) -> list[Span]:
    """The parts of ``spans`` not already read (``done`` is a union)."""
    out: list[Span] = []
    for part, a, b in spans:
        for dpart, da, db in done:
            if dpart != part or db < a or da > b:
                continue
            if da > a:
                out.append((part, a, da - 1))
            a = db + 1
            if a > b:
                break
        if a <= b:
            out.append((part, a, b))
    return out


def disc_spans(lat: float, lon: float, radius_km: float) -> list[Span]:
    """Leaf-position spans holding every helper that may lie within ``radius_km`` of the point: the
    cells of the resolution that fits the radius (``search_resolution``) that the circle may reach,
    tightened one resolution finer where the circle covers only part of a cell."""
    h3 = _h3()
    res = search_resolution(radius_km)
    reach_fine = radius_km + DESCENDANT_SLACK * edge_km(min(res + 1, LEAF_RES))
    spans = []
    for ring in ring_cells(lat, lon, radius_km, res):
        for cell in ring:
            for part in _fine_parts(lat, lon, cell, reach_fine):
                pres = h3.get_resolution(part)
                parent = part if pres == PARTITION_RES else h3.cell_to_parent(part, PARTITION_RES)
                lo, hi = leaf_range(part)
                spans.append((parent, _leaf_pos(lo), _leaf_pos(hi)))
    return _union(spans, touching=False)  # merge_to_budget joins neighbours (or not, by pages)


def merge_to_budget(spans: list[Span], budget: int, free_gap_leaves: float = 0.0,
                    page_leaves: float = math.inf) -> list[Span]:
    """Join the spans of one partition across the smallest leaf gaps until at most ``budget`` remain
    (fewest extra leaves read for that many queries), and also across any gap of at most
    ``free_gap_leaves`` leaves (where the index is so sparse that reading the gap costs less than
    another query). Spans in different partitions cannot be joined, so a circle over more
    partitions than ``budget`` needs one query per partition.

    ``page_leaves``: about how many leaves' items fill one 1 MB Query page (from a density). A span
    longer than that costs a request per page, so among the joins, those that add no page go first
    (then the smallest gap): the spans stay within a page where the budget allows."""
    # with a page size, adjacent spans stay apart until a join is chosen (two neighbouring cells
    # may together overflow a page that each fits)
    merged = [list(s) for s in _union(spans, touching=page_leaves == math.inf)]

    def pages(a: int, b: int) -> int:
        return max(1, math.ceil((b - a + 1) / page_leaves)) if page_leaves < math.inf else 1

    while len(merged) > 1:
        options = []
        for i, (a, b) in enumerate(zip(merged, merged[1:])):
            if a[0] != b[0]:
                continue
            added = pages(a[1], b[2]) - pages(a[1], a[2]) - pages(b[1], b[2]) + 1  # pages beyond one saved query
            options.append((max(0, added), b[1] - a[2], i))
        if not options:
            break
        added, gap, i = min(options)
        if len(merged) <= max(1, budget) and (gap - 1 > free_gap_leaves or added > 0):
            break
        merged[i][2] = merged[i + 1][2]
        del merged[i + 1]
    return [tuple(m) for m in merged]


LEAF_AREA_KM2 = 0.1053  # average res-9 cell
# A Query page ends at 1 MB of items read; planned at 80 % since densities are estimates (a hint,
# or what the search has read so far).
PAGE_BYTES = 0.8 * 1_000_000
# Bytes per index item as DynamoDB counts them, learned from the capacity queries consume
# (observe_page); starts at a typical MATCH_PROJECTION item.
_ITEM_BYTES = [450.0]
# A query costs a round trip and at least one read unit (4 KB, ~12 index items); reading this many
# more items in one query costs less than a query of its own, so gaps expected to hold fewer are
# read through.
MERGE_GAP_ITEMS = 12.0


def observe_page(items: int, capacity_units: float) -> None:
    """Learn the index item size from one Query page: an eventually consistent read costs 0.5
    units per 4 KB read, so ``units x 8 KB / items`` bounds the item size from above (pages of
    50 items or more only, where rounding up to the next 4 KB matters little)."""
    if items >= 50 and capacity_units > 0:
        _ITEM_BYTES[0] = 0.7 * _ITEM_BYTES[0] + 0.3 * (capacity_units * 8192 / items)


def _leaves_holding(items: float, read_density: float | None, unknown: float) -> float:
    """How many leaves hold about ``items`` index items at ``read_density`` (``unknown`` if none)."""
    return items / (read_density * LEAF_AREA_KM2) if read_density else unknown


def _page_leaves(read_density: float | None) -> float:
    return _leaves_holding(PAGE_BYTES / _ITEM_BYTES[0], read_density, math.inf)


def _free_gap_leaves(read_density: float | None) -> float:
    return _leaves_holding(MERGE_GAP_ITEMS, read_density, 0.0)


def span_query(pool: str, span: Span) -> tuple[str, str, str]:
    """``(geo_pk, sk_lo, sk_hi)``: one DynamoDB Query for the span."""
    part, a, b = span
    return f"{pool}#{part}", _pos_hex(part, a) + "#", _pos_hex(part, b) + "#\uffff"


def covering_queries(pool: str, lat: float, lon: float, radius_km: float, budget: int) -> list[tuple[str, str, str]]:
    """At most ``budget`` (one per partition at least) queries covering the whole circle."""
    return [span_query(pool, s) for s in merge_to_budget(disc_spans(lat, lon, radius_km), budget)]


MAX_QUERIES = 8
# The density-adaptive search (``nearest_search`` with ``enough``):
FIRST_STEP_KM = 0.35  # without a density hint, step 1 reads the circle of this radius (res 8/9)
STEP_BUDGETS = (3, 3)  # queries of the sizing steps; the last step gets the rest of MAX_QUERIES
HINTED_BUDGETS = (4, 3)  # with a density hint: a step sized from it, a second if it fell short
HINT_SAFETY = 2.0  # the hinted step aims at this many times ``enough`` (density varies locally)
SAFETY = 1.6  # a sized step aims at this many times ``enough`` at the density seen so far
EMPTY_GROWTH = 4.0  # radius growth after a step that found no one
# Density hints: (accepted helpers per km², index items per km²) seen by the last search per
# (pool, res-5 partition, hint key). Only where the first step starts depends on them; the answer
# never does. Where they are kept is the caller's choice (``hints=``): by default this process's
# memory (bounded, cleared when full); the app passes a store every container reads
# (``services/geo_hints.py``), so the first search of a fresh container starts sized too.


class MemoryHints:
    """Density hints in this process's memory."""

    MAX = 4096

    def __init__(self):
        self.known: dict[tuple, tuple[float, float | None]] = {}

    def get(self, key: tuple) -> tuple[float, float | None] | None:
        return self.known.get(key)

    def put(self, key: tuple, value: tuple[float, float | None]) -> None:
        if len(self.known) >= self.MAX:
            self.known.clear()
        self.known[key] = value

    def clear(self) -> None:
        self.known.clear()


_MEMORY = MemoryHints()
_DENSITY = _MEMORY.known  # the process's own hints (the benchmark's warm engine reads them)


def clear_density_hints() -> None:
    _MEMORY.clear()


@dataclass
class SearchResult:
    found: list[dict]  # accepted items within the radius, nearest first, each with "distance_km"
    queries: int = 0
    items_read: int = 0
    steps: int = 0  # sequential rounds of (parallel) queries
    covered_km: float = 0.0  # every helper within this distance has been read


QueryFn = Callable[[str, str, str], list[dict]]


def nearest_search(pool: str, lat: float, lon: float, radius_km: float, query: QueryFn, *,
                   enough: int | None = None, accept: Callable[[dict], bool] | None = None,
                   pool_executor: ThreadPoolExecutor | None = None, max_queries: int = MAX_QUERIES,
                   first_km: float = FIRST_STEP_KM, hint: str | None = "", hints=None) -> SearchResult:
    """The ``enough`` nearest accepted helpers within ``radius_km`` (``None``: all of them), nearest
    first, exactly as a scan of every helper would rank them, in at most ``max_queries`` queries.

    Density-adaptive: step 1 reads a small circle (``first_km``) at a fine resolution; while fewer
    than ``enough`` accepted helpers lie inside the circle read so far, the next step widens the
    circle to where the density seen promises ``SAFETY`` x ``enough`` and reads only the leaf spans
    not read yet; the last step covers the whole radius with the queries left. A step's queries run
    in parallel. Once ``enough`` accepted helpers lie within the covered circle, nobody unread can
    be nearer than them, so the answer is exact. In a dense city the search ends after a few
    hundred metres; in a sparse area it widens to the full radius.

    Density hint: the density the last search in the same partition with the same ``hint`` key
    (e.g. the category, since ``accept`` filters on it) saw sizes step 1 directly (usually the
    only step); ``hint=None`` neither reads nor learns one. ``hints`` keeps them (``get``/``put``;
    default: this process's memory).

    ``query(geo_pk, sk_lo, sk_hi)`` returns the index items (with ``lat``/``lon``) of one span.
    ``accept(item)`` sees the item with its ``distance_km`` (e.g. a skill or the helper's own
    service radius).
    """
    result = SearchResult(found=[])
    seen: set[str] = set()
    cands: list[dict] = []
    done: list[Span] = []
    own = pool_executor is None
    ex = pool_executor or ThreadPoolExecutor(max_workers=8)
    r = radius_km if enough is None else min(radius_km, first_km)
    budgets = STEP_BUDGETS
    hint_key = None
    read_density: float | None = None  # index items (accepted or not) per km², to read sparse gaps through
    read_km: list[float] = []  # distance of every item read (within the radius)
    hints = _MEMORY if hints is None else hints
    if hint is not None:
        key = (pool, _h3().latlng_to_cell(lat, lon, PARTITION_RES), hint)
        known = hints.get(key)
        if known is not None:
            density, read_density = known  # a whole-circle search uses it to plan its pages
        if enough is not None:
            hint_key = key
            if known is not None:
                budgets = HINTED_BUDGETS
                r = min(radius_km, math.sqrt(HINT_SAFETY * enough / (math.pi * max(density, 1e-9))))
    # the last step needs at least one query per res-5 partition the circle reaches
    reserve = sum(len(ring) for ring in ring_cells(lat, lon, radius_km, PARTITION_RES)) if enough is not None else 0
    try:
        while True:
            budget = min(budgets[result.steps], max_queries - result.queries - reserve) \
                if result.steps < len(budgets) else 0
            if budget < 1 or r >= radius_km:
                r, budget = radius_km, max_queries - result.queries
            free = _free_gap_leaves(read_density)
            # the last step (the whole circle) plans by requests, pages included
            page = _page_leaves(read_density) if r >= radius_km else math.inf
            spans = merge_to_budget(_subtract(disc_spans(lat, lon, r), done), budget, free, page)
            if len(spans) > budget and r < radius_km:  # more partitions than the step may query
                r, budget = radius_km, max_queries - result.queries
                spans = merge_to_budget(_subtract(disc_spans(lat, lon, r), done), budget, free,
                                        _page_leaves(read_density))
            done = _union(done + spans)
            specs = [span_query(pool, s) for s in spans]
            result.queries += len(specs)
            result.steps += 1
            for items in ex.map(lambda s: query(*s), specs):
                result.items_read += len(items)
                for item in items:
                    key = item.get("helper_id") or item.get("geo_sk")
                    if key in seen:
                        continue
                    seen.add(key)
                    km = haversine_km(lat, lon, float(item["lat"]), float(item["lon"]))
                    if km > radius_km:
                        continue
                    read_km.append(km)
                    item = {**item, "distance_km": km}
                    if accept is None or accept(item):
                        cands.append(item)
            result.covered_km = r
            # every item within r has been read by now (earlier steps covered smaller circles)
            read_density = max(1, sum(1 for d in read_km if d <= r)) / (math.pi * r * r)
            if enough is None or r >= radius_km:
                break
            inside = sum(1 for c in cands if c["distance_km"] <= r)
            if inside >= enough:
                break
            grow = math.sqrt(SAFETY * enough / inside) if inside else EMPTY_GROWTH
            r = min(radius_km, r * max(1.5, grow))
    finally:
        if own:
            ex.shutdown(wait=False)
    if hint_key is not None and result.covered_km > 0:
        inside = sum(1 for c in cands if c["distance_km"] <= result.covered_km)
        hints.put(hint_key, (inside / (math.pi * result.covered_km ** 2), read_density))
    cands.sort(key=lambda i: (i["distance_km"], i.get("helper_id") or i.get("geo_sk") or ""))
    result.found = cands if enough is None else cands[:enough]
    return result




INDEX_FIELDS = ("geo_pk", "geo_sk", "remote_pool", "remote_sk")


def can_take_work(helper: dict) -> bool:
    """In the index only when active, on duty, not suspended and not on a job."""
    return (helper.get("status") == "active" and not helper.get("off_duty") and not helper.get("busy_with")
            and helper.get("lat") is not None and helper.get("lon") is not None)


def index_fields(helper: dict) -> dict[str, str | None]:
    """The index keys a helper record should carry (None = absent, i.e. not in that index).

    The pool is the tenant: a tenant's helpers serve only that tenant's bookings."""
    fields: dict[str, str | None] = dict.fromkeys(INDEX_FIELDS)
    if not can_take_work(helper):
        return fields
    pool = helper["tenant_id"]
    fields["geo_pk"], fields["geo_sk"] = index_keys(pool, float(helper["lat"]), float(helper["lon"]),
                                                    helper["helper_id"])
    if helper.get("remote"):
        from chalicelib.domain.ranking import bayesian_rating

        stars = bayesian_rating(helper.get("rating_count", 0), helper.get("rating_sum", 0))
        fields["remote_pool"] = pool
        fields["remote_sk"] = f"{1000 - int(round(stars * 100)):04d}#{helper['helper_id']}"
    return fields
