"""Idempotency as the OpenAPI document promises it (issue 17, item 4): every create that takes an
Idempotency-Key (tenants, API keys, webhook endpoints, bookings) makes one thing for one key, replays
the same answer, answers another body with the documented 422 problem, and keys are the calling API
key's and mode's (a test key never gets what a live key made). Told as given / when / then."""
import uuid

import pytest

from tests.integration.partner_fixtures import new_partner, partner_booking

pytestmark = pytest.mark.integration


# ---- given / when ----------------------------------------------------------------------------------

def given_a_key() -> dict:
    return {"Idempotency-Key": "key-" + uuid.uuid4().hex}


def when_creating_an_api_key(api, partner: dict, key: dict, name: str = "shop", environment: str = "live"):
    return api.call("POST", f"/v1/tenants/{partner['tenant_id']}/api-keys", {"name": name, "environment": environment},
                    {**partner["ops"], **key})


def api_key_names(api, partner: dict) -> list[str]:
    return sorted(k["name"] for k in api.call("GET", f"/v1/tenants/{partner['tenant_id']}/api-keys",
                                               headers=partner["ops"])[1]["items"])


# ---- API keys --------------------------------------------------------------------------------------

def test_creating_an_api_key_twice_with_one_idempotency_key_makes_one_key_and_replays_its_answer(api, signin):
    # given a partner (it has its "backend" key) and an Idempotency-Key
    partner, key = new_partner(api, signin), given_a_key()
    # when ops creates the "shop" key twice with that Idempotency-Key
    s1, first, h1 = when_creating_an_api_key(api, partner, key)
    s2, again, h2 = when_creating_an_api_key(api, partner, key)
    # then the first made it and the second replayed the same answer, the secret included
    assert (s1, s2) == (201, 200)
    assert h2.get("Idempotent-Replayed") == "true" and "Idempotent-Replayed" not in h1
    assert again == first and first["secret"].startswith("cfx_live_")
    # and one key was made, not two, and it works
    assert api_key_names(api, partner) == ["backend", "shop"]
    assert api.call("GET", "/v1/partner/tenant", headers={"X-Api-Key": again["secret"]})[0] == 200


def test_the_same_idempotency_key_with_another_body_is_refused_and_makes_nothing(api, signin):
    # given an API key made with an Idempotency-Key
    partner, key = new_partner(api, signin), given_a_key()
    assert when_creating_an_api_key(api, partner, key)[0] == 201
    # when the same Idempotency-Key comes with another body
    status, problem, _ = when_creating_an_api_key(api, partner, key, name="other")
    # then it is the documented 422 naming the header, and no third key exists
    assert status == 422 and problem["type"].endswith("idempotency-key-reused")
    assert problem["field"] == "Idempotency-Key"
    assert api_key_names(api, partner) == ["backend", "shop"]


def test_the_secret_is_kept_sealed_not_readable_from_the_idempotency_table(api, signin):
    from chalicelib.models.idempotency import IdempotencyRecord

    # given a partner
    partner, key = new_partner(api, signin), given_a_key()
    # when a test key is made with an Idempotency-Key
    status, created, _ = when_creating_an_api_key(api, partner, key, name="sealed", environment="test")
    assert status == 201
    # then the replay record is sealed: neither the secret nor the Idempotency-Key is readable in it
    stored = list(IdempotencyRecord.scan(IdempotencyRecord.sealed.exists()))
    assert stored, "no sealed idempotency record was written"
    assert not any(created["secret"] in str(r.attribute_values) or key["Idempotency-Key"] in str(r.attribute_values)
                   for r in stored)


# ---- tenants and webhook endpoints -----------------------------------------------------------------

def test_a_tenant_is_made_once_per_idempotency_key(api, signin):
    # given ops and a new tenant's body
    ops = new_partner(api, signin)["ops"]
    tid = "p-" + uuid.uuid4().hex[:10]
    body = {"tenant_id": tid, "name": "Once AG", "currency": "CHF", "billing_model": "invoice"}
    key = given_a_key()
    # when it is posted twice with one Idempotency-Key
    assert api.call("POST", "/v1/tenants", body, {**ops, **key})[0] == 201
    status, again, headers = api.call("POST", "/v1/tenants", body, {**ops, **key})
    # then the second is a replay (without the key it would be 409 exists)
    assert status == 200 and again["tenant_id"] == tid and headers["Idempotent-Replayed"] == "true"


def test_a_webhook_endpoint_is_made_once_per_idempotency_key(api, signin):
    # given a partner and an endpoint to register
    partner, key = new_partner(api, signin), given_a_key()
    ep = {"url": "https://partner.example/hooks", "events": ["booking.created"]}
    # when the partner registers it twice with one Idempotency-Key
    s1, first, _ = api.call("POST", f"/v1/tenants/{partner['tenant_id']}/webhooks", ep, {**partner["h"], **key})
    s2, second, _ = api.call("POST", f"/v1/tenants/{partner['tenant_id']}/webhooks", ep, {**partner["h"], **key})
    # then one endpoint exists and both answers name it
    assert (s1, s2) == (201, 200) and first == second
    listed = api.call("GET", f"/v1/tenants/{partner['tenant_id']}/webhooks", headers=partner["h"])[1]["items"]
    assert [e["endpoint_id"] for e in listed] == [first["endpoint_id"]]


# ---- bookings, per key and mode ---------------------------------------------------------------------

def test_idempotency_keys_are_per_api_key_and_per_mode(api, signin):
    # given a partner with a test key and a live key, and one Idempotency-Key both use
    partner = new_partner(api, signin, environment="test")
    status, live, _ = when_creating_an_api_key(api, partner, given_a_key(), name="live")
    assert status == 201
    shared = given_a_key()
    body = partner_booking(external_ref="ORD-SHARED")
    # when each key books with it
    s_test, in_test, _ = api.call("POST", "/v1/partner/bookings", body, {**partner["h"], **shared})
    s_live, in_live, _ = api.call("POST", "/v1/partner/bookings", body, {"X-Api-Key": live["secret"], **shared})
    # then each made its own booking, the test one in the sandbox
    assert (s_test, s_live) == (201, 201), (in_test, in_live)
    assert in_test["booking_id"] != in_live["booking_id"] and in_test["sandbox"] and not in_live["sandbox"]
    # and the live key asking again gets its own booking back
    s_again, again, _ = api.call("POST", "/v1/partner/bookings", body, {"X-Api-Key": live["secret"], **shared})
    assert s_again == 200 and again["booking_id"] == in_live["booking_id"]


def test_the_document_declares_the_key_and_its_problems_on_every_idempotent_create(api):
    # given the served OpenAPI document
    doc = api.call("GET", "/v1/openapi.json")[1]
    # then every idempotent create declares the header, its 422 and the replay's 200
    for path in ("/v1/tenants", "/v1/tenants/{tenant_id}/api-keys", "/v1/tenants/{tenant_id}/webhooks",
                 "/v1/partner/bookings", "/v1/bookings"):
        op = doc["paths"][path]["post"]
        header = [x for x in op["parameters"] if x["name"] == "Idempotency-Key"]
        assert header and "422 idempotency-key-reused" in header[0]["description"], path
        assert {"200", "409", "422"} <= set(op["responses"]), path
