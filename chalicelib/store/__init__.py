"""The storage layer: repositories with typed records in and out, so services never see pynamodb.

- ``conditions``: the one reader of conditional-write and transaction outcomes
  (``ConditionFailed`` / ``AlreadyExists`` are what services catch);
- ``claims``: atomic claims (guards) and counters built on it;
- ``records``: the typed records;
- one module per aggregate with its DynamoDB repository and an accessor (``reviews.reviews()``,
  ``signin.signin()``, ...): a module imports only its own tables' models, so the IAM grants
  ``infra/derive.py`` reads from the import graph stay least-privilege;
- ``memory``: the in-memory twins. One contract suite (``tests/contract/``) runs against both.

An accessor returns the DynamoDB repository unless a test put twins in place with
``with using(memory_repos()) as r: ...``. The choice lives in a context variable, so a test's memory
store never leaks into threads it did not start (the session's event pump keeps using DynamoDB).
"""
from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator


@dataclass(frozen=True)
class Repos:
    """One repository per aggregate (a field per accessor name)."""
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
    payments: Any  # issue 18: payments, ledger, payout accounts, saved cards
    ledger: Any
    payout_accounts: Any
    cards: Any
    claims: Any
    notification_log: Any = None
    notification_prefs: Any = None
    push_subscriptions: Any = None
    helper_index: Any = None
    attribution: Any = None  # issue 17.7 (memory_repos() sets it)
    world: Any = None  # the memory twins' shared state (None on DynamoDB)
    replays: Any = None  # stored Idempotency-Key answers (store/replays.py)
    invoices: Any = None  # partner invoices (store/invoices.py)
    tenants: Any = None  # issue 18: tenants (store/tenants.py)
    api_keys: Any = None  # partners' API keys and their rate buckets (store/api_keys.py)
    rate_buckets: Any = None
    helper_pools: Any = None  # helpers as the partner API and the sandbox read them (store/helper_pools.py)
    partner_bookings: Any = None  # a partner's bookings, listed (store/partner_bookings.py)
    erasure: Any = None  # what erasing a person rewrites in every table (store/erasure.py)
    helper_profiles: Any = None  # a helper's own profile (store/helper_profiles.py)


_current: contextvars.ContextVar[Repos | None] = contextvars.ContextVar("crowdfix_repos", default=None)


def current(name: str) -> Any:
    """The repository ``name`` a test put in place in this context, or None (then DynamoDB's)."""
    r = _current.get()
    return getattr(r, name) if r is not None else None


def memory_repos() -> Repos:
    """A fresh set of in-memory twins sharing one world."""
    from chalicelib.store import memory as m
    w = m.World()
    return Repos(reviews=m.Reviews(w), customer_ratings=m.CustomerRatings(w), counters=m.RatingCounters(w),
                 quality=m.QualityCases(w), helpers=m.Helpers(w), bookings=m.Bookings(w), offers=m.Offers(w),
                 failures=m.Failures(w), guards=m.Guards(w), geo_hints=m.GeoHints(w), webhooks=m.Webhooks(w),
                 signin=m.SignIn(w), people=m.People(w),
                 payments=m.Payments(w), ledger=m.Ledger(w), payout_accounts=m.PayoutAccounts(w), cards=m.Cards(w),
                 claims=m.Claims(w),
                 notification_log=m.NotificationLog(w), notification_prefs=m.NotificationPrefs(w),
                 push_subscriptions=m.PushSubscriptions(w), helper_index=m.HelperIndex(w), attribution=m.Attribution(w),
                 world=w, replays=m.Replays(w), invoices=m.Invoices(w),
                 tenants=m.Tenants(w), api_keys=m.ApiKeys(w), rate_buckets=m.RateBuckets(w),
                 helper_pools=m.HelperPools(w), partner_bookings=m.PartnerBookings(w), erasure=m.Erasure(w),
                 helper_profiles=m.HelperProfiles(w))


@contextmanager
def using(r: Repos) -> Iterator[Repos]:
    token = _current.set(r)
    try:
        yield r
    finally:
        _current.reset(token)
