"""Rating maths: aggregation is order- and duplication-proof, edits move the numbers, the prior."""
import math
import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import ratings as r
from chalicelib.domain.ratings import Aggregate, ReviewChange, ReviewScores

stars = st.integers(min_value=1, max_value=5)
scores = st.builds(ReviewScores, stars, stars, stars, st.booleans(), st.booleans())


@st.composite
def review_histories(draw):
    """Several reviews, each with a create and 0..3 edits: the changes a stream would carry."""
    changes, finals = [], []
    for i in range(draw(st.integers(min_value=0, max_value=6))):
        versions = draw(st.lists(scores, min_size=1, max_size=4))
        old = None
        for v, new in enumerate(versions, start=1):
            changes.append(ReviewChange(f"b_{i}", v, old, new))
            old = new
        finals.append(versions[-1])
    return changes, finals


@given(review_histories(), st.randoms(use_true_random=False), st.data())
@settings(max_examples=300, deadline=None)
def test_any_order_and_duplication_gives_the_same_aggregate(history, rnd, data):
    changes, finals = history
    in_order = r.fold(changes)
    # given the same changes, shuffled and some delivered two or three times
    replayed = changes + data.draw(st.lists(st.sampled_from(changes), max_size=10)) if changes else []
    rnd.shuffle(replayed)
    shuffled = r.fold(replayed)
    assert shuffled.totals == in_order.totals
    # and the aggregate equals the counters of each review's final version
    expected = r.sum_totals(r.counters(s) for s in finals)
    assert in_order.totals == expected


@given(scores, scores)
def test_an_edit_moves_the_numbers(first, second):
    agg = Aggregate()
    agg.apply("b_1#v1", r.delta(None, first))
    agg.apply("b_1#v2", r.delta(first, second))
    assert agg.totals == r.counters(second)
    assert sum(agg.histogram.values()) == 1 and agg.histogram[str(second.overall)] == 1


def test_duplicate_event_is_refused():
    agg = Aggregate()
    s = ReviewScores(5, 4, 3, True, False)
    assert agg.apply("b_1#v1", r.delta(None, s)) is True
    assert agg.apply("b_1#v1", r.delta(None, s)) is False
    assert agg.totals["count"] == 1 and agg.totals["star_sum"] == 5 and agg.totals["recommend"] == 1


def test_unchanged_scores_make_an_empty_delta():
    s = ReviewScores(4, 4, 4, True, True)
    assert r.delta(s, s) == {}


@pytest.mark.parametrize("bad", [0, 6, -1, True, 3.5, "5"])
def test_stars_out_of_range_are_refused(bad):
    with pytest.raises(ValueError):
        ReviewScores(bad, 3, 3, True, True)


def test_bayesian_average_pulls_few_reviews_toward_the_prior():
    # one 5-star review: 5 virtual reviews at 4.5 weigh more than it
    assert r.bayesian_average(1, 5, 4.5) == pytest.approx((5 * 4.5 + 5) / 6)
    # many reviews: the helper's own average dominates
    assert r.bayesian_average(200, 200 * 4.9, 4.5) == pytest.approx(4.9, abs=0.01)
    # a newcomer with one perfect review ranks below a helper with 4.8 from 40
    assert r.bayesian_average(1, 5, 4.5) < r.bayesian_average(40, 40 * 4.8, 4.5)


@given(st.integers(min_value=0, max_value=500), st.floats(min_value=1, max_value=5))
def test_bayesian_average_lies_between_prior_and_own_mean(n, own_mean):
    prior = 4.5
    shown = r.bayesian_average(n, n * own_mean, prior)
    lo, hi = min(prior, own_mean), max(prior, own_mean)
    assert lo - 1e-9 <= shown <= hi + 1e-9


def test_prior_uses_platform_mean_only_with_enough_reviews():
    assert r.prior_mean(10, 30) == r.DEFAULT_PRIOR_MEAN
    assert r.prior_mean(100, 420) == pytest.approx(4.2)


def test_summary_label_says_average_and_visits():
    summary = r.rating_summary(12, 12 * 4.9, 4.5, "en")
    assert summary["count"] == 12 and summary["label"] == f"{summary['average']:.1f} from 12 visits"
    assert r.rating_summary(12, 12 * 4.9, 4.5, "de")["label"].endswith("aus 12 Besuchen")
    assert "," in r.rating_summary(12, 12 * 4.9, 4.5, "fr")["label"]
    assert r.rating_summary(0, 0, 4.5)["average"] is None


def test_rates_for_operator_figures():
    totals = r.sum_totals([r.counters(ReviewScores(5, 5, 5, True, True)),
                           r.counters(ReviewScores(3, 4, 2, False, True))])
    figures = r.rates(totals)
    assert figures == {"reviews": 2, "average": 4.0, "recommend_rate": 0.5, "rebook_rate": 1.0,
                       "patience": 4.5, "clarity": 3.5}
    assert r.rates({})["recommend_rate"] is None


def test_quality_rules():
    good = r.sum_totals([r.counters(ReviewScores(5, 5, 5, True, True))] * 10)
    assert r.quality_flags(good, 4.5) == {}
    bad = r.sum_totals([r.counters(ReviewScores(2, 2, 2, False, False))] * 5)
    flags = r.quality_flags(bad, 4.5)
    assert set(flags) == {"low_rating", "low_recommend", "repeated_complaints"}
    # four low reviews are not yet enough for the rating rules, but are repeated complaints
    few = r.sum_totals([r.counters(ReviewScores(1, 1, 1, True, True))] * 4)
    assert set(r.quality_flags(few, 4.5)) == {"repeated_complaints"}
    assert set(r.quality_flags({}, 4.5, no_shows=2)) == {"no_shows"}


@pytest.mark.parametrize("rate", [0.05, 0.1, 0.3])
def test_spot_check_sampling_rate_within_statistical_bounds(rate):
    n = 20_000
    salt = secrets.token_hex(16)
    hits = sum(r.spot_check_sampled(f"b_{secrets.token_hex(8)}", rate, salt) for _ in range(n))
    sd = math.sqrt(n * rate * (1 - rate))
    # 5 standard deviations: a correct sampler fails this less than once in a million runs
    assert abs(hits - n * rate) < 5 * sd, (hits, n * rate)


def test_spot_check_draw_is_stable_for_a_redelivered_booking():
    assert r.spot_check_sampled("b_x", 0.5, "s") == r.spot_check_sampled("b_x", 0.5, "s")
    assert r.spot_check_sampled("b_x", 0.0, "s") is False and r.spot_check_sampled("b_x", 1.0, "s") is True
