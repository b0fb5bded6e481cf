"""Issue 16, "who may set what" and "sign-in that cannot be ground down": the count of a tenant's
API keys is a conditional counter (concurrent creations never pass the limit), and per-client
limits count the viewer's address behind CloudFront only when the request came through CloudFront."""
from __future__ import annotations

import threading

import pytest

from chalicelib.domain.headers import client_address

TOKEN = "3f1c2b7e-8d4a-4e55-9a61-0c2d7b9e1f00"


# --- the client address ----------------------------------------------------------------------------

def test_the_viewer_address_counts_only_when_cloudfront_sent_it():
    through_cloudfront = {"X-Crowdfix-Origin": TOKEN, "CloudFront-Viewer-Address": "198.51.100.7:46532"}
    assert client_address(through_cloudfront, "130.176.1.1", TOKEN) == "198.51.100.7"
    ipv6 = {"x-crowdfix-origin": TOKEN, "cloudfront-viewer-address": "2001:db8::7:443"}
    assert client_address(ipv6, "130.176.1.1", TOKEN) == "2001:db8::7"


@pytest.mark.parametrize("headers", [
    {"CloudFront-Viewer-Address": "198.51.100.7:1"},                               # no origin header
    {"X-Crowdfix-Origin": "guessed", "CloudFront-Viewer-Address": "198.51.100.7:1"},  # wrong token
    {"X-Forwarded-For": "198.51.100.7"},                                           # client-settable
    {"X-Crowdfix-Origin": TOKEN, "X-Forwarded-For": "198.51.100.7"},
    {"X-Crowdfix-Origin": TOKEN, "CloudFront-Viewer-Address": "not-an-address"},
])
def test_otherwise_the_source_address_counts(headers):
    assert client_address(headers, "203.0.113.9", TOKEN) == "203.0.113.9"


def test_without_a_configured_token_the_header_is_never_trusted():
    headers = {"X-Crowdfix-Origin": "", "CloudFront-Viewer-Address": "198.51.100.7:1"}
    assert client_address(headers, "203.0.113.9", None) == "203.0.113.9"
    assert client_address(headers, "203.0.113.9", "") == "203.0.113.9"
    assert client_address({}, "garbage", None) is None


@pytest.mark.integration
def test_sign_in_limits_count_the_viewer_behind_cloudfront(api, monkeypatch):
    """Through the HTTP edge: the sign-in code limit per client address is charged to the viewer's
    address when CloudFront's origin header is right, and to the source address otherwise."""
    import uuid

    from chalicelib.models.signin import SignInCode
    from chalicelib.services import auth

    monkeypatch.setenv("CROWDFIX_CLOUDFRONT_ORIGIN_TOKEN", TOKEN)
    viewer = "198.51.100.77"
    first, second = (f"nobody-cf-{uuid.uuid4().hex[:8]}@example.org" for _ in range(2))
    status, _, _ = api.call("POST", "/v1/auth/code", {"email": first, "role": "customer", "language": "en"},
                            {"X-Crowdfix-Origin": TOKEN, "CloudFront-Viewer-Address": f"{viewer}:5000"})
    assert status == 202
    status, _, _ = api.call("POST", "/v1/auth/code", {"email": second, "role": "customer", "language": "en"},
                            {"X-Crowdfix-Origin": "wrong", "CloudFront-Viewer-Address": f"{viewer}:5000",
                             "X-Forwarded-For": viewer})
    assert status == 202
    # each code records the client-address counter it was charged to
    charged = [SignInCode.get(auth._key("crowdfix", "customer", e), consistent_read=True).ip_key
               for e in (first, second)]
    assert charged[0].startswith(f"ip#{viewer}#") and not charged[1].startswith(f"ip#{viewer}#"), charged


# --- the key count ---------------------------------------------------------------------------------

RACERS = 12


@pytest.mark.integration
def test_concurrent_key_creations_never_pass_the_tenants_limit(api, signin):
    from chalicelib.domain import partners as dp
    from chalicelib.domain.actors import Actor
    from chalicelib.domain.errors import Conflict
    from chalicelib.models.partners import ApiKey
    from chalicelib.models.tenants import Tenant
    from chalicelib.services import partners as svc
    from tests.integration.partner_fixtures import new_partner

    p = new_partner(api, signin)  # one key made already
    tid = p["tenant_id"]
    assert api.call("PATCH", f"/v1/tenants/{tid}", {"api_keys_max": 4}, p["ops"])[0] == 200
    ops = Actor("ops", "s_ops", "*")
    barrier = threading.Barrier(RACERS)
    results: list[str] = []

    def racer(i):
        barrier.wait()
        try:
            svc.create_api_key(ops, tid, dp.CreateApiKey(name=f"racer {i}"))
            results.append("201")
        except Conflict:
            results.append("409")
        except Exception as exc:  # anything else is a bug
            results.append(f"error: {exc!r}")

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["201"] * 3 + ["409"] * (RACERS - 3), results
    active = [k for k in ApiKey.by_tenant.query(tid) if k.status == "active"]
    assert len(active) == 4 and int(Tenant.get(tid, consistent_read=True).api_keys_active) == 4

    # revoking frees one place (twice at once counts once); rotating replaces one for one
    keys = f"/v1/tenants/{tid}/api-keys"
    victim = next(k for k in active if k.key_id != p["key_id"])
    answers = []
    revokers = [threading.Thread(target=lambda: answers.append(
        svc.revoke_api_key(ops, tid, victim.key_id).status)) for _ in range(4)]
    for t in revokers:
        t.start()
    for t in revokers:
        t.join()
    assert answers == ["revoked"] * 4 and int(Tenant.get(tid, consistent_read=True).api_keys_active) == 3
    status, rotated, _ = api.call("POST", f"{keys}/{p['key_id']}/rotate", None, p["ops"])
    assert status == 201, rotated
    assert int(Tenant.get(tid, consistent_read=True).api_keys_active) == 3
    assert api.call("POST", f"{keys}/{p['key_id']}/rotate", None, p["ops"])[0] == 409  # revoked by the rotation
    assert api.call("POST", keys, {"name": "the fourth"}, p["ops"])[0] == 201
    status, problem, _ = api.call("POST", keys, {"name": "a fifth"}, p["ops"])
    assert status == 409 and problem["field"] == "api_keys_max", problem


@pytest.mark.integration
def test_a_tenant_from_before_the_counter_starts_it_from_its_active_keys(api, signin):
    from chalicelib.models.tenants import Tenant
    from tests.integration.partner_fixtures import new_partner

    p = new_partner(api, signin)
    tid = p["tenant_id"]
    Tenant(tid).update(actions=[Tenant.api_keys_active.remove()])  # as a tenant made before the counter
    assert api.call("PATCH", f"/v1/tenants/{tid}", {"api_keys_max": 2}, p["ops"])[0] == 200
    assert api.call("POST", f"/v1/tenants/{tid}/api-keys", {"name": "second"}, p["ops"])[0] == 201
    assert api.call("POST", f"/v1/tenants/{tid}/api-keys", {"name": "third"}, p["ops"])[0] == 409
    assert int(Tenant.get(tid, consistent_read=True).api_keys_active) == 2
