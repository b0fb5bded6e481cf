"""Idempotency as the OpenAPI document promises it (issue 17, item 4): every create that takes an
Idempotency-Key (tenants, API keys, webhook endpoints, bookings) makes one thing for one key, replays
the same answer, answers another body with the documented 422 problem, and keys are the calling API
key's and mode's (a test key never gets what a live key made)."""
import uuid

import pytest

from tests.integration.partner_fixtures import new_partner, partner_booking

pytestmark = pytest.mark.integration


def test_creating_an_api_key_twice_with_one_idempotency_key_makes_one_key(api, signin):
    p = new_partner(api, signin)
    tid, ops = p["tenant_id"], p["ops"]
    h = {**ops, "Idempotency-Key": "key-" + uuid.uuid4().hex}
    s1, first, h1 = api.call("POST", f"/v1/tenants/{tid}/api-keys", {"name": "shop", "environment": "live"}, h)
    s2, again, h2 = api.call("POST", f"/v1/tenants/{tid}/api-keys", {"name": "shop", "environment": "live"}, h)
    assert (s1, s2) == (201, 200) and h2.get("Idempotent-Replayed") == "true" and "Idempotent-Replayed" not in h1
    assert again == first and first["secret"].startswith("cfx_live_")  # the same answer, the secret included
    keys = api.call("GET", f"/v1/tenants/{tid}/api-keys", headers=ops)[1]["items"]
    assert sorted(k["name"] for k in keys) == ["backend", "shop"]  # one key made, not two
    assert api.call("GET", "/v1/partner/tenant", headers={"X-Api-Key": again["secret"]})[0] == 200

    s3, problem, _ = api.call("POST", f"/v1/tenants/{tid}/api-keys", {"name": "other", "environment": "live"}, h)
    assert s3 == 422 and problem["type"].endswith("idempotency-key-reused") and problem["field"] == "Idempotency-Key"
    assert len(api.call("GET", f"/v1/tenants/{tid}/api-keys", headers=ops)[1]["items"]) == 2


def test_the_secret_is_kept_sealed_not_readable_from_the_idempotency_table(api, signin):
    from chalicelib.models.idempotency import IdempotencyRecord

    p = new_partner(api, signin)
    key = "seal-" + uuid.uuid4().hex
    status, created, _ = api.call("POST", f"/v1/tenants/{p['tenant_id']}/api-keys",
                                  {"name": "sealed", "environment": "test"}, {**p["ops"], "Idempotency-Key": key})
    assert status == 201
    stored = [r for r in IdempotencyRecord.scan(IdempotencyRecord.sealed.exists())]
    assert stored and not any(created["secret"] in str(r.attribute_values) or key in str(r.attribute_values)
                              for r in stored)


def test_tenants_and_webhook_endpoints_are_made_once_per_key(api, signin):
    p = new_partner(api, signin)
    ops = p["ops"]
    tid = "p-" + uuid.uuid4().hex[:10]
    h = {**ops, "Idempotency-Key": "tenant-" + uuid.uuid4().hex}
    body = {"tenant_id": tid, "name": "Once AG", "currency": "CHF", "billing_model": "invoice"}
    assert api.call("POST", "/v1/tenants", body, h)[0] == 201
    status, again, headers = api.call("POST", "/v1/tenants", body, h)  # without the key this would be 409 exists
    assert status == 200 and again["tenant_id"] == tid and headers["Idempotent-Replayed"] == "true"

    wh = {**p["h"], "Idempotency-Key": "wh-" + uuid.uuid4().hex}
    ep = {"url": "https://partner.example/hooks", "events": ["booking.created"]}
    s1, first, _ = api.call("POST", f"/v1/tenants/{p['tenant_id']}/webhooks", ep, wh)
    s2, second, _ = api.call("POST", f"/v1/tenants/{p['tenant_id']}/webhooks", ep, wh)
    assert (s1, s2) == (201, 200) and first == second
    listed = api.call("GET", f"/v1/tenants/{p['tenant_id']}/webhooks", headers=p["h"])[1]["items"]
    assert [e["endpoint_id"] for e in listed] == [first["endpoint_id"]]


def test_idempotency_keys_are_per_api_key_and_per_mode(api, signin):
    p = new_partner(api, signin, environment="test")
    status, live, _ = api.call("POST", f"/v1/tenants/{p['tenant_id']}/api-keys",
                               {"name": "live", "environment": "live"}, p["ops"])
    assert status == 201
    shared = {"Idempotency-Key": "same-" + uuid.uuid4().hex}
    body = partner_booking(external_ref="ORD-SHARED")
    s_test, in_test, _ = api.call("POST", "/v1/partner/bookings", body, {**p["h"], **shared})
    s_live, in_live, _ = api.call("POST", "/v1/partner/bookings", body, {"X-Api-Key": live["secret"], **shared})
    assert (s_test, s_live) == (201, 201), (in_test, in_live)
    assert in_test["booking_id"] != in_live["booking_id"] and in_test["sandbox"] and not in_live["sandbox"]
    s_again, again, _ = api.call("POST", "/v1/partner/bookings", body, {"X-Api-Key": live["secret"], **shared})
    assert s_again == 200 and again["booking_id"] == in_live["booking_id"]


def test_the_document_declares_the_key_and_its_problems_on_every_idempotent_create(api):
    doc = api.call("GET", "/v1/openapi.json")[1]
    for path in ("/v1/tenants", "/v1/tenants/{tenant_id}/api-keys", "/v1/tenants/{tenant_id}/webhooks",
                 "/v1/partner/bookings", "/v1/bookings"):
        op = doc["paths"][path]["post"]
        header = [x for x in op["parameters"] if x["name"] == "Idempotency-Key"]
        assert header and "422 idempotency-key-reused" in header[0]["description"], path
        assert {"200", "409", "422"} <= set(op["responses"]), path
