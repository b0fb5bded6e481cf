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

Everything here is pure (no AWS); the ring search itself is in ``ring_search`` and takes the
query function as an argument so it can be tested with an in-memory fake.
"""
from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
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
    """The finest resolution (5..8) whose first ring already spans the radius: about 5-7 queries
    for the circle, over-read ~2-3x. Finer means more queries, coarser means more items read."""
    for res in (8, 7, 6):
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


def covering_queries(pool: str, lat: float, lon: float, radius_km: float, cells: list[str],
                     budget: int) -> list[tuple[str, str, str]]:
    """Sort-key intervals covering ``cells`` where the circle may reach, tightened one resolution
    finer, then merged (smallest leaf gap first, within a partition) down to ``budget`` queries.
    Merging by smallest gap minimises the extra leaves read for a given number of queries."""
    h3 = _h3()
    if not cells:
        return []
    res = h3.get_resolution(cells[0])
    reach_fine = radius_km + DESCENDANT_SLACK * edge_km(min(res + 1, LEAF_RES))
    spans: list[list] = []  # [geo_pk, lo_sk, hi_sk]
    for cell in cells:
        for part in _fine_parts(lat, lon, cell, reach_fine):
            pk = cell_queries(pool, [part])[0]
            spans.append(list(pk))
    spans.sort()
    merged: list[list] = []
    for span in spans:  # join touching neighbours (no gap) at once
        if merged and merged[-1][0] == span[0] and _leaf_pos(span[1]) <= _leaf_pos(merged[-1][2]) + 1:
            merged[-1][2] = max(merged[-1][2], span[2])
        else:
            merged.append(span)
    while len(merged) > budget:
        gaps = [(_leaf_pos(b[1]) - _leaf_pos(a[2]), i) for i, (a, b) in enumerate(zip(merged, merged[1:]))
                if a[0] == b[0]]
        if not gaps:
            break  # every span in its own partition: cannot merge further
        _, i = min(gaps)
        merged[i][2] = merged[i + 1][2]
        del merged[i + 1]
    return [tuple(m) for m in merged]


MAX_QUERIES = 8


@dataclass
class SearchResult:
    found: list[dict]  # items within the radius, each with "distance_km"
    queries: int = 0
    items_read: int = 0
    rings: int = 0
    cells: list[str] = field(default_factory=list)


QueryFn = Callable[[str, str, str], list[dict]]


def ring_search(pool: str, lat: float, lon: float, radius_km: float, query: QueryFn, *,
                enough: int | None = None, accept: Callable[[dict], bool] | None = None,
                pool_executor: ThreadPoolExecutor | None = None, max_queries: int = MAX_QUERIES) -> SearchResult:
    """Search ring by ring; the cells of one ring are queried in parallel. Stops after the ring in
    which ``enough`` accepted items within the radius have been found (``None``: the whole circle).

    ``query(geo_pk, sk_lo, sk_hi)`` returns the index items (with ``lat``/``lon``) of one cell.
    """
    result = SearchResult(found=[])
    seen: set[str] = set()
    own = pool_executor is None
    ex = pool_executor or ThreadPoolExecutor(max_workers=8)
    try:
        rings = ring_cells(lat, lon, radius_km)
        outer_cells = sum(len(r) for r in rings[1:]) or 1
        for k, ring in enumerate(rings):
            result.rings += 1
            if not ring:
                continue
            result.cells.extend(ring)
            # the query budget is shared out over the rings by their number of cells
            budget = 1 if k == 0 else max(1, round((max_queries - 1) * len(ring) / outer_cells))
            specs = covering_queries(pool, lat, lon, radius_km, ring, budget)
            result.queries += len(specs)
            for items in ex.map(lambda s: query(*s), specs):
                result.items_read += len(items)
                for item in items:
                    key = item.get("helper_id") or item.get("geo_sk")
                    if key in seen:
                        continue
                    seen.add(key)
                    km = haversine_km(lat, lon, float(item["lat"]), float(item["lon"]))
                    if km > radius_km or (accept is not None and not accept(item)):
                        continue
                    result.found.append({**item, "distance_km": km})
            if enough is not None and len(result.found) >= enough:
                break
    finally:
        if own:
            ex.shutdown(wait=False)
    result.found.sort(key=lambda i: i["distance_km"])
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
