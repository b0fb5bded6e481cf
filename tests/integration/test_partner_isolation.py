"""Tenant isolation matrix: every partner and tenant-admin route, called by tenant B (its API key,
its admin) with tenant A's ids, answers 404/403 and changes nothing of A. Told as given / when / then."""
import uuid

import pytest

from tests.integration.partner_fixtures import new_partner, partner_booking

pytestmark = pytest.mark.integration


# ---- given ----------------------------------------------------------------------------------------

@pytest.fixture()
def two_tenants(api, signin):
    """Given tenant A with a booking, a webhook endpoint and a delivery, and tenant B with its key and an admin."""
    a = new_partner(api, signin)
    b = new_partner(api, signin)
    status, booking, _ = api.call("POST", "/v1/partner/bookings", partner_booking(external_ref="A-1"), a["h"])
    assert status == 201
    a["booking_id"] = booking["booking_id"]
    status, ep, _ = api.call("POST", f"/v1/tenants/{a['tenant_id']}/webhooks",
                             {"url": "https://a.example/hooks", "events": ["booking.created"]}, a["h"])
    assert status == 201
    a["endpoint_id"] = ep["endpoint_id"]
    from chalicelib.services.webhooks import publish
    a["message_id"] = publish(a["tenant_id"], "booking.created", {"booking_id": booking["booking_id"]},
                              source=f"iso-{uuid.uuid4().hex}", occurred_at="2026-01-01T00:00:00Z")[0]
    admin_email = f"admin-b-{uuid.uuid4().hex[:8]}@partner.example"
    assert api.call("POST", f"/v1/tenants/{b['tenant_id']}/admins", {"email": admin_email, "name": "B"}, b["ops"])[0] == 201
    b["admin"] = signin(admin_email, "partner_admin")
    return a, b


def matrix(a):
    t, bid, ep, key, msg = a["tenant_id"], a["booking_id"], a["endpoint_id"], a["key_id"], a["message_id"]
    return [
        ("GET", f"/v1/partner/bookings/{bid}", None, "key"),
        ("POST", f"/v1/partner/bookings/{bid}/cancel", {}, "key"),
        ("GET", f"/v1/tenants/{t}", None, "key"),
        ("GET", f"/v1/tenants/{t}", None, "admin"),
        ("PATCH", f"/v1/tenants/{t}", {"name": "hijacked"}, "admin"),
        ("PATCH", f"/v1/tenants/{t}", {"name": "hijacked"}, "key"),
        ("POST", f"/v1/tenants/{t}/admins", {"email": "evil@b.example", "name": "E"}, "admin"),
        ("POST", f"/v1/tenants/{t}/api-keys", {"name": "mine now"}, "admin"),
        ("POST", f"/v1/tenants/{t}/api-keys", {"name": "mine now"}, "key"),
        ("GET", f"/v1/tenants/{t}/api-keys", None, "admin"),
        ("POST", f"/v1/tenants/{t}/api-keys/{key}/rotate", None, "admin"),
        ("POST", f"/v1/tenants/{t}/api-keys/{key}/revoke", None, "admin"),
        ("POST", f"/v1/tenants/{t}/webhooks", {"url": "https://b.example/steal"}, "key"),
        ("POST", f"/v1/tenants/{t}/webhooks", {"url": "https://b.example/steal"}, "admin"),
        ("GET", f"/v1/tenants/{t}/webhooks", None, "key"),
        ("GET", f"/v1/tenants/{t}/webhooks", None, "admin"),
        ("DELETE", f"/v1/tenants/{t}/webhooks/{ep}", None, "key"),
        ("GET", f"/v1/tenants/{t}/webhooks/{ep}/deliveries", None, "key"),
        ("POST", f"/v1/tenants/{t}/webhooks/{ep}/deliveries/{msg}/redeliver", None, "admin"),
        ("GET", f"/v1/tenants/{t}/commission?period=2026-01", None, "key"),
        ("GET", f"/v1/tenants/{t}/commission?period=2026-01", None, "admin"),
    ]


def snapshot(a):
    from chalicelib.models.bookings import Booking
    from chalicelib.models.partners import ApiKey, WebhookDelivery, WebhookEndpoint
    from chalicelib.models.tenants import Tenant

    booking = Booking.get(a["booking_id"], consistent_read=True)
    return {
        "booking": (booking.state, int(booking.version)),
        "tenant": Tenant.get(a["tenant_id"], consistent_read=True).to_simple_dict(),
        "keys": sorted((k.key_id, k.status) for k in ApiKey.by_tenant.query(a["tenant_id"])),
        "endpoints": sorted(e.endpoint_id for e in WebhookEndpoint.query(a["tenant_id"], consistent_read=True)),
        "deliveries": sorted((d.message_id, d.status, int(d.attempts or 0))
                             for d in WebhookDelivery.query(a["endpoint_id"], consistent_read=True)),
    }


def test_tenant_b_cannot_read_or_change_anything_of_tenant_a(api, two_tenants, pump):
    # given tenants A and B, A's own dispatch and webhooks settled first: only B's calls remain
    a, b = two_tenants
    pump.wait_idle(timeout=60)
    before = snapshot(a)
    # when B calls every partner and tenant-admin route with A's ids, by key and as its admin
    outcomes = []
    for method, path, body, who in matrix(a):
        headers = b["h"] if who == "key" else b["admin"]
        status, problem, _ = api.call(method, path, body, headers)
        outcomes.append((method, path, who, status))
        # then each is 403 or 404, and no answer tells anything of A
        assert status in (403, 404), (method, path, who, status, problem)
        assert a["tenant_id"] not in str(problem.get("tenant_id", "")) and "hijacked" not in str(problem)
    # and nothing of A changed
    pump.wait_idle(timeout=60)
    assert snapshot(a) == before
    assert len(outcomes) == len(matrix(a))


def test_tenant_bs_booking_list_never_includes_tenant_a(api, two_tenants):
    # given tenants A (with a booking) and B
    a, b = two_tenants
    # when B lists its bookings
    status, listing, _ = api.call("GET", "/v1/partner/bookings?limit=100", headers=b["h"])
    # then A's booking is not among them
    assert status == 200 and a["booking_id"] not in str(listing)


def test_tenant_b_looking_up_tenant_as_external_ref_finds_nothing(api, two_tenants):
    # given tenant A's booking with external
    a, b = two_tenants
    # when B looks that ref up, then it finds nothing
    status, listing, _ = api.call("GET", "/v1/partner/bookings?external_ref=A-1", headers=b["h"])
    assert status == 200 and listing["items"] == []


def test_a_cursor_forged_from_tenant_as_keys_does_not_reach_its_bookings(api, two_tenants):
    import base64
    import json
    # given a cursor B crafted from A's booking keys
    a, b = two_tenants
    forged = base64.urlsafe_b64encode(json.dumps({"booking_id": {"S": a["booking_id"]}, "tenant_id": {"S": a["tenant_id"]},
                                                  "created_at": {"S": "2099-01-01"}}).encode()).decode()
    # when B pages with it, then A's booking is not in the answer
    status, listing, _ = api.call("GET", f"/v1/partner/bookings?cursor={forged}", headers=b["h"])
    assert status in (200, 422) and a["booking_id"] not in str(listing)


def test_customers_and_helpers_cannot_reach_a_partners_booking_or_tenant(api, signin, two_tenants):
    # given tenant A's booking, and a customer and a helper of the platform
    a, _ = two_tenants
    bid = a["booking_id"]
    for headers in (signin(), signin("helper@crowdfix.local", "helper")):
        # when each reads or cancels it, or reads it and its tenant as a partner would
        # then it is not found, refused, or asks for a partner key
        assert api.call("GET", f"/v1/bookings/{bid}", headers=headers)[0] == 404
        assert api.call("POST", f"/v1/bookings/{bid}/cancel", {}, headers)[0] in (403, 404)
        assert api.call("GET", f"/v1/partner/bookings/{bid}", headers=headers)[0] == 401
        assert api.call("GET", f"/v1/tenants/{a['tenant_id']}", headers=headers)[0] == 403


def test_an_api_key_is_not_a_sign_in_token_and_the_partners_own_key_still_works(api, two_tenants):
    # given tenant A's booking and API key
    a, _ = two_tenants
    bid = a["booking_id"]
    # when the key is sent as a bearer token to the customer API, then it is 401
    assert api.call("GET", f"/v1/bookings/{bid}", headers={"Authorization": f"Bearer {a['key']}"})[0] == 401
    # and A's key on the partner API sees its booking unchanged
    status, mine, _ = api.call("GET", f"/v1/partner/bookings/{bid}", headers=a["h"])
    assert status == 200 and mine["state"] in ("requested", "offered")
