"""Ranking of helper candidates for a booking (pure).

score = sum(weight[c] * component[c]) over the components below, each in 0..1; weights are a tenant
setting (``match_weights``, platform defaults in ``domain.policy``) and are normalised to sum 1.

- ``distance``: 1 at the door, falling linearly to 0 at the round's search radius. Remote: 1.
- ``skill``: the helper's level for the category / 3 (1 basics, 2 experienced, 3 specialist).
- ``availability``: 1 if the wanted time (now for "as soon as possible") falls in one of the
  helper's weekly windows or the helper is on call (24/7); 0.5 if the helper works later that day;
  0 otherwise.
- ``rating``: Bayesian average of the stars, ``(C*m + rating_sum) / (C + rating_count)`` with the
  prior ``m = 4.5`` stars worth ``C = 5`` ratings, scaled from 1..5 to 0..1. A new helper starts at
  4.5 instead of being ranked by one lucky or unlucky first review.
- ``acceptance``: share of offers accepted, with the prior 70 % worth 5 offers.
- ``fairness``: recent load. 1 for a helper with no job in the last 72 h (or never: new helpers get
  work too), falling linearly to 0 for one assigned a job just now.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

RATING_PRIOR_MEAN = 4.5
RATING_PRIOR_WEIGHT = 5
ACCEPTANCE_PRIOR = 0.7
ACCEPTANCE_PRIOR_WEIGHT = 5
FAIRNESS_HOURS = 72
HELPER_TZ = "Europe/Zurich"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SKILL_WORDS = {1: "helps with {c} basics", 2: "experienced with {c}", 3: "{c} specialist"}
CATEGORY_WORDS = {"computer": "computer", "printer": "printer", "phone_tablet": "phone and tablet",
                  "internet_wifi": "internet and Wi-Fi", "tv": "TV", "smart_home": "smart home", "other": "tech"}
LANGUAGE_WORDS = {"de": "German", "en": "English", "fr": "French", "it": "Italian"}
COMPONENTS = ("distance", "skill", "availability", "rating", "acceptance", "fairness")


def bayesian_rating(rating_count: float, rating_sum: float) -> float:
    n = float(rating_count or 0)
    return (RATING_PRIOR_WEIGHT * RATING_PRIOR_MEAN + float(rating_sum or 0)) / (RATING_PRIOR_WEIGHT + n)


def acceptance_rate(received: float, accepted: float) -> float:
    return (ACCEPTANCE_PRIOR_WEIGHT * ACCEPTANCE_PRIOR + float(accepted or 0)) / (
        ACCEPTANCE_PRIOR_WEIGHT + float(received or 0))


def _parse(ts: str | datetime | None) -> datetime | None:
    if ts is None or ts == "":
        return None
    if isinstance(ts, datetime):
        return ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(str(ts).replace("Z", "+00:00"))


def wanted_time(wanted: Mapping[str, Any] | None, now: datetime) -> datetime:
    wanted = wanted or {}
    if wanted.get("asap", True) or not wanted.get("at"):
        return now
    return _parse(wanted["at"]) or now


def availability(helper: Mapping[str, Any], when: datetime) -> float:
    """1 inside a weekly window or on call, 0.5 if a window starts later that day, else 0."""
    if helper.get("on_call"):
        return 1.0
    from zoneinfo import ZoneInfo

    local = when.astimezone(ZoneInfo(HELPER_TZ))
    hhmm = local.strftime("%H:%M")
    windows = (helper.get("availability") or {}).get(WEEKDAYS[local.weekday()]) or []
    later = False
    for start, end in windows:
        if start <= hhmm < end:
            return 1.0
        if hhmm < start:
            later = True
    return 0.5 if later else 0.0


def next_available(helper: Mapping[str, Any], now: datetime, days: int = 7) -> str | None:
    """When the helper could come: ``"now"``, or the next window start as ISO time (helper's zone)."""
    if helper.get("on_call") or availability(helper, now) == 1.0:
        return "now"
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    local = now.astimezone(ZoneInfo(HELPER_TZ))
    for d in range(days + 1):
        day = local + timedelta(days=d)
        for start, _end in sorted((helper.get("availability") or {}).get(WEEKDAYS[day.weekday()]) or []):
            h, m = (int(x) for x in start.split(":"))
            at = day.replace(hour=h, minute=m, second=0, microsecond=0)
            if at > local:
                return at.isoformat()
    return None


def normalised_weights(weights: Mapping[str, float]) -> dict[str, float]:
    w = {c: max(0.0, float(weights.get(c, 0))) for c in COMPONENTS}
    total = sum(w.values()) or 1.0
    return {c: v / total for c, v in w.items()}


def score_candidate(helper: Mapping[str, Any], *, category: str, mode: str, distance_km: float | None,
                    radius_km: float, when: datetime, now: datetime,
                    weights: Mapping[str, float]) -> dict[str, Any]:
    """The score and its breakdown for one helper (dict stored on the offer)."""
    level = int((helper.get("skills") or {}).get(category, 0))
    avg = bayesian_rating(helper.get("rating_count", 0), helper.get("rating_sum", 0))
    last = _parse(helper.get("last_assigned_at"))
    hours_since = None if last is None else max(0.0, (now - last).total_seconds() / 3600)
    parts = {
        "distance": 1.0 if mode == "remote" or distance_km is None
        else max(0.0, 1.0 - distance_km / max(radius_km, 0.1)),
        "skill": level / 3,
        "availability": availability(helper, when),
        "rating": (avg - 1) / 4,
        "acceptance": acceptance_rate(helper.get("offers_received", 0), helper.get("offers_accepted", 0)),
        "fairness": 1.0 if hours_since is None else min(1.0, hours_since / FAIRNESS_HOURS),
    }
    w = normalised_weights(weights)
    total = sum(w[c] * parts[c] for c in COMPONENTS)
    breakdown: dict[str, Any] = {"total": round(total, 4), "parts": {c: round(v, 3) for c, v in parts.items()},
                                 "skill_level": level, "rating_count": int(helper.get("rating_count") or 0),
                                 "rating_average": round(float(helper["rating_sum"]) / int(helper["rating_count"]), 1)
                                 if int(helper.get("rating_count") or 0) else None}
    if distance_km is not None and mode != "remote":
        breakdown["distance_km"] = round(distance_km, 1)
    breakdown["reason"] = reason(breakdown, category=category, mode=mode,
                                 languages=helper.get("languages") or [], on_call=bool(helper.get("on_call")))
    return breakdown


def reason_codes(breakdown: Mapping[str, Any], *, category: str, mode: str, languages: list[str] = (),
                 on_call: bool = False) -> list[dict[str, Any]]:
    """Why this helper, as codes with parameters, for the reader's language to put into words
    (the web app's ``why_*`` texts): ``[{"code": "km", "km": 3.5}, {"code": "skill", "level": 3,
    "category": "printer"}, {"code": "rated", "avg": 4.8, "count": 31}, {"code": "on_call"}]``."""
    out: list[dict[str, Any]] = []
    if mode == "remote":
        out.append({"code": "remote", "languages": list(languages[:2])})
    elif breakdown.get("distance_km") is not None:
        out.append({"code": "km", "km": float(breakdown["distance_km"])})
    level = int(breakdown.get("skill_level") or 0)
    if level:
        out.append({"code": "skill", "level": min(3, level), "category": category})
    count = int(breakdown.get("rating_count") or 0)
    if count:
        out.append({"code": "rated", "avg": float(breakdown["rating_average"]), "count": count})
    else:
        out.append({"code": "new"})
    if on_call:
        out.append({"code": "on_call"})
    return out


def reason(breakdown: Mapping[str, Any], *, category: str, mode: str, languages: list[str] = (),
           on_call: bool = False) -> str:
    """Plain words for the customer: "3.2 km away, printer specialist, 4.8 from 31 visits"
    (English, for logs, offers and ops; customers read :func:`reason_codes` in their language)."""
    bits = []
    if mode == "remote":
        langs = " and ".join(LANGUAGE_WORDS.get(lang, lang) for lang in languages[:2])
        bits.append(f"helps remotely{' in ' + langs if langs else ''}")
    elif breakdown.get("distance_km") is not None:
        bits.append(f"{breakdown['distance_km']:.1f} km away")
    level = int(breakdown.get("skill_level") or 0)
    if level:
        bits.append(SKILL_WORDS[min(3, level)].format(c=CATEGORY_WORDS.get(category, category)))
    count = int(breakdown.get("rating_count") or 0)
    if count:
        bits.append(f"{breakdown['rating_average']:.1f} from {count} visit{'s' if count != 1 else ''}")
    else:
        bits.append("new on crowdfix")
    if on_call:
        bits.append("on call 24/7")
    return ", ".join(bits)


def rank(scored: list[dict]) -> list[dict]:
    """Best first; ties broken by distance then helper id (stable, deterministic)."""
    return sorted(scored, key=lambda c: (-c["score"]["total"], c["score"].get("distance_km", 0),
                                         c["helper_id"]))
