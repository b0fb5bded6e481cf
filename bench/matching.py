"""Benchmark: nearby-helper search on DynamoDB Local, crowdfix's H3 index vs dynamodbgeo.

For each size (default 1,000 / 10,000 / 100,000 helpers scattered within 20 km of Zürich) the same
points are loaded into

- a table with crowdfix's sparse ``by_geo`` index (``domain.geocells``: res-9 leaves under res-5
  partitions), and
- a table laid out by ``dynamodbgeo`` (S2 geohash ranges under hash-key prefixes),

and 200 searches of 5 km around random places within 8 km of the centre run against both, one
after the other. Reported per size and engine: p50/p95 latency, DynamoDB queries per search
(counted by a botocore ``before-call`` hook) and items read per search (``ScannedCount`` from an
``after-call`` hook).

Searches (definitions):

- ``crowdfix-top20`` — what dispatch and discovery run: the 20 nearest helpers within 5 km
  (``geo_search.nearest_search(enough=20)``), density-adaptive, with the per-partition density hint a
  warm container has (learned from the previous searches of the run). Every result is checked
  against a brute-force ranking of all points (``top_exact`` = searches whose answer was exactly
  the brute-force top 20). Its amplification is ``items read / helpers returned`` (returned =
  min(20, helpers inside the radius)): it does not read the whole circle, so "items read / helpers
  inside the radius" would flatter it.
- ``crowdfix-top20-cold`` — the same as a fresh container runs it: nothing in its memory, but the
  density hints every container shares (``services/geo_hints.py``, one GetItem) available.
- ``crowdfix-top20-blind`` — no hint at all (what a fresh container had before the hints were shared).
- ``crowdfix-full`` — every helper inside the circle (the same work as dynamodbgeo's radius
  query). Its read amplification = items read / helpers inside the radius: the issue's figure.
- ``dynamodbgeo`` — ``queryRadius`` (hashKeyLength 5), amplification as for ``crowdfix-full``.

Loading: BatchWriteItem of 25 in parallel threads (progress on stderr). dynamodbgeo has no batch
API (``put_Point`` is one PutItem per point), so its items are made with its own S2 hashing
(``generateGeohash``/``generateHashKey``, the exact attributes ``put_Point`` writes) and written the
same way; only loading is faster, its queries are its own.

Goals (issue 3): queries per search p95 <= 8 (every crowdfix search); read amplification median
<= 3 (crowdfix-full); p50 at the largest size <= 1.5x p50 at the smallest (crowdfix-top20); p50 <=
0.5x dynamodbgeo at every size (crowdfix-top20; crowdfix-full reported too). The last stdout line
is one JSON object saying which goals were met.

Usage: python bench/matching.py [--sizes 1000,10000,100000] [--searches 200] [--radius-km 5]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CITY = (47.3769, 8.5417)
SPREAD_KM = 20.0  # helpers live within 20 km of the centre
SEARCH_SPREAD_KM = 8.0  # customers search from within 8 km of the centre
TOP = 20
WARMUP = 20  # searches per engine before measuring
POOL = "bench"


class Counter:
    """Counts Query calls and items read on one botocore client (thread-safe)."""

    def __init__(self, *clients):
        self.lock = threading.Lock()
        self.queries = 0
        self.items = 0
        for client in clients:
            client.meta.events.register("before-call.dynamodb.Query", self._before)
            client.meta.events.register("after-call.dynamodb.Query", self._after)

    def _before(self, **_):
        with self.lock:
            self.queries += 1

    def _after(self, parsed=None, **_):
        with self.lock:
            self.items += int((parsed or {}).get("ScannedCount", 0))

    def snapshot(self):
        with self.lock:
            return self.queries, self.items


def scatter(n: int, seed: int, km: float) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    pts = []
    for _ in range(n):
        r, t = km * math.sqrt(rng.random()), rng.random() * 2 * math.pi
        # rounded as stored (6 decimals), so the brute-force ranking sees the same coordinates
        pts.append((round(CITY[0] + r * math.cos(t) / 111.32, 6),
                    round(CITY[1] + r * math.sin(t) / (111.32 * math.cos(math.radians(CITY[0]))), 6)))
    return pts


def batch_put(ddb, table: str, items: list[dict], label: str, workers: int = 6) -> None:
    """BatchWriteItem of 25 in parallel threads, retrying unprocessed items; progress on stderr."""
    chunks = [items[i:i + 25] for i in range(0, len(items), 25)]
    done = [0]
    lock = threading.Lock()
    t0 = time.perf_counter()

    def put(chunk):
        req = {table: [{"PutRequest": {"Item": it}} for it in chunk]}
        while req and req.get(table):
            out = ddb.batch_write_item(RequestItems=req)
            req = out.get("UnprocessedItems") or {}
        with lock:
            done[0] += len(chunk)
            if done[0] % 5000 < 25 or done[0] == len(items):
                rate = done[0] / max(1e-9, time.perf_counter() - t0)
                print(f"  {label}: {done[0]:,}/{len(items):,} items ({rate:,.0f}/s)", file=sys.stderr, flush=True)

    with ThreadPoolExecutor(workers) as ex:
        list(ex.map(put, chunks))


# ---------------------------------------------------------------------------------------------
# crowdfix

def crowdfix_table(ddb, name: str) -> None:
    ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("helper_id", "geo_pk", "geo_sk")],
        KeySchema=[{"AttributeName": "helper_id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "by_geo",
            "KeySchema": [{"AttributeName": "geo_pk", "KeyType": "HASH"},
                          {"AttributeName": "geo_sk", "KeyType": "RANGE"}],
            # the same projection as chalicelib.models.helpers.MATCH_PROJECTION
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": _projection()}}])


def _projection() -> list[str]:
    from chalicelib.models.helpers import MATCH_PROJECTION

    return list(MATCH_PROJECTION)


def crowdfix_items(points) -> list[dict]:
    from chalicelib.domain.geocells import index_keys

    rng = random.Random(5)
    items = []
    for i, (lat, lon) in enumerate(points):
        hid = f"h_b{i:07d}"
        pk, sk = index_keys(POOL, lat, lon, hid)
        items.append({"helper_id": {"S": hid}, "tenant_id": {"S": POOL}, "geo_pk": {"S": pk}, "geo_sk": {"S": sk},
                      "lat": {"N": f"{lat:.6f}"}, "lon": {"N": f"{lon:.6f}"},
                      "skills": {"M": {"printer": {"N": str(rng.randint(1, 3))}}},
                      "languages": {"L": [{"S": "de"}]}, "rating_count": {"N": str(rng.randint(0, 40))},
                      "rating_sum": {"N": str(rng.randint(0, 200))}, "hourly_rate": {"N": "6000"},
                      "first_name": {"S": "Anna"}, "service_radius_km": {"N": "10"}})
    return items


def crowdfix_search(table: str, lat: float, lon: float, radius_km: float, enough: int | None, executor,
                    cold: bool = False, blind: bool = False) -> list[str]:
    """``cold``: as a fresh container runs it — nothing in its memory, the hints every container
    shares (``services/geo_hints.py``, DynamoDB) available. ``blind``: no hint at all (what a fresh
    container had before the hints were shared)."""
    from chalicelib.domain import geo_search
    from chalicelib.services.geo_hints import SharedHints
    from chalicelib.services.matching import query_cell

    hints = SharedHints() if cold else (geo_search.MemoryHints() if blind else None)
    res = geo_search.nearest_search(POOL, lat, lon, radius_km, partial(query_cell, table=table), enough=enough,
                                  pool_executor=executor, hints=hints)
    return [i["helper_id"] for i in res.found]


# ---------------------------------------------------------------------------------------------
# dynamodbgeo

def geo_setup(ddb, name: str):
    import dynamodbgeo

    config = dynamodbgeo.GeoDataManagerConfiguration(ddb, name)
    config.hashKeyLength = 5  # its documented recommendation for radius queries of a few km
    manager = dynamodbgeo.GeoDataManager(config)
    table_util = dynamodbgeo.GeoTableUtil(config)
    create = table_util.getCreateTableRequest()
    create["BillingMode"] = "PAY_PER_REQUEST"
    create.pop("ProvisionedThroughput", None)
    for lsi in create.get("LocalSecondaryIndexes", []):
        lsi.pop("ProvisionedThroughput", None)
    ddb.create_table(**create)
    return dynamodbgeo, config, manager


def geo_items(dynamodbgeo, config, points) -> list[dict]:
    """The exact items dynamodbgeo's ``put_Point`` writes (same hash/range/geohash/geoJson), made with
    its own S2 hashing and written in batches instead of one PutItem each (only loading is faster)."""
    items = []
    for i, (lat, lon) in enumerate(points):
        geohash = dynamodbgeo.S2Manager().generateGeohash(dynamodbgeo.GeoPoint(lat, lon))
        hash_key = dynamodbgeo.S2Manager().generateHashKey(geohash, config.hashKeyLength)
        items.append({config.hashKeyAttributeName: {"N": str(hash_key)},
                      config.rangeKeyAttributeName: {"S": f"h_b{i:07d}"},
                      config.geohashAttributeName: {"N": str(geohash)},
                      config.geoJsonAttributeName: {"S": f"{lat},{lon}"}})
    return items


GEO_ERRORS: dict[str, int] = {}


def geo_search(dynamodbgeo, manager, lat: float, lon: float, radius_km: float) -> int | None:
    """dynamodbgeo's radius query. When one of its queries needs a second page it sends a starting
    key DynamoDB rejects ("The provided starting key does not match the range key predicate", seen
    at 100,000 helpers); such searches are counted as errors, not timed away silently."""
    from botocore.exceptions import ClientError

    req = dynamodbgeo.QueryRadiusRequest(dynamodbgeo.GeoPoint(lat, lon), radius_km * 1000, {}, sort=False)
    try:
        return len(manager.queryRadius(req))
    except ClientError as exc:
        msg = exc.response.get("Error", {}).get("Message", str(exc))
        GEO_ERRORS[msg] = GEO_ERRORS.get(msg, 0) + 1
        return None


# ---------------------------------------------------------------------------------------------

def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def measure(engines, searches, counter, inside, want):
    """Run every engine on each search in turn (interleaved, so JVM warm-up and machine-load drift
    hit all engines alike). ``engines``: ``[(label, fn, top or None)]``; ``inside``: helpers inside
    the radius per search; ``want``: the brute-force top ``TOP`` per search (checks top-N answers)."""
    stats = {label: {"lat": [], "q": [], "r": [], "amp": [], "exact": 0} for label, _, _ in engines}
    for k, ((lat, lon), n_in) in enumerate(zip(searches, inside)):
        for label, fn, top in engines:
            st = stats[label]
            q0, i0 = counter.snapshot()
            t0 = time.perf_counter()
            got = fn(lat, lon)
            st["lat"].append((time.perf_counter() - t0) * 1000)
            q1, i1 = counter.snapshot()
            st["q"].append(q1 - q0)
            st["r"].append(i1 - i0)
            if top and got == want[k]:
                st["exact"] += 1
            denom = min(top, n_in) if top else n_in
            if denom:
                st["amp"].append((i1 - i0) / denom)
    rows = []
    for label, _, top in engines:
        st = stats[label]
        row = {"engine": label, "p50_ms": round(pct(st["lat"], 50), 2), "p95_ms": round(pct(st["lat"], 95), 2),
               "queries_p50": pct(st["q"], 50), "queries_p95": pct(st["q"], 95), "items_read_p50": pct(st["r"], 50),
               ("items_read_per_result_median" if top else "read_amplification_median"):
                   round(statistics.median(st["amp"]), 2) if st["amp"] else None}
        if top:
            row["top_exact"] = f"{st['exact']}/{len(searches)}"
        rows.append(row)
    return rows


def brute_force(points, searches, radius_km, top):
    """Helpers inside the radius and the nearest ``top`` of them (ids), per search."""
    from bisect import bisect_left, bisect_right

    from chalicelib.domain.geo import haversine_km

    by_lat = sorted((p[0], p[1], i) for i, p in enumerate(points))
    lats = [p[0] for p in by_lat]
    inside, want = [], []
    for lat, lon in searches:
        dlat, dlon = radius_km / 110.0, radius_km / (110.0 * math.cos(math.radians(lat)))
        near = []
        for plat, plon, i in by_lat[bisect_left(lats, lat - dlat):bisect_right(lats, lat + dlat)]:
            if abs(plon - lon) <= dlon:
                km = haversine_km(lat, lon, plat, plon)
                if km <= radius_km:
                    near.append((km, f"h_b{i:07d}"))
        near.sort()
        inside.append(len(near))
        want.append([h for _, h in near[:top]])
    return inside, want


def run_size(ddb, ddb_geo, n, searches, radius_km, have_geo, log):
    """``ddb``: the app's client (crowdfix's searches); ``ddb_geo``: a stock boto3 client for
    dynamodbgeo, so the peer runs exactly as its users run it."""
    points = scatter(n, seed=n, km=SPREAD_KM)
    table = f"bench-crowdfix-{n}-{int(time.time())}"
    t0 = time.perf_counter()
    crowdfix_table(ddb, table)
    batch_put(ddb, table, crowdfix_items(points), f"crowdfix {n:,}")
    log(f"[{n}] loaded crowdfix table in {time.perf_counter() - t0:.1f}s")
    inside, want = brute_force(points, searches, radius_km, TOP)
    engines = []
    executor = ThreadPoolExecutor(max_workers=8)
    engines.append((f"crowdfix-top{TOP}", lambda a, b: crowdfix_search(table, a, b, radius_km, TOP, executor), TOP))
    engines.append((f"crowdfix-top{TOP}-cold",
                    lambda a, b: crowdfix_search(table, a, b, radius_km, TOP, executor, cold=True), TOP))
    engines.append((f"crowdfix-top{TOP}-blind",
                    lambda a, b: crowdfix_search(table, a, b, radius_km, TOP, executor, blind=True), TOP))
    engines.append(("crowdfix-full", lambda a, b: crowdfix_search(table, a, b, radius_km, None, executor), None))
    if have_geo:
        gtable = f"bench-geo-{n}-{int(time.time())}"
        t0 = time.perf_counter()
        mod, config, manager = geo_setup(ddb_geo, gtable)
        batch_put(ddb_geo, gtable, geo_items(mod, config, points), f"dynamodbgeo {n:,}")
        log(f"[{n}] loaded dynamodbgeo table in {time.perf_counter() - t0:.1f}s")
        engines.append(("dynamodbgeo", lambda a, b: geo_search(mod, manager, a, b, radius_km), None))
    for lat, lon in searches[:WARMUP]:  # warm up connections, caches and the JVM
        for _, fn, _ in engines:
            fn(lat, lon)
    counter = Counter(ddb, ddb_geo)
    GEO_ERRORS.clear()
    rows = measure(engines, searches, counter, inside, want)
    for r in rows:
        if r["engine"] == "dynamodbgeo" and GEO_ERRORS:
            r["errors"] = dict(GEO_ERRORS)  # measured searches that failed inside dynamodbgeo
        log(json.dumps(r))
    ddb.delete_table(TableName=table)
    if have_geo:
        ddb_geo.delete_table(TableName=gtable)
    executor.shutdown()
    for r in rows:
        r["helpers"] = n
        r["inside_radius_median"] = statistics.median(inside)
    return rows


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--searches", type=int, default=200)
    ap.add_argument("--radius-km", type=float, default=5.0)
    ap.add_argument("--endpoint", default=None, help="use a running DynamoDB Local instead of starting one")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    def log(msg):
        print(msg, flush=True)

    try:
        import dynamodbgeo  # noqa: F401
        have_geo = True
    except Exception as exc:  # reported honestly in the output
        log(f"dynamodbgeo unavailable ({exc!r}): comparing crowdfix only")
        have_geo = False

    services = None
    if args.endpoint:
        endpoint = args.endpoint
    else:
        from localdev.services import LocalServices

        services = LocalServices(start_timeout=180)  # a loaded 2-core machine starts Java slowly
        services.start()
        endpoint = services.dynamodb_url
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    try:
        import boto3
        from botocore.config import Config

        from chalicelib import aws

        ddb = boto3.session.Session().client("dynamodb", region_name=os.environ["AWS_DEFAULT_REGION"],
                                             endpoint_url=endpoint,
                                             config=Config(max_pool_connections=16, retries={"max_attempts": 4}))
        aws._clients["dynamodb"] = ddb  # the app's query code uses this client (and its counters)
        ddb_geo = boto3.session.Session().client("dynamodb", region_name=os.environ["AWS_DEFAULT_REGION"],
                                                 endpoint_url=endpoint,
                                                 config=Config(max_pool_connections=16, retries={"max_attempts": 4}))
        os.environ.setdefault("CROWDFIX_STAGE", "local")
        from chalicelib.models.geo_hints import GeoHint
        if not GeoHint.exists():  # the hints every container shares (the cold engine reads them)
            GeoHint.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
        searches = scatter(args.searches, seed=42, km=SEARCH_SPREAD_KM)
        rows = []
        for n in sizes:
            rows.extend(run_size(ddb, ddb_geo, n, searches, args.radius_km, have_geo, log))
    finally:
        if services is not None:
            services.stop()

    def row(engine, n):
        return next((r for r in rows if r["engine"] == engine and r["helpers"] == n), None)

    small, big = min(sizes), max(sizes)
    top = f"crowdfix-top{TOP}"
    crowdfix_rows = [r for r in rows if r["engine"].startswith("crowdfix")]
    queries_p95 = max(r["queries_p95"] for r in crowdfix_rows)
    amp = max(r["read_amplification_median"] or 0 for r in rows if r["engine"] == "crowdfix-full")
    scaling_top = round(row(top, big)["p50_ms"] / row(top, small)["p50_ms"], 2)
    scaling_full = round(row("crowdfix-full", big)["p50_ms"] / row("crowdfix-full", small)["p50_ms"], 2)
    vs_top = {n: round(row(top, n)["p50_ms"] / row("dynamodbgeo", n)["p50_ms"], 2) for n in sizes} if have_geo else {}
    vs_cold = {n: round(row(f"{top}-cold", n)["p50_ms"] / row("dynamodbgeo", n)["p50_ms"], 2)
               for n in sizes} if have_geo else {}
    vs_blind = {n: round(row(f"{top}-blind", n)["p50_ms"] / row("dynamodbgeo", n)["p50_ms"], 2)
                for n in sizes} if have_geo else {}
    vs_full = {n: round(row("crowdfix-full", n)["p50_ms"] / row("dynamodbgeo", n)["p50_ms"], 2)
               for n in sizes} if have_geo else {}
    goals = {
        "queries_p95_le_8": queries_p95 <= 8,
        "read_amplification_median_le_3": amp <= 3,
        "p50_scaling_top_le_1.5": scaling_top <= 1.5 if big > small else None,
        "p50_top_le_0.5x_dynamodbgeo": all(v <= 0.5 for v in vs_top.values()) if have_geo else None,
        "p50_cold_top_le_0.5x_dynamodbgeo_to_10k": all(v <= 0.5 for n, v in vs_cold.items() if n <= 10_000)
        if have_geo else None,
        "p50_full_le_0.5x_dynamodbgeo": all(v <= 0.5 for v in vs_full.values()) if have_geo else None,
        "top_exact": all(r["top_exact"].split("/")[0] == r["top_exact"].split("/")[1]
                         for r in rows if "top_exact" in r),
    }
    summary = {
        "metric": f"matching_p50_ms_at_{big}_helpers_{args.radius_km:g}km_top{TOP}",
        "value": row(top, big)["p50_ms"], "unit": "ms",
        "goal": "<=8 queries/search p95; read amplification <=3 (median, whole circle); p50 top-20 at largest "
                "<=1.5x at smallest; p50 <=0.5x dynamodbgeo",
        "goals_met": goals,
        "queries_p95": queries_p95, "read_amplification_median_full_worst": amp,
        "p50_scaling_top": scaling_top, "p50_scaling_full": scaling_full,
        "peer": "dynamodbgeo" if have_geo else None,
        "peer_p50_ms": row("dynamodbgeo", big)["p50_ms"] if have_geo else None,
        "vs_peer_top": vs_top, "vs_peer_top_cold": vs_cold, "vs_peer_top_blind": vs_blind, "vs_peer_full": vs_full,
        "sizes": sizes, "searches": args.searches, "load_average": os.getloadavg(), "rows": rows,
    }
    log("| helpers | search | p50 ms | p95 ms | queries p50/p95 | items read p50 | amplification (median) | exact top-20 |")
    log("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        amp_txt = (f"{r['read_amplification_median']} (read / inside)" if "read_amplification_median" in r
                   else f"{r['items_read_per_result_median']} (read / returned)")
        log(f"| {r['helpers']:,} | {r['engine']} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | "
            f"{r['queries_p50']} / {r['queries_p95']} | {r['items_read_p50']} | {amp_txt} | {r.get('top_exact', '—')} |")
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
