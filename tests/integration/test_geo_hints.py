"""The density hint a search learns is read by every container: a fresh container's first search
starts sized, and the answer is the same either way (DynamoDB Local, the demo helpers)."""
import uuid

import pytest

pytestmark = pytest.mark.integration

ZURICH = (47.3769, 8.5417)


def _search(hints, hint_key):
    from chalicelib.domain import geo_search
    from chalicelib.services.matching import executor, query_cell

    return geo_search.nearest_search("crowdfix", *ZURICH, 10.0, query_cell, enough=8, pool_executor=executor(),
                                   hint=hint_key, hints=hints)


def test_a_fresh_container_starts_where_another_container_learned_to(stack):
    from chalicelib.models.geo_hints import GeoHint
    from chalicelib.services.geo_hints import SharedHints

    key = f"test-{uuid.uuid4().hex[:8]}"  # a filter key no other test has searched with
    # given a first container that searched once (cold: it had no hint, so it widened step by step)
    first = _search(SharedHints(), key)
    assert first.steps >= 2
    assert any(r.key.endswith(key) for r in GeoHint.scan())
    # when a brand-new container searches the same partition
    second = _search(SharedHints(), key)
    # then its first step is sized by the shared hint: fewer sequential rounds, the same answer
    assert second.steps < first.steps
    assert [i["helper_id"] for i in second.found] == [i["helper_id"] for i in first.found]


def test_an_unreachable_hint_store_costs_only_the_head_start(stack, monkeypatch):
    from chalicelib.models.geo_hints import GeoHint
    from chalicelib.services.geo_hints import SharedHints

    key = f"test-{uuid.uuid4().hex[:8]}"
    expected = [i["helper_id"] for i in _search(SharedHints(), key).found]

    def broken(*a, **k):
        raise ConnectionError("DynamoDB unreachable")
    monkeypatch.setattr(GeoHint, "get", broken)
    monkeypatch.setattr(GeoHint, "save", broken)
    result = _search(SharedHints(), key)
    assert [i["helper_id"] for i in result.found] == expected and result.steps >= 2
