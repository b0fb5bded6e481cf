"""Tenant isolation matrix: every partner and tenant-admin route, called by tenant B (its API key,
its admin) with tenant A's ids, answers 404/403 and changes nothing of A."""
import uuid

import pytest

from tests.integration.partner_fixtures import new_partner, partner_booking

pytestmark = pytest.mark.integration


@pytest.fixture()
def two_tenants(api, signin):
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
    a, b = two_tenants
    pump.wait_idle(timeout=60)  # tenant A's own dispatch and webhooks settle first: only B's calls remain
    before = snapshot(a)
    outcomes = []
    for method, path, body, who in matrix(a):
        headers = b["h"] if who == "key" else b["admin"]
        status, problem, _ = api.call(method, path, body, headers)
        outcomes.append((method, path, who, status))
        assert status in (403, 404), (method, path, who, status, problem)
        assert a["tenant_id"] not in str(problem.get("tenant_id", "")) and "hijacked" not in str(problem)
    pump.wait_idle(timeout=60)
    assert snapshot(a) == before
    assert len(outcomes) == len(matrix(a))


def test_lists_and_lookups_of_tenant_b_never_include_tenant_a(api, two_tenants):
    a, b = two_tenants
    status, listing, _ = api.call("GET", "/v1/partner/bookings?limit=100", headers=b["h"])
    assert status == 200 and a["booking_id"] not in str(listing)
    status, listing, _ = api.call("GET", "/v1/partner/bookings?external_ref=A-1", headers=b["h"])
    assert status == 200 and listing["items"] == []
    # a cursor crafted from A's keys does not reach into A's bookings
    import base64
    import json
    forged = base64.urlsafe_b64encode(json.dumps({"booking_id": {"S": a["booking_id"]}, "tenant_id": {"S": a["tenant_id"]},
                                                  "created_at": {"S": "2099-01-01"}}).encode()).decode()
    status, listing, _ = api.call("GET", f"/v1/partner/bookings?cursor={forged}", headers=b["h"])
    assert status in (200, 422) and a["booking_id"] not in str(listing)


def test_customers_helpers_and_partner_keys_stay_on_their_side(api, signin, two_tenants):
    a, b = two_tenants
    customer = signin()
    helper = signin("helper@crowdfix.local", "helper")
    bid = a["booking_id"]
    for headers in (customer, helper):
        assert api.call("GET", f"/v1/bookings/{bid}", headers=headers)[0] == 404
        assert api.call("POST", f"/v1/bookings/{bid}/cancel", {}, headers)[0] in (403, 404)
        assert api.call("GET", f"/v1/partner/bookings/{bid}", headers=headers)[0] == 401
        assert api.call("GET", f"/v1/tenants/{a['tenant_id']}", headers=headers)[0] == 403
    # an API key is not a sign-in token for the customer API
    assert api.call("GET", f"/v1/bookings/{bid}", headers={"Authorization": f"Bearer {a['key']}"})[0] == 401
    # a's own key still works and sees its booking unchanged
    status, mine, _ = api.call("GET", f"/v1/partner/bookings/{bid}", headers=a["h"])
    assert status == 200 and mine["state"] in ("requested", "offered")
