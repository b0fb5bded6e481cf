"""Matching: the helper geo index, candidate search and ranking for dispatch, public discovery.

Index upkeep: the helpers stream handler (``handlers/matching.py``) calls :func:`sync_index` with
each new image. Every writer (sign-up, ops suspending someone, a helper going off duty, the busy
flag below) therefore keeps the index right without knowing it exists; seed and bulk loads set the
same keys at write time via ``domain.geocells.index_fields``. The stream write that fixes the keys
is conditional on the fields the keys were derived from, and a second delivery finds nothing to
change.

Busy: the booking effects below set ``busy_with`` on accept and clear it when the job ends or the
helper cancels; the stream then takes the helper out of / back into the index.
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from dataclasses import asdict
from functools import partial

from chalicelib.domain import geo_search, geocells, ranking
from chalicelib.domain.errors import ValidationFailed
from chalicelib.store.conditions import ConditionFailed
from chalicelib.store.helper_index import helper_index
from chalicelib.store.helpers import helpers

log = logging.getLogger(__name__)

_executor: ThreadPoolExecutor | None = None


def executor() -> ThreadPoolExecutor:
    """One pool per container for the parallel cell queries."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="geo")
    return _executor


# ---------------------------------------------------------------------------------------------
# reading the index

def query_cell(geo_pk: str, sk_lo: str, sk_hi: str, table: str | None = None, index=None) -> list[dict]:
    """All index items of one cell (every page). ``table`` only for the benchmark's tables; ``index``
    the repository to read (default: the one in force in the calling thread)."""
    items: list[dict] = []
    for page, capacity in (index or helper_index()).cell_pages(geo_pk, sk_lo, sk_hi, table=table):
        geo_search.observe_page(len(page), capacity)
        items.extend(page)
    return items


def _helper_id(item: dict) -> str:
    return item.get("helper_id") or item["geo_sk"].split("#", 1)[1]


def search_nearby(pool: str, lat: float, lon: float, radius_km: float, *, category: str | None = None,
                  exclude: set[str] = frozenset(), enough: int | None = None,
                  service_radius_extra_km: float | None = None, payout_ready: bool = False) -> geo_search.SearchResult:
    """Helpers of ``pool`` who can take work now within ``radius_km``, with the skill if given: the
    ``enough`` nearest (``None``: all), nearest first. ``service_radius_extra_km`` (if given) keeps
    only helpers whose own service radius plus that much reaches the place; ``payout_ready`` only
    helpers who can be paid out. Filtering inside the search makes the nearest-N exact among the
    helpers that really qualify."""
    def accept(item: dict) -> bool:
        if _helper_id(item) in exclude:
            return False
        if category is not None and int((item.get("skills") or {}).get(category, 0)) <= 0:
            return False
        if service_radius_extra_km is not None and \
                item["distance_km"] > float(item.get("service_radius_km") or 10) + service_radius_extra_km:
            return False
        return not payout_ready or bool(item.get("payout_ready"))

    from chalicelib.services.geo_hints import shared_hints

    # the cells are read on the pool's threads: they read the repository this thread has in force
    cell = partial(query_cell, index=helper_index())
    return geo_search.nearest_search(pool, lat, lon, radius_km, cell, enough=enough, accept=accept,
                                   pool_executor=executor(), hint=f"{category}|{service_radius_extra_km}|{payout_ready}",
                                   hints=shared_hints())


def search_remote(pool: str, *, category: str, language: str, exclude: set[str] = frozenset(),
                  enough: int = 12, max_pages: int = 5) -> list[dict]:
    """Remote helpers with the skill and the language, best rated first (distance plays no part).
    Reads pages of the sparse remote-pool index until ``enough`` match or ``max_pages`` are read."""
    found: list[dict] = []
    pages = helper_index().remote_pages(pool, category=category, language=language)
    for _, page in zip(range(max_pages), pages):
        found.extend(item for item in page
                     if _helper_id(item) not in exclude and int((item.get("skills") or {}).get(category, 0)) > 0)
        if len(found) >= enough:
            break
    return found


# ---------------------------------------------------------------------------------------------
# dispatch: the ranked candidate search (replaces dispatch.find_candidates)

def ranked_candidates(booking, *, extra_radius_km: float, exclude: set[str], limit: int) -> list[dict]:
    """The best ``limit`` helpers for a booking: ``[{"helper": HelperReach, "score": breakdown}]``.

    On-site: geo index within the tenant's search radius plus this round's widening, and within
    each helper's own service radius plus the widening. Remote: skill and language only."""
    from chalicelib.services.tenants import pool_tenants, tenant_policy

    pol = tenant_policy(booking.tenant_id)
    pools = pool_tenants(booking.tenant_id)  # a partner's own helpers, the open crowd, or both
    now = datetime.now(timezone.utc)
    wanted = dict(booking.wanted or {})  # a record's maps are dicts (store.records.BookingRecord)
    when = ranking.wanted_time(wanted, now)
    enough = max(limit, 1) * int(pol["match_oversample"])
    if booking.mode == "remote":
        items = [i for pool in pools
                 for i in search_remote(pool, category=booking.category, language=booking.language,
                                        exclude=exclude, enough=enough)]
        radius = 0.0
    else:
        loc = dict(booking.location)
        radius = float(pol["search_radius_km"]) + float(extra_radius_km)
        items = [f for pool in pools
                 for f in search_nearby(pool, float(loc["lat"]), float(loc["lon"]), radius,
                                        category=booking.category, exclude=exclude, enough=enough,
                                        service_radius_extra_km=float(extra_radius_km),
                                        payout_ready=bool(pol.get("require_payout_ready"))).found]
    scored = []
    for item in items:
        score = ranking.score_candidate(item, category=booking.category, mode=booking.mode,
                                        distance_km=item.get("distance_km"), radius_km=radius or 1.0,
                                        when=when, now=now, weights=pol["match_weights"])
        scored.append({"helper_id": _helper_id(item), "score": score})
    out = []
    for cand in ranking.rank(scored):
        if len(out) >= limit:
            break
        # the index is eventually consistent: confirm on the record before offering
        helper = helpers().reach(cand["helper_id"], consistent=True)
        if helper is None:
            continue
        if pol.get("require_payout_ready") and not helper.payout_ready:
            continue  # payments: only helpers we can pay out are offered paid jobs
        if geocells.can_take_work(asdict(helper)) and helper.tenant_id in pools:
            out.append({"helper": helper, "score": cand["score"]})
    return out


# ---------------------------------------------------------------------------------------------
# discovery (public): who could help near a place

def discover(tenant_id: str, *, lat: float | None, lon: float | None, category: str, mode: str, language: str | None,
             when: datetime | None, limit: int) -> dict:
    """Public helper cards near a place for a category: rounded distance, price, qualifications
    for that category, rating, languages, when they could come. Never a home location or contact."""
    from chalicelib.services.tenants import get_tenant, pool_tenants, tenant_policy

    tenant = get_tenant(tenant_id)
    pol = tenant_policy(tenant_id)
    pools = pool_tenants(tenant_id)
    if mode == "onsite" and not served_area(pol, lat, lon):
        raise ValidationFailed("crowdfix does not serve this place yet; try a place in one of our areas",
                               field="lat", extra={"served_areas": [a["name"] for a in pol["served_areas"]]})
    now = datetime.now(timezone.utc)
    when = when or now
    if when < now.replace(second=0, microsecond=0):
        raise ValidationFailed("the wanted time is in the past; choose a time from now on", field="at")
    if mode == "remote":
        items = [i for pool in pools
                 for i in search_remote(pool, category=category, language=language or tenant.locale, enough=limit * 3)]
        radius = 0.0
    else:
        radius = float(pol["discover_radius_km"])
        # like dispatch: rank the nearest few times ``limit`` who qualify (not everyone in the circle)
        items = [i for pool in pools
                 for i in search_nearby(pool, lat, lon, radius, category=category, enough=limit * int(pol["match_oversample"]),
                                        service_radius_extra_km=0.0,
                                        payout_ready=bool(pol.get("require_payout_ready"))).found]
    if pol.get("require_payout_ready"):
        # show only helpers dispatch would really offer the job to
        items = [i for i in items if i.get("payout_ready")]
    scored = []
    for item in items:
        score = ranking.score_candidate(item, category=category, mode=mode, distance_km=item.get("distance_km"),
                                        radius_km=radius or 1.0, when=when, now=now, weights=pol["match_weights"])
        scored.append({"helper_id": _helper_id(item), "score": score, "item": item})
    typical_minutes = int(pol["typical_minutes"].get(category, pol["typical_minutes"]["other"]))
    cards = [_card(c["item"], c["helper_id"], c["score"], category, mode, typical_minutes, now, pol, tenant.currency)
             for c in ranking.rank(scored)[:limit]]
    return {"category": category, "mode": mode, "radius_km": radius or None, "count": len(cards), "helpers": cards,
            "typical_minutes": typical_minutes, "terms": booking_terms(pol, tenant, mode)}


def booking_terms(pol: dict, tenant, mode: str) -> dict:
    """What booking commits the customer to, before she books (the same policy values the hold,
    settlement and cancellation use): the amount held on the card, the travel fee of a visit, and
    the late-cancel fee (free until a helper is assigned)."""
    cur = tenant.currency
    landing = pol.get("landing") if isinstance(pol.get("landing"), dict) else {}
    return {"currency": cur,
            "hold": {"amount": int(pol["default_price_cap_minor"]), "currency": cur},
            "travel_fee": {"amount": int(pol["travel_fee_minor"]) if mode == "onsite" else 0, "currency": cur},
            "cancel_fee": {"amount": int(pol["late_cancel_fee_minor"]), "currency": cur},
            "cancel_free_until": "assigned",
            "support_phone": (landing or {}).get("hotline")}


def _qualification_code(text: str) -> dict:
    """``"printer level 3"`` -> ``{"category": "printer", "level": 3}`` for the reader's language;
    any other wording stays the helper's own ``text``."""
    import re

    from chalicelib.domain.catalog import CATEGORIES

    m = re.fullmatch(r"\s*([a-z ]+?)\s+level\s+([1-3])\s*", text.lower())
    if m and m.group(1).replace(" ", "_") in CATEGORIES:
        return {"category": m.group(1).replace(" ", "_"), "level": int(m.group(2))}
    return {"text": text}


def _card(item: dict, helper_id: str, score: dict, category: str, mode: str, minutes: int, now: datetime,
          pol: dict, currency: str) -> dict:
    from chalicelib.domain.pricing import hourly_rate_of, typical_total

    cur = item.get("currency") or currency
    rate = hourly_rate_of(item.get("hourly_rate"), pol, mode)
    count = int(item.get("rating_count") or 0)
    level = int((item.get("skills") or {}).get(category, 0))
    words = category.replace("_", " ")
    # rounded to 0.5 km (1 km beyond 10 km) so that distances from several places cannot
    # pin down a helper's home
    distance = None if mode == "remote" else _round_distance(item["distance_km"])
    quals = [q for q in item.get("qualifications") or [] if words in q.lower()]
    why_codes = ranking.reason_codes({**score, "distance_km": distance}, category=category, mode=mode,
                                     languages=list(item.get("languages") or []), on_call=bool(item.get("on_call")))
    return {
        "helper_id": helper_id, "first_name": item.get("first_name"),
        "distance_km": distance,
        # the same line items settlement computes (time blocks after the minimum, travel on-site)
        "price": {"hourly_rate": {"amount": rate, "currency": cur},
                  "typical_total": typical_total(hourly_rate=rate, minutes=minutes, mode=mode, currency=cur, policy=pol)},
        "skill_level": level,
        "qualifications": quals,
        "qualification_codes": [_qualification_code(q) for q in quals],
        "rating": {"average": round(float(item["rating_sum"]) / count, 1) if count else None, "count": count},
        "languages": list(item.get("languages") or []),
        "available": ranking.next_available(item, now),
        "on_call": bool(item.get("on_call")),
        "why": score["reason"],
        "why_codes": why_codes,
    }


def _round_distance(km: float) -> float:
    step = 0.5 if km < 10 else 1.0
    return max(step, round(km / step) * step)


def served_area(pol: dict, lat: float, lon: float) -> bool:
    from chalicelib.domain.geo import haversine_km

    return any(haversine_km(lat, lon, float(a["lat"]), float(a["lon"])) <= float(a["radius_km"])
               for a in pol["served_areas"])


# ---------------------------------------------------------------------------------------------
# index upkeep (helpers stream)

# the fields the index keys are derived from (``domain.geocells.index_fields``)
INDEX_SOURCES = ("status", "off_duty", "busy_with", "lat", "lon", "remote", "rating_count", "rating_sum")


def sync_index(helper: dict) -> str:
    """Bring one helper's index keys in line with its record. Returns what it did."""
    want = geocells.index_fields(helper)
    have = {k: helper.get(k) for k in geocells.INDEX_FIELDS}
    if want == have:
        return "unchanged"
    # only if the record still is what we derived the keys from; a newer write brings its own record
    derived_from = {name: helper.get(name) for name in INDEX_SOURCES}
    try:
        helpers().sync_index_keys(helper["helper_id"], {k: v for k, v in want.items() if v != have[k]}, derived_from)
    except ConditionFailed:
        return "stale"
    return "indexed" if want["geo_pk"] else "removed"


# ---------------------------------------------------------------------------------------------
# booking effects: busy flag and ranking counters (each exactly once per booking step; offers
# received are counted in the offer transaction itself, services/dispatch.py)

def _at(entry: dict) -> str:
    return entry.get("at") or datetime.now(timezone.utc).isoformat()


def mark_helper_busy(booking: dict, entry: dict, old: dict | None) -> None:
    """accept: the helper is busy (out of the index), counted once per booking and helper."""
    hid, bid = booking.get("helper_id"), booking["booking_id"]
    if not hid:
        return
    helpers().mark_busy(f"match#busy#{bid}#{hid}", hid, bid, _at(entry))


def free_helper(booking: dict, entry: dict, old: dict | None) -> None:
    """The job is over (done or cancelled) or the helper cancelled: free again, but only if the
    helper is still busy with *this* booking (a helper holding two jobs stays busy with the other)."""
    bid = booking["booking_id"]
    if entry.get("transition") == "cancel_by_helper":
        freed = entry.get("helper_id")
    else:
        freed = booking.get("helper_id") or (old or {}).get("helper_id")
    if freed:
        helpers().free(f"match#free#{bid}#{freed}#{entry.get('v')}", freed, bid, entry.get("at"))
