"""Partner use cases against the in-memory store: tenants and their JSON merge patch, API keys
(creation within the tenant's limit, revocation and rotation counted once) and the per-key rate
bucket. No JVM: the repositories are the twins that pass the same contract as DynamoDB
(tests/contract/store_contract.py, PartnersContract); the same paths over HTTP on DynamoDB Local
are tests/integration/test_partners.py and tests/security/test_key_count_and_client_address.py.
"""
from __future__ import annotations

import contextvars
import threading
from dataclasses import replace

import pytest

from chalicelib.domain import partners as dp
from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import Conflict, Forbidden, RateLimited, Unauthenticated
from chalicelib.services import partners, tenants
from chalicelib.store import memory_repos, using

OPS = Actor("ops", "ops_1", "*")
TENANT = "acme-tel"
ADMIN = Actor("partner_admin", "s_admin", TENANT)


@pytest.fixture()
def store():
    tenants.clear_cache()
    with using(memory_repos()) as r:
        yield r
    tenants.clear_cache()


def given_tenant(**fields) -> None:
    partners.create_tenant(OPS, dp.CreateTenant(tenant_id=TENANT, name="Acme Tel", **fields))


def a_key(actor: Actor = ADMIN, name: str = "shop server", **over):
    return partners.create_api_key(actor, TENANT, dp.CreateApiKey(name=name, **over))


def in_threads(n: int, go) -> list:
    """``go()`` in ``n`` threads at once, each in a copy of this context (so on this store)."""
    barrier, out = threading.Barrier(n), []

    def run(ctx):
        barrier.wait()
        try:
            out.append(ctx.run(go))
        except Exception as exc:  # noqa: BLE001 — the outcomes are what the test asserts on
            out.append(exc)

    threads = [threading.Thread(target=run, args=(contextvars.copy_context(),)) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


# ---- tenants: JSON merge patch ------------------------------------------------------------------

def test_a_patch_changes_only_the_fields_it_names(store):
    given_tenant(landing=dp.LandingCopy(headline="Hilfe von Acme", hotline="+41 44 000 00 00"))

    partners.update_tenant(ADMIN, TENANT, dp.UpdateTenant.model_validate({"landing": {"headline": "Neu"}}))

    landing = partners.tenant_view(partners.get_tenant_for(ADMIN, TENANT))["landing"]
    assert (landing["headline"], landing["hotline"]) == ("Neu", "+41 44 000 00 00")


def test_a_field_sent_as_null_goes_back_to_its_default(store):
    given_tenant(landing=dp.LandingCopy(headline="Hilfe von Acme", hotline="+41 44 000 00 00"))

    partners.update_tenant(ADMIN, TENANT, dp.UpdateTenant.model_validate({"landing": {"hotline": None}}))

    landing = partners.tenant_view(partners.get_tenant_for(ADMIN, TENANT))["landing"]
    assert (landing["headline"], landing["hotline"]) == ("Hilfe von Acme", None)


def test_a_section_not_sent_stays_as_it_is(store):
    given_tenant(branding=dp.Branding(primary="#112233"))

    partners.update_tenant(ADMIN, TENANT, dp.UpdateTenant(name="Acme Telecom"))

    view = partners.tenant_view(partners.get_tenant_for(ADMIN, TENANT))
    assert (view["name"], view["branding"]["primary"]) == ("Acme Telecom", "#112233")


def test_a_partner_admin_cannot_change_the_commercial_terms(store):
    given_tenant()

    with pytest.raises(Forbidden):
        partners.update_tenant(ADMIN, TENANT, dp.UpdateTenant.model_validate({"billing_model": "invoice"}))

    assert partners.tenant_view(partners.get_tenant_for(ADMIN, TENANT))["billing_model"] == "card"


def test_the_reach_ops_set_is_kept_when_an_admin_patches_matching(store):
    given_tenant(matching=dp.MatchingSettings(radius_widening_km=[0, 2]))

    partners.update_tenant(ADMIN, TENANT, dp.UpdateTenant.model_validate({"matching": {"max_rounds": 5}}))

    matching = partners.tenant_view(partners.get_tenant_for(ADMIN, TENANT))["matching"]
    assert (matching["max_rounds"], matching["radius_widening_km"]) == (5, [0, 2])


def test_a_tenant_id_is_taken_once(store):
    given_tenant()

    with pytest.raises(Conflict):
        given_tenant()


# ---- API keys -----------------------------------------------------------------------------------

def test_a_new_key_gets_the_tenants_rate_limit_and_its_secret_signs_in_as_the_partner(store):
    given_tenant(rate_limit=dp.RateLimit(requests_per_second=2, burst=4))

    key, secret = a_key()

    actor, environment = partners.actor_for_api_key(secret)
    assert (actor.role, actor.tenant_id, actor.key_id, environment) == ("partner", TENANT, key.key_id, key.environment)
    assert partners.key_view(key)["rate_limit"] == {"requests_per_second": 2.0, "burst": 4}


def test_keys_beyond_the_tenants_limit_are_refused(store):
    given_tenant(api_keys_max=2)
    a_key(name="one")
    a_key(name="two")

    with pytest.raises(Conflict):
        a_key(name="three")

    assert len(partners.list_api_keys(ADMIN, TENANT)) == 2


def test_of_concurrent_creations_only_the_limit_is_made(store):
    given_tenant(api_keys_max=3)

    outcomes = in_threads(8, lambda: a_key())

    assert sum(1 for o in outcomes if isinstance(o, tuple)) == 3
    assert all(isinstance(o, Conflict) for o in outcomes if not isinstance(o, tuple))
    assert len(partners.list_api_keys(ADMIN, TENANT)) == 3


def test_a_tenant_from_before_the_counter_counts_its_active_keys_first(store):
    given_tenant(api_keys_max=2)
    a_key(name="old one")
    row = store.tenants.rows[TENANT]
    store.tenants.rows[TENANT] = replace(row, api_keys_active=None)  # as a tenant made before the counter

    a_key(name="second")

    with pytest.raises(Conflict):
        a_key(name="third")
    assert store.tenants.get(TENANT).api_keys_active == 2


def test_revoking_a_key_twice_gives_its_slot_back_once(store):
    given_tenant(api_keys_max=2)
    key, secret = a_key()
    a_key(name="other")

    partners.revoke_api_key(ADMIN, TENANT, key.key_id)
    again = partners.revoke_api_key(ADMIN, TENANT, key.key_id)

    assert again.status == "revoked"
    assert store.tenants.get(TENANT).api_keys_active == 1
    with pytest.raises(Unauthenticated):
        partners.actor_for_api_key(secret)


def test_a_rotated_key_stops_working_and_its_successor_works_in_its_place(store):
    given_tenant(api_keys_max=1)
    old, old_secret = a_key()

    new, new_secret = partners.rotate_api_key(ADMIN, TENANT, old.key_id)

    assert (new.name, new.environment) == (old.name, old.environment)
    with pytest.raises(Unauthenticated):
        partners.actor_for_api_key(old_secret)
    assert partners.actor_for_api_key(new_secret)[0].key_id == new.key_id
    assert store.tenants.get(TENANT).api_keys_active == 1  # one key for one


def test_a_revoked_key_is_not_rotated(store):
    given_tenant()
    key, _ = a_key()
    partners.revoke_api_key(ADMIN, TENANT, key.key_id)

    with pytest.raises(Conflict):
        partners.rotate_api_key(ADMIN, TENANT, key.key_id)


def test_an_admin_may_not_set_a_keys_rate_limit(store):
    given_tenant()

    with pytest.raises(Forbidden):
        a_key(rate_limit=dp.RateLimit(requests_per_second=100, burst=100))


# ---- the rate bucket ----------------------------------------------------------------------------

def test_a_key_bursts_up_to_its_limit_and_then_waits_for_a_token(store):
    t = 1_764_669_600.0
    taken = [partners.take_rate_token("key_1", TENANT, rate=1.0, burst=3, now=t) for _ in range(4)]

    assert [allowed for allowed, _ in taken] == [True, True, True, False]
    assert taken[-1][1] == pytest.approx(1.0)


def test_a_token_comes_back_at_the_keys_rate(store):
    t = 1_764_669_600.0
    for _ in range(3):
        partners.take_rate_token("key_1", TENANT, rate=2.0, burst=3, now=t)

    assert partners.take_rate_token("key_1", TENANT, rate=2.0, burst=3, now=t + 0.5)[0] is True
    assert partners.take_rate_token("key_1", TENANT, rate=2.0, burst=3, now=t + 0.5)[0] is False


def test_buckets_are_per_key(store):
    t = 1_764_669_600.0
    partners.take_rate_token("key_1", TENANT, rate=0.001, burst=1, now=t)

    assert partners.take_rate_token("key_2", TENANT, rate=0.001, burst=1, now=t)[0] is True


def test_concurrent_requests_never_spend_one_token_twice(store):
    outcomes = in_threads(10, lambda: partners.take_rate_token("key_1", TENANT, rate=0.001, burst=5,
                                                               now=1_764_669_600.0)[0])

    assert outcomes.count(True) == 5


def test_a_key_over_its_limit_answers_429_with_when_to_retry(store):
    given_tenant(rate_limit=dp.RateLimit(requests_per_second=0.5, burst=1))
    _, secret = partners.create_api_key(OPS, TENANT, dp.CreateApiKey(name="slow"))
    partners.actor_for_api_key(secret)

    with pytest.raises(RateLimited) as refused:
        partners.actor_for_api_key(secret)

    assert refused.value.retry_after >= 1
