"""The storage layer: repositories with typed records in and out, so services never see pynamodb.

- ``conditions``: the one reader of conditional-write and transaction outcomes
  (``ConditionFailed`` / ``AlreadyExists`` are what services catch);
- ``claims``: atomic claims (guards) and counters built on it;
- ``records``: the typed records;
- ``dynamo``: the repositories on DynamoDB; ``memory``: their in-memory twins. One contract suite
  (``tests/contract/``) runs against both.

Services ask :func:`repos` for the repositories. By default that is the DynamoDB set; a test runs a
use case against memory with ``with using(memory_repos()) as r: ...``. The choice lives in a context
variable, so a test's memory store never leaks into threads it did not start (the session's event
pump keeps using DynamoDB).
"""
from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator


@dataclass(frozen=True)
class Repos:
    reviews: Any
    customer_ratings: Any
    counters: Any
    quality: Any
    helpers: Any
    bookings: Any
    offers: Any
    failures: Any
    guards: Any
    geo_hints: Any
    webhooks: Any
    signin: Any
    people: Any
    world: Any = None  # the memory twins' shared state (None on DynamoDB)


_current: contextvars.ContextVar[Repos | None] = contextvars.ContextVar("crowdfix_repos", default=None)
_dynamo: Repos | None = None


def dynamo_repos() -> Repos:
    global _dynamo
    if _dynamo is None:
        from chalicelib.store import dynamo as d
        _dynamo = Repos(reviews=d.Reviews(), customer_ratings=d.CustomerRatings(), counters=d.RatingCounters(),
                        quality=d.QualityCases(), helpers=d.Helpers(), bookings=d.Bookings(), offers=d.Offers(),
                        failures=d.Failures(), guards=d.Guards(), geo_hints=d.GeoHints(), webhooks=d.Webhooks(), signin=d.SignIn(), people=d.People())
    return _dynamo


def memory_repos() -> Repos:
    from chalicelib.store import memory as m
    w = m.World()
    return Repos(reviews=m.Reviews(w), customer_ratings=m.CustomerRatings(w), counters=m.RatingCounters(w),
                 quality=m.QualityCases(w), helpers=m.Helpers(w), bookings=m.Bookings(w), offers=m.Offers(w),
                 failures=m.Failures(w), guards=m.Guards(w), geo_hints=m.GeoHints(w), webhooks=m.Webhooks(w), signin=m.SignIn(w),
                 people=m.People(w), world=w)


def repos() -> Repos:
    """The repositories in force in this context (DynamoDB unless a test said otherwise)."""
    return _current.get() or dynamo_repos()


@contextmanager
def using(r: Repos) -> Iterator[Repos]:
    token = _current.set(r)
    try:
        yield r
    finally:
        _current.reset(token)
