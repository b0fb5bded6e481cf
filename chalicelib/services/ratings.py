"""Rating aggregation and reading: the stream side of reviews.

Every committed change of a review becomes one DynamoDB transaction that

1. puts a processed-record guard ``agg#review#<booking>#v<version>`` (``attribute_not_exists``), and
2. ``ADD``s the change's delta (``domain.ratings.delta``) to the helper's, the tenant's and the
   platform's counters (all-time and the completion day's bucket), and to ``Helper.rating_count``
   / ``rating_sum`` which the booking views and matching read.

Both happen or neither does, so a replayed record never counts twice and a crash between the two
cannot lose or double a count. Counters are never read to be written.
"""
from __future__ import annotations

import logging
import time
from datetime import timedelta

from chalicelib.domain import ratings
from chalicelib.domain.ids import now_iso
from chalicelib.domain.ratings import ReviewScores
from chalicelib.store.quality import quality as quality_store
from chalicelib.store.ratings import counters as counters_store
from chalicelib.store.records import QualityCaseRecord

log = logging.getLogger(__name__)

GUARD_TTL = timedelta(days=30)
PLATFORM = "platform"
ALL = "all"


def helper_scope(helper_id: str) -> str:
    return f"helper#{helper_id}"


def tenant_scope(tenant_id: str) -> str:
    return f"tenant#{tenant_id}"


def day_bucket(day: str) -> str:
    return f"d#{day}"


def apply_review_change(new: dict | None, old: dict | None) -> bool:
    """Aggregate one stream record of the reviews table. True if counters moved, False for a
    replay or a change that does not touch the scores (e.g. ops hiding a comment)."""
    record = new or old
    if record is None:
        return False
    change = ratings.delta(ReviewScores.from_record(old), ReviewScores.from_record(new))
    if not change:
        return False
    version = f"v{int(record['version'])}" if new is not None else "removed"
    guard_key = f"agg#review#{record['booking_id']}#{version}"
    applied = add_counters(guard_key, change, helper_id=record["helper_id"], tenant_id=record["tenant_id"],
                           day=record["period_day"])
    if applied:
        evaluate_quality(record["helper_id"], record["tenant_id"])
    return applied


def add_counters(guard_key: str, change: dict[str, int], *, helper_id: str, tenant_id: str,
                 day: str | None) -> bool:
    """One transaction: the guard plus an ``ADD`` on every scope. False if the guard existed."""
    targets = [(helper_scope(helper_id), ALL, tenant_id), (tenant_scope(tenant_id), ALL, tenant_id),
               (PLATFORM, ALL, None)]
    if day and set(change) - {"no_shows"}:
        targets += [(tenant_scope(tenant_id), day_bucket(day), tenant_id), (PLATFORM, day_bucket(day), None)]
    applied = counters_store().add(guard_key, change, targets, helper_id=helper_id, guard_ttl=GUARD_TTL)
    if not applied:
        log.info("already aggregated: %s", guard_key)
    return applied


def record_no_show(booking: dict, entry: dict) -> bool:
    """A helper dropped an accepted job: count it once per history entry."""
    helper_id = entry.get("helper_id") or entry.get("actor_id")
    if not helper_id:
        return False
    applied = add_counters(f"agg#noshow#{booking['booking_id']}#v{entry.get('v')}", {"no_shows": 1},
                           helper_id=helper_id, tenant_id=booking["tenant_id"], day=None)
    if applied:
        evaluate_quality(helper_id, booking["tenant_id"])
    return applied


# ---------------------------------------------------------------------------------------------
# reading

_prior_cache: dict[str, tuple[float, float]] = {}
_PRIOR_TTL = 60.0


def read_totals(scope: str, bucket: str = ALL, consistent: bool = False) -> dict:
    return counters_store().totals(scope, bucket, consistent=consistent)


def platform_prior() -> float:
    """The prior mean for Bayesian averages (cached a minute per container)."""
    hit = _prior_cache.get(PLATFORM)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    totals = read_totals(PLATFORM)
    value = ratings.prior_mean(totals["count"], totals["star_sum"])
    _prior_cache[PLATFORM] = (time.monotonic() + _PRIOR_TTL, value)
    return value


def helper_rating(helper, language: str = "en") -> dict:
    """Bayesian rating of a helper, from the counters on the helper record."""
    return ratings.rating_summary(float(helper.rating_count or 0), float(helper.rating_sum or 0),
                                  platform_prior(), language)


def helper_rank_score(helper) -> float:
    """What matching ranks by: the Bayesian average (a helper without reviews gets the prior)."""
    return ratings.bayesian_average(float(helper.rating_count or 0), float(helper.rating_sum or 0),
                                    platform_prior())


def period_totals(scope: str, day_from: str, day_to: str) -> dict:
    rows = counters_store().between(scope, day_bucket(day_from), day_bucket(day_to))
    return ratings.sum_totals({k: row[k] for k in ratings.COUNTERS} for row in rows)


# ---------------------------------------------------------------------------------------------
# quality rules

def evaluate_quality(helper_id: str, tenant_id: str) -> list[str]:
    """Open an ops case for every documented rule the helper now breaks (once while open)."""
    totals = read_totals(helper_scope(helper_id), consistent=True)
    flags = ratings.quality_flags(totals, platform_prior(), no_shows=totals.get("no_shows", 0))
    opened = []
    for rule, why in flags.items():
        case = QualityCaseRecord(case_id=f"flag#{helper_id}#{rule}", kind="flag", tenant_id=tenant_id,
                                 helper_id=helper_id, rule=rule, detail=f"{ratings.QUALITY_RULES[rule]}: {why}",
                                 status="open", created_at=now_iso())
        if quality_store().open(case, reopen_done=True):
            opened.append(rule)
    return opened
