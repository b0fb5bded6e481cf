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

The search (``domain.geo_search.nearest_search``) is density-adaptive: the product asks for the N nearest helpers
who qualify, so it starts with a small circle at a fine resolution (res 8/9 ranges on the same res-9
sort key) and widens only as far as the density it sees requires, reading leaf spans it has not
read yet; in a dense city it stops within a few hundred metres, in a sparse area it reaches the
full radius. Cells are turned into leaf-position spans per res-5 partition, merged across the
smallest gaps to stay within 8 queries per search, and each step's queries run in parallel.

This module is the H3 maths and the index keys (cells, leaf ranges, spans, the queries that cover
a circle); ``domain.geo_search`` is the search that plans its steps with them (page costs, density
hints, parallel queries). Both are pure (no AWS).
"""
from __future__ import annotations

import math
from typing import Iterable

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


def partition_cell(lat: float, lon: float) -> str:
    """The res-5 partition a point lies in."""
    return _h3().latlng_to_cell(lat, lon, PARTITION_RES)


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


def union_spans(spans: Iterable[Span], touching: bool = True) -> list[Span]:
    """Sorted, with overlapping (and, if ``touching``, adjacent) spans of one partition joined."""
    out: list[list] = []
    for part, a, b in sorted(spans):
        if out and out[-1][0] == part and a <= out[-1][2] + (1 if touching else 0):
            out[-1][2] = max(out[-1][2], b)
        else:
            out.append([part, a, b])
    return [tuple(s) for s in out]


def subtract_spans(spans: list[Span], done: list[Span]) -> list[Span]:
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
    return union_spans(spans, touching=False)  # merge_to_budget joins neighbours (or not, by pages)


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
    merged = [list(s) for s in union_spans(spans, touching=page_leaves == math.inf)]

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


def span_query(pool: str, span: Span) -> tuple[str, str, str]:
    """``(geo_pk, sk_lo, sk_hi)``: one DynamoDB Query for the span."""
    part, a, b = span
    return f"{pool}#{part}", _pos_hex(part, a) + "#", _pos_hex(part, b) + "#\uffff"


def covering_queries(pool: str, lat: float, lon: float, radius_km: float, budget: int) -> list[tuple[str, str, str]]:
    """At most ``budget`` (one per partition at least) queries covering the whole circle."""
    return [span_query(pool, s) for s in merge_to_budget(disc_spans(lat, lon, radius_km), budget)]


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
