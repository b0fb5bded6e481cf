"""The documented ranking score (pure)."""
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import policy, ranking

NOW = datetime(2025, 3, 12, 9, 30, tzinfo=timezone.utc)  # a Wednesday, 10:30 in Zürich
WEIGHTS = policy.PLATFORM_DEFAULTS["match_weights"]


def helper(**over):
    h = {"skills": {"printer": 2}, "availability": {"wed": [["08:00", "17:00"]]}, "on_call": False,
         "rating_count": 10, "rating_sum": 45, "offers_received": 10, "offers_accepted": 7, "languages": ["de"]}
    h.update(over)
    return h


def score(h, km=2.0, mode="onsite", when=NOW):
    return ranking.score_candidate(h, category="printer", mode=mode, distance_km=km, radius_km=10, when=when,
                                   now=NOW, weights=WEIGHTS)


def test_bayesian_rating_pulls_few_ratings_towards_the_prior():
    assert ranking.bayesian_rating(0, 0) == pytest.approx(4.5)
    assert ranking.bayesian_rating(1, 1) == pytest.approx((5 * 4.5 + 1) / 6)
    assert ranking.bayesian_rating(100, 500) > ranking.bayesian_rating(1, 5)


def test_one_five_star_visit_does_not_beat_a_long_good_record():
    lucky = score(helper(rating_count=1, rating_sum=5))["total"]
    proven = score(helper(rating_count=60, rating_sum=294))["total"]
    assert proven > lucky


def test_nearer_wins_when_all_else_is_equal():
    assert score(helper(), km=1.0)["total"] > score(helper(), km=6.0)["total"]


def test_a_specialist_beats_basics_at_the_same_distance():
    assert score(helper(skills={"printer": 3}))["total"] > score(helper(skills={"printer": 1}))["total"]


def test_availability_window_on_call_and_later_today():
    at_night = NOW.replace(hour=22)
    assert score(helper())["parts"]["availability"] == 1.0
    assert score(helper(), when=at_night)["parts"]["availability"] == 0.0
    assert score(helper(on_call=True), when=at_night)["parts"]["availability"] == 1.0
    assert score(helper(), when=NOW.replace(hour=5))["parts"]["availability"] == 0.5


def test_fairness_favours_helpers_without_recent_jobs():
    busy_lately = score(helper(last_assigned_at=(NOW - timedelta(hours=2)).isoformat()))
    never = score(helper())
    assert never["parts"]["fairness"] == 1.0 and busy_lately["parts"]["fairness"] < 0.1
    assert never["total"] > busy_lately["total"]


def test_acceptance_rate_has_a_prior():
    assert ranking.acceptance_rate(0, 0) == pytest.approx(0.7)
    assert ranking.acceptance_rate(20, 20) > ranking.acceptance_rate(20, 2)


def test_reason_in_plain_words():
    s = score(helper(skills={"printer": 3}, rating_count=31, rating_sum=148.8), km=3.24)
    assert s["reason"] == "3.2 km away, printer specialist, 4.8 from 31 visits"
    assert score(helper(rating_count=0, rating_sum=0))["reason"].endswith("new on crowdfix")
    remote = score(helper(languages=["de", "fr"]), km=None, mode="remote")
    assert remote["reason"].startswith("helps remotely in German and French")
    assert "distance_km" not in remote and remote["parts"]["distance"] == 1.0


def test_weights_are_a_tenant_setting_and_partial_overrides_keep_the_rest():
    pol = policy.effective({"match_weights": {"distance": 0.0}})
    assert pol["match_weights"]["skill"] == WEIGHTS["skill"] and pol["match_weights"]["distance"] == 0.0
    far = ranking.score_candidate(helper(skills={"printer": 3}), category="printer", mode="onsite", distance_km=9,
                                  radius_km=10, when=NOW, now=NOW, weights=pol["match_weights"])
    near = ranking.score_candidate(helper(skills={"printer": 1}), category="printer", mode="onsite",
                                   distance_km=1, radius_km=10, when=NOW, now=NOW, weights=pol["match_weights"])
    assert far["total"] > near["total"]


def test_next_available():
    assert ranking.next_available(helper(), NOW) == "now"
    later = ranking.next_available(helper(), NOW.replace(hour=20))
    assert later.startswith("2025-03-19T08:00")  # only Wednesdays: the next one
    assert ranking.next_available(helper(), NOW.replace(hour=5)).startswith("2025-03-12T08:00")
