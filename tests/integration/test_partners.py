"""Partners end to end on the local stack: tenants, partner admins, API keys and rate limits, the
partner booking API, attribution and the commission report, widget, landing page, OpenAPI."""
import hashlib
import threading
import uuid

import pytest

from tests.integration.partner_fixtures import new_partner, partner_booking
from tests.stack_fixtures import wait_for

pytestmark = pytest.mark.integration


def test_ops_create_a_tenant_and_its_admin_manages_it(api, signin):
    p = new_partner(api, signin, landing={"headline": "Hilfe von Acme", "call_to_action": "Jetzt buchen"})
    tid = p["tenant_id"]
    status, tenant, _ = api.call("GET", f"/v1/tenants/{tid}", headers=p["ops"])
    assert status == 200 and tenant["billing_model"] == "invoice" and tenant["helper_pool"] == "crowd"
    assert tenant["branding"]["primary"] == "#aa0044" and tenant["landing"]["headline"] == "Hilfe von Acme"

    admin_email = f"admin-{uuid.uuid4().hex[:8]}@partner.example"
    status, admin, _ = api.call("POST", f"/v1/tenants/{tid}/admins", {"email": admin_email, "name": "Pat"}, p["ops"])
    assert status == 201 and admin["role"] == "partner_admin"
    admin_h = signin(admin_email, "partner_admin")
    status, me, _ = api.call("GET", "/v1/me", headers=admin_h)
    assert me == {"role": "partner_admin", "id": admin["staff_id"], "tenant_id": tid}

    status, changed, _ = api.call("PATCH", f"/v1/tenants/{tid}",
                                  {"matching": {"max_rounds": 2}, "helper_pool": "both"}, admin_h)
    assert status == 200, changed
    assert changed["helper_pool"] == "both" and changed["matching"]["max_rounds"] == 2
    # commercial terms are set by crowdfix operations only (issue 16; tests/security/test_tenant_terms.py)
    pricing = {"pricing": {"hourly_rate_minor": 7000, "partner_share_percent": 12}}
    assert api.call("PATCH", f"/v1/tenants/{tid}", pricing, admin_h)[0] == 403
    status, changed, _ = api.call("PATCH", f"/v1/tenants/{tid}", pricing, p["ops"])
    assert status == 200 and changed["pricing"]["hourly_rate_minor"] == 7000

    # the admin of one partner neither creates tenants nor sees another tenant
    other = new_partner(api, signin)
    assert api.call("POST", "/v1/tenants", {"tenant_id": "p-" + uuid.uuid4().hex[:8], "name": "x"}, admin_h)[0] == 403
    assert api.call("GET", f"/v1/tenants/{other['tenant_id']}", headers=admin_h)[0] == 404
    assert api.call("PATCH", f"/v1/tenants/{other['tenant_id']}", {"name": "taken over"}, admin_h)[0] == 404
    assert api.call("GET", f"/v1/tenants/{other['tenant_id']}", headers=p["ops"])[1]["name"] != "taken over"
    # a second tenant with the same id is refused
    status, problem, _ = api.call("POST", "/v1/tenants", {"tenant_id": tid, "name": "again"}, p["ops"])
    assert status == 409 and problem["field"] == "tenant_id"


def test_api_keys_are_shown_once_hashed_rotated_and_revoked(api, signin):
    p = new_partner(api, signin, environment="live")
    tid, ops = p["tenant_id"], p["ops"]
    assert p["key"].startswith("cfx_live_")
    from chalicelib.models.partners import ApiKey
    stored = ApiKey.get(hashlib.sha256(p["key"].encode()).hexdigest())
    assert stored.tenant_id == tid and p["key"] not in str(stored.attribute_values)

    status, listing, _ = api.call("GET", f"/v1/tenants/{tid}/api-keys", headers=ops)
    assert status == 200 and [k["prefix"] for k in listing["items"]] == [p["key"][:17]]
    assert "secret" not in listing["items"][0] and p["key"] not in str(listing)

    assert api.call("GET", "/v1/partner/tenant", headers=p["h"])[1]["environment"] == "live"
    assert api.call("GET", "/v1/partner/tenant", headers={"Authorization": f"Bearer {p['key']}"})[0] == 200

    status, rotated, _ = api.call("POST", f"/v1/tenants/{tid}/api-keys/{p['key_id']}/rotate", headers=ops)
    assert status == 201 and rotated["secret"] != p["key"] and rotated["environment"] == "live"
    assert api.call("GET", "/v1/partner/tenant", headers=p["h"])[0] == 401
    new_h = {"X-Api-Key": rotated["secret"]}
    assert api.call("GET", "/v1/partner/tenant", headers=new_h)[0] == 200

    status, revoked, _ = api.call("POST", f"/v1/tenants/{tid}/api-keys/{rotated['key_id']}/revoke", headers=ops)
    assert status == 200 and revoked["status"] == "revoked"
    status, problem, _ = api.call("GET", "/v1/partner/tenant", headers=new_h)
    assert status == 401 and "revoked" in problem["detail"]
    assert api.call("GET", "/v1/partner/tenant", headers={"X-Api-Key": "cfx_live_nothing"})[0] == 401
    assert api.call("GET", "/v1/partner/tenant")[0] == 401


def test_per_key_rate_limit_answers_429_with_retry_after(api, signin):
    p = new_partner(api, signin, rate_limit={"requests_per_second": 0.2, "burst": 3})
    codes = [api.call("GET", "/v1/partner/tenant", headers=p["h"])[0] for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    status, problem, headers = api.call("GET", "/v1/partner/tenant", headers=p["h"])
    assert status == 429 and int(headers["Retry-After"]) >= 1 and problem["type"].endswith("rate-limited")


def test_token_bucket_never_hands_out_more_than_the_burst_under_concurrency(stack):
    from chalicelib.services.partners import take_rate_token

    bucket = "key_conc" + uuid.uuid4().hex[:8]
    results = []
    lock = threading.Lock()

    def worker():
        ok, _ = take_rate_token(bucket, "t-conc", rate=0.001, burst=5)
        with lock:
            results.append(ok)

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 12 and sum(results) <= 5 and sum(results) >= 1


def test_partner_quotes_discovers_helpers_and_books_for_its_customer(api, signin):
    p = new_partner(api, signin, environment="test")  # a test key makes sandbox bookings
    h = p["h"]
    status, quote, _ = api.call("GET", "/v1/partner/quote?category=printer&mode=onsite&lat=47.3769&lon=8.5417&minutes=90",
                                headers=h)
    assert status == 200, quote
    assert quote["total"] == {"amount": 9000 + 2500, "currency": "CHF"} and quote["available_helpers"] >= 1
    status, helpers, _ = api.call("GET", "/v1/partner/helpers?category=printer&lat=47.3769&lon=8.5417", headers=h)
    assert status == 200 and helpers["items"] and all("email" not in x and "lat" not in x for x in helpers["items"])
    assert api.call("GET", "/v1/partner/quote?category=printer&mode=onsite", headers=h)[1]["field"] == "lat"
    assert api.call("GET", "/v1/partner/quote?category=toaster", headers=h)[0] == 422

    body = partner_booking(external_ref="ORD-1001", affiliate_code="shop-zh", campaign="winter26")
    key = {"Idempotency-Key": "k-" + uuid.uuid4().hex}
    status, booking, headers = api.call("POST", "/v1/partner/bookings", body, {**h, **key})
    assert status == 201, booking
    assert booking["external_ref"] == "ORD-1001" and booking["affiliate_code"] == "shop-zh"
    assert booking["campaign"] == "winter26" and booking["sandbox"] is True
    assert headers["Location"] == f"/v1/partner/bookings/{booking['booking_id']}"
    status, again, headers = api.call("POST", "/v1/partner/bookings", body, {**h, **key})
    assert status == 200 and again["booking_id"] == booking["booking_id"] and headers["Idempotent-Replayed"] == "true"
    status, problem, _ = api.call("POST", "/v1/partner/bookings", {**body, "description": "something else entirely"},
                                  {**h, **key})
    assert status == 422 and problem["field"] == "Idempotency-Key"

    from chalicelib.models.customers import Customer
    customer = Customer.get(booking["customer_id"])
    assert customer.tenant_id == p["tenant_id"] and customer.email == body["customer"]["email"]

    status, read, _ = api.call("GET", f"/v1/partner/bookings/{booking['booking_id']}", headers=h)
    assert status == 200 and read["tenant_id"] == p["tenant_id"]


def test_partner_lists_filters_pages_and_cancels(api, signin):
    p = new_partner(api, signin)
    h = p["h"]
    ids = [api.call("POST", "/v1/partner/bookings", partner_booking(external_ref=f"R-{i}"), h)[1]["booking_id"]
           for i in range(3)]
    status, one, _ = api.call("GET", "/v1/partner/bookings?external_ref=R-1", headers=h)
    assert status == 200 and [b["booking_id"] for b in one["items"]] == [ids[1]]

    seen, cursor = [], None
    for _ in range(5):
        status, page, _ = api.call("GET", "/v1/partner/bookings?limit=1" + (f"&cursor={cursor}" if cursor else ""),
                                   headers=h)
        assert status == 200 and len(page["items"]) <= 1
        seen += [b["booking_id"] for b in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids) and seen == list(reversed(ids))  # newest first

    status, cancelled, _ = api.call("POST", f"/v1/partner/bookings/{ids[0]}/cancel", {"reason": "solved by phone"}, h)
    assert status == 200 and cancelled["state"] == "cancelled"
    status, listing, _ = api.call("GET", "/v1/partner/bookings?state=cancelled", headers=h)
    assert [b["booking_id"] for b in listing["items"]] == [ids[0]]
    assert api.call("GET", "/v1/partner/bookings?state=lost", headers=h)[1]["field"] == "state"
    assert api.call("GET", "/v1/partner/bookings?cursor=%%%", headers=h)[1]["field"] == "cursor"
    assert api.call("POST", f"/v1/partner/bookings/{ids[0]}/cancel", {}, h)[0] == 409


def test_commission_report_per_period_and_attribution(api, signin, pump):
    from datetime import datetime, timezone

    from chalicelib.domain.actors import Actor
    from chalicelib.models.bookings import Booking
    from chalicelib.models.offers import Offer
    from chalicelib.services.bookings import accept_offer, helper_step

    p = new_partner(api, signin, environment="live", pricing={"partner_share_percent": 10, "hourly_rate_minor": 6000,
                                          "call_out_fee_minor": 2000})
    h = p["h"]
    made = []
    for code, campaign in [("shop-a", "spring"), ("shop-a", "spring"), ("shop-b", None)]:
        b = api.call("POST", "/v1/partner/bookings", partner_booking(affiliate_code=code, campaign=campaign), h)[1]
        made.append(b["booking_id"])
    # the pump dispatches them to crowd helpers; a helper of each takes it and completes 60 minutes
    for bid in made:
        wait_for(lambda: Booking.get(bid, consistent_read=True).state == "offered")
        helper_id = next(o.helper_id for o in Offer.query(bid, consistent_read=True) if o.state == "open")
        helper = Actor("helper", helper_id, "crowdfix")
        accept_offer(helper, bid)
        helper_step(helper, bid, "start")
        helper_step(helper, bid, "complete", minutes_worked=60)
    period = datetime.now(timezone.utc).strftime("%Y-%m")
    status, report, _ = api.call("GET", f"/v1/tenants/{p['tenant_id']}/commission?period={period}", headers=p["ops"])
    assert status == 200, report
    # each: 60 min at 60.00 + 20.00 call-out = 80.00; commission 10 % = 8.00
    assert report["totals"] == {"bookings": 3, "gross": 24000, "commission": 2400}
    groups = {(g["affiliate_code"], g["campaign"]): g for g in report["by_attribution"]}
    assert groups[("shop-a", "spring")]["bookings"] == 2 and groups[("shop-b", None)]["commission"] == 800
    assert api.call("GET", f"/v1/tenants/{p['tenant_id']}/commission?period=2026-13", headers=p["ops"])[0] == 422
    # the partner reads its own report with its key
    assert api.call("GET", f"/v1/tenants/{p['tenant_id']}/commission?period={period}", headers=h)[0] == 200


def test_widget_and_landing_page_are_branded(api, signin):
    p = new_partner(api, signin, landing={"headline": "Tech help from Acme", "call_to_action": "Book now"})
    resp = api.client.http.get(f"/v1/partners/{p['tenant_id']}/widget.js")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("application/javascript")
    js = resp.body.decode()
    assert f"tenant={p['tenant_id']}" in js and "%23aa0044" in js and "iframe" in js
    resp = api.client.http.get(f"/v1/partners/{p['tenant_id']}/landing")
    html = resp.body.decode()
    assert resp.status_code == 200 and "Tech help from Acme" in html and "#aa0044" in html and 'lang="en"' in html
    assert api.call("GET", "/v1/partners/no-such-partner/landing")[0] == 404
    assert api.call("GET", "/v1/partners/NOPE!/widget.js")[0] == 422


def test_openapi_document_and_reference_page_are_served(api):
    from chalicelib.http.openapi import build
    status, doc, _ = api.call("GET", "/v1/openapi.json")
    assert status == 200 and doc == build()
    resp = api.client.http.get("/v1/docs")
    html = resp.body.decode()
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/html")
    assert all(path in html for path in doc["paths"]) and "<script" not in html and "http://" not in html


def test_ops_of_the_platform_is_required_for_admin_routes(api, signin):
    customer = signin()
    assert api.call("POST", "/v1/tenants", {"tenant_id": "p-abcdef", "name": "x"}, customer)[0] == 403
    assert api.call("GET", "/v1/partner/bookings", headers=customer)[0] == 401
