"""The density-adaptive nearest-helper search over the ``by_geo`` index (pure: the query function is
an argument, so it runs against DynamoDB in ``services.matching`` and against an in-memory fake in
``tests/unit/test_geocells.py``).

It plans its steps with the H3 maths of ``domain.geocells`` and two estimates kept here: what a
Query page holds (the index item size, learned from consumed capacity) and the density hints
(where a search's first step should end; kept in this process's memory by default or in a store
every container reads, ``services.geo_hints``). A step's queries run in parallel on the caller's
thread pool. Only how many queries a search needs depends on the estimates, never its answer.
"""
from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

from chalicelib.domain.geo import haversine_km
from chalicelib.domain.geocells import (PARTITION_RES, Span, disc_spans, merge_to_budget, partition_cell, ring_cells,
                                        span_query, subtract_spans, union_spans)


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
        key = (pool, partition_cell(lat, lon), hint)
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
            spans = merge_to_budget(subtract_spans(disc_spans(lat, lon, r), done), budget, free, page)
            if len(spans) > budget and r < radius_km:  # more partitions than the step may query
                r, budget = radius_km, max_queries - result.queries
                spans = merge_to_budget(subtract_spans(disc_spans(lat, lon, r), done), budget, free,
                                        _page_leaves(read_density))
            done = union_spans(done + spans)
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
