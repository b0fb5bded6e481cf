"""Issue 16, item 5: who may set what. Commercial terms (pricing, fees and shares, billing model,
currency, API rate limits, key counts and the dispatch reach) are set by platform ops only; a
partner's admin reads them. Every tenant setting is validated within documented bounds."""
from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from chalicelib.domain import partners as dp

# --- the rules, alone ----------------------------------------------------------------------------


@pytest.mark.parametrize("matching", [{"radius_widening_km": [0, 1000]}, {"radius_widening_km": [0, 5000]},
                                      {"radius_widening_km": [0, 51]}, {"radius_widening_km": [15, 5]},
                                      {"radius_widening_km": [-1]}, {"radius_widening_km": []},
                                      {"radius_widening_km": list(range(11))}, {"offers_per_round": 21},
                                      {"max_rounds": 0}, {"offer_expiry_seconds": 5}])
def test_matching_settings_have_bounds(matching):
    with pytest.raises(ValidationError):
        dp.MatchingSettings(**matching)


def test_fees_and_shares_fit_in_the_whole():
    with pytest.raises(ValidationError, match="together"):
        dp.PricingPolicy(platform_fee_percent=60, partner_share_percent=50)
    assert dp.PricingPolicy(platform_fee_percent=0, partner_share_percent=100)  # ops may agree this


def test_every_tenant_setting_documents_its_bounds():
    """Each numeric field of a tenant's settings says its range in the API description."""
    for model in (dp.PricingPolicy, dp.MatchingSettings, dp.RateLimit):
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no documented bounds"
    assert "1 to" in dp.TenantFields.model_fields["api_keys_max"].description


def test_stored_settings_are_read_within_the_bounds():
    from chalicelib.services.tenants import bounded

    pol = bounded({"radius_widening_km": [0, 5000, 1000]})
    assert pol["radius_widening_km"] == [0, dp.MAX_WIDENING_KM, dp.MAX_WIDENING_KM]


# --- over HTTP, on the local stack ------------------------------------------------------------------

@pytest.fixture()
def partner_with_admin(api, signin):
    from tests.integration.partner_fixtures import new_partner

    p = new_partner(api, signin)
    email = f"admin-{uuid.uuid4().hex[:8]}@partner.example"
    status, _, _ = api.call("POST", f"/v1/tenants/{p['tenant_id']}/admins", {"email": email, "name": "Pat"}, p["ops"])
    assert status == 201
    p["admin"] = signin(email, "partner_admin")
    return p


@pytest.mark.integration
@pytest.mark.parametrize("patch", [
    {"pricing": {"partner_share_percent": 85, "platform_fee_percent": 0}},
    {"pricing": {"hourly_rate_minor": 100_000}},
    {"rate_limit": {"requests_per_second": 1000, "burst": 10000}},
    {"api_keys_max": 100},
    {"billing_model": "card"},
    {"currency": "USD"},
    {"matching": {"radius_widening_km": [0, 50]}},
])
def test_a_partner_admin_cannot_change_commercial_terms(api, partner_with_admin, patch):
    p = partner_with_admin
    path = f"/v1/tenants/{p['tenant_id']}"
    before = api.call("GET", path, headers=p["ops"])[1]
    status, problem, _ = api.call("PATCH", path, patch, p["admin"])
    assert status == 403 and "commercial terms" in problem["detail"], problem
    after = api.call("GET", path, headers=p["ops"])[1]
    assert {k: v for k, v in after.items()} == before
    # ops may
    status, changed, _ = api.call("PATCH", path, patch, p["ops"])
    assert status == 200, changed


@pytest.mark.integration
def test_a_partner_admin_reads_the_terms_and_changes_the_rest(api, partner_with_admin):
    p = partner_with_admin
    path = f"/v1/tenants/{p['tenant_id']}"
    assert api.call("PATCH", path, {"matching": {"radius_widening_km": [0, 10, 20]}}, p["ops"])[0] == 200
    status, tenant, _ = api.call("GET", path, headers=p["admin"])
    assert status == 200 and "pricing" in tenant and "rate_limit" in tenant and tenant["api_keys_max"] >= 1
    # echoing a term unchanged is fine; other matching settings are the admin's; the reach stays
    status, changed, _ = api.call("PATCH", path, {"matching": {"max_rounds": 2}, "pricing": tenant["pricing"],
                                                  "landing": {"headline": "Hilfe"}}, p["admin"])
    assert status == 200, changed
    assert changed["matching"]["max_rounds"] == 2 and changed["matching"]["radius_widening_km"] == [0, 10, 20]
    assert changed["pricing"] == tenant["pricing"] and changed["landing"]["headline"] == "Hilfe"


@pytest.mark.integration
def test_a_huge_radius_widening_is_refused_for_everyone(api, partner_with_admin):
    p = partner_with_admin
    for who in ("ops", "admin"):
        status, problem, _ = api.call("PATCH", f"/v1/tenants/{p['tenant_id']}",
                                      {"matching": {"radius_widening_km": [0, 1000]}}, p[who])
        assert status == 422 and problem["field"] == "matching.radius_widening_km", problem


@pytest.mark.integration
def test_api_keys_rate_limits_and_counts_are_set_by_ops(api, partner_with_admin):
    p = partner_with_admin
    keys = f"/v1/tenants/{p['tenant_id']}/api-keys"
    status, problem, _ = api.call("POST", keys, {"name": "fast", "rate_limit": {"requests_per_second": 1000,
                                                                                "burst": 10000}}, p["admin"])
    assert status == 403 and problem["field"] == "rate_limit"
    # the admin may create keys up to the tenant's count (one exists from the fixture)
    made = 1
    while True:
        status, body, _ = api.call("POST", keys, {"name": f"k{made}"}, p["admin"])
        if status != 201:
            break
        made += 1
        assert made <= dp.DEFAULT_API_KEYS
    assert status == 409 and body["field"] == "api_keys_max" and made == dp.DEFAULT_API_KEYS
    # rotation replaces one key for one, with the ops-set limits
    listing = api.call("GET", keys, headers=p["admin"])[1]
    first = (listing["items"] if isinstance(listing, dict) else listing)[0]
    status, rotated, _ = api.call("POST", f"{keys}/{first['key_id']}/rotate", None, p["admin"])
    assert status == 201 or status == 200, rotated
    assert rotated["rate_limit"] == first["rate_limit"]
    # ops raise the count
    assert api.call("PATCH", f"/v1/tenants/{p['tenant_id']}", {"api_keys_max": 6}, p["ops"])[0] == 200
    assert api.call("POST", keys, {"name": "one more"}, p["admin"])[0] == 201
