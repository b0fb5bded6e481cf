"""Rating maths: pure, no AWS import.

A review contributes a fixed set of **counters** (count, star sum, one histogram bucket, patience
and clarity sums, recommend and rebook counts). Every change to a review (first submission, edit,
removal) is turned into a **delta** = counters(new) - counters(old). Aggregates are sums of deltas,
so they can be kept with DynamoDB ``ADD`` alone (never read-modify-write):

- the deltas of one review telescope: create + edit1 + edit2 = counters(final version);
- addition commutes, so the order in which changes arrive does not matter;
- duplicates are dropped by a processed-record guard keyed on ``(review, version)``.

The number shown is a **Bayesian average** pulled toward the platform mean::

    shown = (PRIOR_WEIGHT * prior_mean + star_sum) / (PRIOR_WEIGHT + count)

i.e. every helper starts with ``PRIOR_WEIGHT`` (= 5) virtual reviews at the platform mean, so one
5-star review does not rank a newcomer above someone with 4.8 from 40 visits, and one bad review
does not sink them. ``prior_mean`` is the platform's live average once the platform has at least
``PRIOR_MIN_REVIEWS`` reviews, else ``DEFAULT_PRIOR_MEAN`` (4.5).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Iterable, Mapping

STARS = (1, 2, 3, 4, 5)
PRIOR_WEIGHT = 5
DEFAULT_PRIOR_MEAN = 4.5
PRIOR_MIN_REVIEWS = 50

# counter names, as stored on aggregate records
COUNTERS = ("count", "star_sum", "h1", "h2", "h3", "h4", "h5", "patience_sum", "clarity_sum",
            "recommend", "rebook")


@dataclass(frozen=True)
class ReviewScores:
    overall: int
    patience: int
    clarity: int
    would_recommend: bool
    would_book_again: bool

    def __post_init__(self):
        for name in ("overall", "patience", "clarity"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value not in STARS:
                raise ValueError(f"{name} must be a whole number of stars from 1 to 5")

    @classmethod
    def from_record(cls, record: Mapping | None) -> "ReviewScores | None":
        """Scores of a stored review (dict from a stream image), or None if there is none."""
        if not record or record.get("overall") is None:
            return None
        return cls(int(record["overall"]), int(record["patience"]), int(record["clarity"]),
                   bool(record["would_recommend"]), bool(record["would_book_again"]))


def counters(scores: ReviewScores | None) -> dict[str, int]:
    """What one review adds to an aggregate (all zeros for no review)."""
    out = dict.fromkeys(COUNTERS, 0)
    if scores is None:
        return out
    out.update(count=1, star_sum=scores.overall, patience_sum=scores.patience, clarity_sum=scores.clarity,
               recommend=int(scores.would_recommend), rebook=int(scores.would_book_again))
    out[f"h{scores.overall}"] = 1
    return out


def delta(old: ReviewScores | None, new: ReviewScores | None) -> dict[str, int]:
    """Counter changes for one review going from ``old`` to ``new``; only non-zero entries."""
    a, b = counters(old), counters(new)
    return {k: b[k] - a[k] for k in COUNTERS if b[k] != a[k]}


@dataclass
class Aggregate:
    """Counters plus the processed-event guard, the pure twin of an aggregate record."""
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    processed: set[str] = field(default_factory=set)

    def apply(self, event_key: str, change: Mapping[str, int]) -> bool:
        """Add ``change`` once per ``event_key``. False (and nothing changes) for a duplicate."""
        if event_key in self.processed:
            return False
        self.processed.add(event_key)
        for k, v in change.items():
            self.totals[k] = self.totals.get(k, 0) + int(v)
        return True

    @property
    def histogram(self) -> dict[str, int]:
        return histogram(self.totals)


@dataclass(frozen=True)
class ReviewChange:
    """One write to a review: version ``version`` replaced ``old`` by ``new``."""
    review_id: str
    version: int
    old: ReviewScores | None
    new: ReviewScores | None

    @property
    def key(self) -> str:
        return f"{self.review_id}#v{self.version}"


def fold(changes: Iterable[ReviewChange], agg: Aggregate | None = None) -> Aggregate:
    agg = agg or Aggregate()
    for c in changes:
        agg.apply(c.key, delta(c.old, c.new))
    return agg


def histogram(totals: Mapping) -> dict[str, int]:
    return {str(s): int(totals.get(f"h{s}", 0) or 0) for s in STARS}


def plain_average(count: float, star_sum: float) -> float | None:
    return float(star_sum) / float(count) if count else None


def prior_mean(platform_count: float, platform_sum: float) -> float:
    """The platform mean once there is enough evidence, else the documented default."""
    if platform_count >= PRIOR_MIN_REVIEWS:
        return float(platform_sum) / float(platform_count)
    return DEFAULT_PRIOR_MEAN


def bayesian_average(count: float, star_sum: float, prior: float = DEFAULT_PRIOR_MEAN,
                     weight: int = PRIOR_WEIGHT) -> float:
    """Average pulled toward ``prior`` as if there were ``weight`` extra reviews at ``prior``."""
    return (weight * prior + float(star_sum)) / (weight + float(count))


VISITS = {"de": "{avg} aus {n} Besuchen", "en": "{avg} from {n} visits",
          "fr": "{avg} sur {n} visites", "it": "{avg} su {n} visite"}
VISIT_ONE = {"de": "{avg} aus 1 Besuch", "en": "{avg} from 1 visit", "fr": "{avg} sur 1 visite",
             "it": "{avg} su 1 visita"}
NO_VISITS = {"de": "noch keine Bewertungen", "en": "no ratings yet", "fr": "pas encore d'évaluation",
             "it": "ancora nessuna valutazione"}


def rating_summary(count: float, star_sum: float, prior: float, language: str = "en") -> dict:
    """What a profile or a search result shows: Bayesian average, count and the label."""
    n = int(count or 0)
    lang = language if language in VISITS else "en"
    if n == 0:
        return {"average": None, "plain_average": None, "count": 0, "label": NO_VISITS[lang]}
    shown = round(bayesian_average(n, star_sum, prior), 1)
    text = (VISIT_ONE if n == 1 else VISITS)[lang].format(avg=f"{shown:.1f}", n=n)
    if lang in ("de", "fr", "it"):
        text = text.replace(".", ",", 1)
    return {"average": shown, "plain_average": round(float(star_sum) / n, 2), "count": n, "label": text}


def rates(totals: Mapping) -> dict:
    """Operator figures from counters: average, recommend and rebook rates (None without reviews)."""
    n = int(totals.get("count", 0) or 0)
    if n <= 0:
        return {"reviews": 0, "average": None, "recommend_rate": None, "rebook_rate": None,
                "patience": None, "clarity": None}
    return {"reviews": n, "average": round(float(totals["star_sum"]) / n, 2),
            "recommend_rate": round(float(totals.get("recommend", 0)) / n, 4),
            "rebook_rate": round(float(totals.get("rebook", 0)) / n, 4),
            "patience": round(float(totals.get("patience_sum", 0)) / n, 2),
            "clarity": round(float(totals.get("clarity_sum", 0)) / n, 2)}


def sum_totals(rows: Iterable[Mapping]) -> dict[str, int]:
    out = dict.fromkeys(COUNTERS, 0)
    for row in rows:
        for k in COUNTERS:
            out[k] += int(row.get(k, 0) or 0)
    return out


# ---------------------------------------------------------------------------------------------
# quality rules

# Documented rules that put a helper on the ops review list (each rule is evaluated on the helper's
# all-time counters after every aggregated change):
QUALITY_RULES = {
    "low_rating": "Bayesian average below 4.0 over at least 5 reviews",
    "repeated_complaints": "3 or more reviews of 1 or 2 stars",
    "low_recommend": "fewer than 70 % would recommend, over at least 5 reviews",
    "no_shows": "2 or more jobs dropped after accepting (helper cancelled an assigned booking)",
}
LOW_RATING_BELOW = 4.0
MIN_REVIEWS_FOR_RATING_RULES = 5
COMPLAINT_STARS = (1, 2)
COMPLAINTS_LIMIT = 3
RECOMMEND_BELOW = 0.70
NO_SHOWS_LIMIT = 2


def quality_flags(totals: Mapping, prior: float, no_shows: int = 0) -> dict[str, str]:
    """The quality rules a helper's counters break, as ``{rule: why}``."""
    n = int(totals.get("count", 0) or 0)
    flags: dict[str, str] = {}
    if n >= MIN_REVIEWS_FOR_RATING_RULES:
        shown = bayesian_average(n, totals.get("star_sum", 0), prior)
        if shown < LOW_RATING_BELOW:
            flags["low_rating"] = f"Bayesian average {shown:.2f} from {n} reviews"
        rec = float(totals.get("recommend", 0) or 0) / n
        if rec < RECOMMEND_BELOW:
            flags["low_recommend"] = f"{rec:.0%} would recommend ({n} reviews)"
    complaints = sum(int(totals.get(f"h{s}", 0) or 0) for s in COMPLAINT_STARS)
    if complaints >= COMPLAINTS_LIMIT:
        flags["repeated_complaints"] = f"{complaints} reviews with 1 or 2 stars"
    if no_shows >= NO_SHOWS_LIMIT:
        flags["no_shows"] = f"{no_shows} accepted jobs dropped"
    return flags


# ---------------------------------------------------------------------------------------------
# spot checks

def spot_check_sampled(booking_id: str, rate: float, salt: str) -> bool:
    """Whether a completed booking is drawn for an ops follow-up call.

    A keyed hash of the booking id gives a uniform draw in [0, 1): unpredictable to anyone without
    the salt (a secret), yet the same answer when a stream record is delivered again.
    """
    if rate <= 0:
        return False
    if rate >= 1:
        return True
    digest = hashlib.sha256(f"{salt}:spot-check:{booking_id}".encode()).digest()
    draw = int.from_bytes(digest[:8], "big") / 2 ** 64
    return draw < rate
