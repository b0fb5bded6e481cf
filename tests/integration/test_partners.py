"""Partners end to end on the local stack: tenants, partner admins, API keys and rate limits, the
partner booking API, attribution and the commission report, widget, landing page, OpenAPI. Told as
given / when / then, one behaviour per test."""
import hashlib
import threading
import uuid

import pytest

from tests.integration.partner_fixtures import new_partner, partner_booking
from tests.stack_fixtures import wait_for

pytestmark = pytest.mark.integration


# ---- given / when ----------------------------------------------------------------------------------

def given_a_partner_admin(api, signin, partner: dict) -> tuple[dict, dict]:
    """Ops adds an admin to the partner's tenant; the admin signs in: ``(admin record, headers)``."""
    admin_email = f"admin-{uuid.uuid4().hex[:8]}@partner.example"
    status, admin, _ = api.call("POST", f"/v1/tenants/{partner['tenant_id']}/admins",
                                {"email": admin_email, "name": "Pat"}, partner["ops"])
    assert status == 201 and admin["role"] == "partner_admin", admin
    return admin, signin(admin_email, "partner_admin")


def tenant_key_status(api, headers) -> int:
    return api.call("GET", "/v1/partner/tenant", headers=headers)[0]


def given_a_sandbox_partner_booking(api, signin) -> tuple[dict, dict, dict, dict]:
    """A test-key partner's booking made with an Idempotency-Key: ``(partner, body, key, booking)``."""
    p = new_partner(api, signin, environment="test")  # a test key makes sandbox bookings
    body = partner_booking(external_ref="ORD-1001", affiliate_code="shop-zh", campaign="winter26")
    key = {"Idempotency-Key": "k-" + uuid.uuid4().hex}
    status, booking, headers = api.call("POST", "/v1/partner/bookings", body, {**p["h"], **key})
    assert status == 201, booking
    booking["_location"] = headers["Location"]
    return p, body, key, booking


def given_three_partner_bookings(api, signin) -> tuple[dict, list[str]]:
    p = new_partner(api, signin)
    ids = [api.call("POST", "/v1/partner/bookings", partner_booking(external_ref=f"R-{i}"), p["h"])[1]["booking_id"]
           for i in range(3)]
    return p, ids


# ---- tenants and their admins -----------------------------------------------------------------------

def test_ops_create_a_tenant_with_its_billing_pool_branding_and_landing(api, signin):
    # when ops create a tenant with a landing page
    p = new_partner(api, signin, landing={"headline": "Hilfe von Acme", "call_to_action": "Jetzt buchen"})
    # then it reads back with the defaults and what was given
    status, tenant, _ = api.call("GET", f"/v1/tenants/{p['tenant_id']}", headers=p["ops"])
    assert status == 200 and tenant["billing_model"] == "invoice" and tenant["helper_pool"] == "crowd"
    assert tenant["branding"]["primary"] == "#aa0044" and tenant["landing"]["headline"] == "Hilfe von Acme"


def test_a_tenants_admin_signs_in_to_that_tenant(api, signin):
    # given a tenant
    p = new_partner(api, signin)
    # when ops add an admin, who signs in
    admin, admin_h = given_a_partner_admin(api, signin, p)
    # then the admin is a partner_admin of that tenant
    status, me, _ = api.call("GET", "/v1/me", headers=admin_h)
    assert me == {"role": "partner_admin", "id": admin["staff_id"], "tenant_id": p["tenant_id"]}


def test_a_tenants_admin_changes_matching_and_helper_pool(api, signin):
    # given a tenant's admin
    p = new_partner(api, signin)
    _, admin_h = given_a_partner_admin(api, signin, p)
    # when the admin changes the rounds and the pool
    status, changed, _ = api.call("PATCH", f"/v1/tenants/{p['tenant_id']}",
                                  {"matching": {"max_rounds": 2}, "helper_pool": "both"}, admin_h)
    # then the tenant has them
    assert status == 200, changed
    assert changed["helper_pool"] == "both" and changed["matching"]["max_rounds"] == 2


def test_commercial_terms_are_set_by_crowdfix_operations_only(api, signin):
    # given a tenant's admin (issue 16; tests/security/test_tenant_terms.py)
    p = new_partner(api, signin)
    _, admin_h = given_a_partner_admin(api, signin, p)
    pricing = {"pricing": {"hourly_rate_minor": 7000, "partner_share_percent": 12}}
    # when the admin changes the pricing, then it is 403; when ops do, it is changed
    assert api.call("PATCH", f"/v1/tenants/{p['tenant_id']}", pricing, admin_h)[0] == 403
    status, changed, _ = api.call("PATCH", f"/v1/tenants/{p['tenant_id']}", pricing, p["ops"])
    assert status == 200 and changed["pricing"]["hourly_rate_minor"] == 7000


def test_a_partners_admin_neither_creates_tenants_nor_reaches_another(api, signin):
    # given a tenant's admin, and another tenant
    p = new_partner(api, signin)
    _, admin_h = given_a_partner_admin(api, signin, p)
    other = new_partner(api, signin)
    # when the admin creates a tenant, reads or renames the other one
    # then it is refused, or the other tenant does not exist for them, and it is unchanged
    assert api.call("POST", "/v1/tenants", {"tenant_id": "p-" + uuid.uuid4().hex[:8], "name": "x"}, admin_h)[0] == 403
    assert api.call("GET", f"/v1/tenants/{other['tenant_id']}", headers=admin_h)[0] == 404
    assert api.call("PATCH", f"/v1/tenants/{other['tenant_id']}", {"name": "taken over"}, admin_h)[0] == 404
    assert api.call("GET", f"/v1/tenants/{other['tenant_id']}", headers=p["ops"])[1]["name"] != "taken over"


def test_a_second_tenant_with_the_same_id_is_refused(api, signin):
    # given a tenant
    p = new_partner(api, signin)
    # when ops create one with the same id, then it is 409 naming tenant_id
    status, problem, _ = api.call("POST", "/v1/tenants", {"tenant_id": p["tenant_id"], "name": "again"}, p["ops"])
    assert status == 409 and problem["field"] == "tenant_id"


def test_ops_of_the_platform_is_required_for_admin_routes(api, signin):
    # given a customer
    customer = signin()
    # when she creates a tenant, then 403; a partner route without a key is 401
    assert api.call("POST", "/v1/tenants", {"tenant_id": "p-abcdef", "name": "x"}, customer)[0] == 403
    assert api.call("GET", "/v1/partner/bookings", headers=customer)[0] == 401


# ---- API keys and rate limits ----------------------------------------------------------------------

def test_an_api_key_is_stored_hashed_and_listed_by_its_prefix_only(api, signin):
    from chalicelib.models.partners import ApiKey

    # given a live partner and its key
    p = new_partner(api, signin, environment="live")
    assert p["key"].startswith("cfx_live_")
    # then the stored key is its hash, the secret nowhere in it
    stored = ApiKey.get(hashlib.sha256(p["key"].encode()).hexdigest())
    assert stored.tenant_id == p["tenant_id"] and p["key"] not in str(stored.attribute_values)
    # and the listing shows its prefix, never the secret
    status, listing, _ = api.call("GET", f"/v1/tenants/{p['tenant_id']}/api-keys", headers=p["ops"])
    assert status == 200 and [k["prefix"] for k in listing["items"]] == [p["key"][:17]]
    assert "secret" not in listing["items"][0] and p["key"] not in str(listing)


def test_an_api_key_works_as_x_api_key_or_bearer(api, signin):
    # given a live partner's key
    p = new_partner(api, signin, environment="live")
    # when it calls with X-Api-Key or as a bearer token, then both work, in live mode
    assert api.call("GET", "/v1/partner/tenant", headers=p["h"])[1]["environment"] == "live"
    assert tenant_key_status(api, {"Authorization": f"Bearer {p['key']}"}) == 200


def test_a_rotated_key_replaces_the_old_one(api, signin):
    # given a live partner's key
    p = new_partner(api, signin, environment="live")
    # when ops rotate it
    status, rotated, _ = api.call("POST", f"/v1/tenants/{p['tenant_id']}/api-keys/{p['key_id']}/rotate", headers=p["ops"])
    # then a new live secret works and the old one is 401
    assert status == 201 and rotated["secret"] != p["key"] and rotated["environment"] == "live"
    assert tenant_key_status(api, p["h"]) == 401
    assert tenant_key_status(api, {"X-Api-Key": rotated["secret"]}) == 200


def test_a_revoked_key_is_401_saying_so_and_unknown_or_missing_keys_are_401(api, signin):
    # given a live partner's key
    p = new_partner(api, signin, environment="live")
    # when ops revoke it
    status, revoked, _ = api.call("POST", f"/v1/tenants/{p['tenant_id']}/api-keys/{p['key_id']}/revoke", headers=p["ops"])
    assert status == 200 and revoked["status"] == "revoked"
    # then it is 401 saying it was revoked; an unknown key or none is 401 too
    status, problem, _ = api.call("GET", "/v1/partner/tenant", headers=p["h"])
    assert status == 401 and "revoked" in problem["detail"]
    assert tenant_key_status(api, {"X-Api-Key": "cfx_live_nothing"}) == 401
    assert tenant_key_status(api, None) == 401


def test_per_key_rate_limit_answers_429_with_retry_after(api, signin):
    # given a key allowed a burst of 3, then one request per 5 s
    p = new_partner(api, signin, rate_limit={"requests_per_second": 0.2, "burst": 3})
    # when it calls four times at once, then the fourth is 429
    codes = [tenant_key_status(api, p["h"]) for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    # and the 429 says when to retry
    status, problem, headers = api.call("GET", "/v1/partner/tenant", headers=p["h"])
    assert status == 429 and int(headers["Retry-After"]) >= 1 and problem["type"].endswith("rate-limited")


def test_token_bucket_never_hands_out_more_than_the_burst_under_concurrency(stack):
    from chalicelib.services.partners import take_rate_token

    # given a bucket of five tokens that refills almost never
    bucket = "key_conc" + uuid.uuid4().hex[:8]
    results = []
    lock = threading.Lock()

    def worker():
        ok, _ = take_rate_token(bucket, "t-conc", rate=0.001, burst=5)
        with lock:
            results.append(ok)

    # when twelve threads take a token at once (conditional writes on DynamoDB Local)
    threads = [threading.Thread(target=worker) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then at most five got one
    assert len(results) == 12 and sum(results) <= 5 and sum(results) >= 1


# ---- quoting, discovering, booking ------------------------------------------------------------------

def test_a_partner_quotes_90_minutes_on_site_at_the_platform_tariff(api, signin):
    # given a partner
    p = new_partner(api, signin, environment="test")
    # when it asks for a quote of 90 minutes on site in Zürich
    status, quote, _ = api.call("GET", "/v1/partner/quote?category=printer&mode=onsite&lat=47.3769&lon=8.5417&minutes=90",
                                headers=p["h"])
    # then it is 90.00 + travel 25.00, with helpers available
    assert status == 200, quote
    assert quote["total"] == {"amount": 9000 + 2500, "currency": "CHF"} and quote["available_helpers"] >= 1


def test_a_malformed_quote_is_422_naming_the_parameter(api, signin):
    p = new_partner(api, signin, environment="test")
    # when the place or the category is missing or unknown, then it is 422
    assert api.call("GET", "/v1/partner/quote?category=printer&mode=onsite", headers=p["h"])[1]["field"] == "lat"
    assert api.call("GET", "/v1/partner/quote?category=toaster", headers=p["h"])[0] == 422


def test_a_partner_discovers_helpers_without_their_e_mail_or_position(api, signin):
    p = new_partner(api, signin, environment="test")
    # when it lists printer helpers near Zürich
    status, helpers, _ = api.call("GET", "/v1/partner/helpers?category=printer&lat=47.3769&lon=8.5417", headers=p["h"])
    # then there are some, none with an e-mail address or coordinates
    assert status == 200 and helpers["items"] and all("email" not in x and "lat" not in x for x in helpers["items"])


def test_a_partner_books_for_its_customer_with_its_reference_and_attribution(api, signin):
    from chalicelib.models.customers import Customer

    # when a test-key partner books with its order reference, affiliate and campaign
    p, body, _, booking = given_a_sandbox_partner_booking(api, signin)
    # then the booking carries them, is in the sandbox, and is located at its partner URL
    assert booking["external_ref"] == "ORD-1001" and booking["affiliate_code"] == "shop-zh"
    assert booking["campaign"] == "winter26" and booking["sandbox"] is True
    assert booking["_location"] == f"/v1/partner/bookings/{booking['booking_id']}"
    # and the customer is the partner's, by the e-mail given
    customer = Customer.get(booking["customer_id"])
    assert customer.tenant_id == p["tenant_id"] and customer.email == body["customer"]["email"]
    # and the partner reads it back
    status, read, _ = api.call("GET", f"/v1/partner/bookings/{booking['booking_id']}", headers=p["h"])
    assert status == 200 and read["tenant_id"] == p["tenant_id"]


def test_a_partner_booking_retried_with_its_idempotency_key_is_replayed(api, signin):
    # given a partner booking made with an Idempotency-Key
    p, body, key, booking = given_a_sandbox_partner_booking(api, signin)
    # when the same request comes again, then it is the same booking, replayed
    status, again, headers = api.call("POST", "/v1/partner/bookings", body, {**p["h"], **key})
    assert status == 200 and again["booking_id"] == booking["booking_id"] and headers["Idempotent-Replayed"] == "true"
    # when another booking comes with that key, then it is 422 naming the header
    status, problem, _ = api.call("POST", "/v1/partner/bookings", {**body, "description": "something else entirely"},
                                  {**p["h"], **key})
    assert status == 422 and problem["field"] == "Idempotency-Key"


# ---- listing and cancelling -------------------------------------------------------------------------

def test_a_partner_finds_a_booking_by_its_reference(api, signin):
    # given three partner bookings
    p, ids = given_three_partner_bookings(api, signin)
    # when it looks up R-1, then it gets that one
    status, one, _ = api.call("GET", "/v1/partner/bookings?external_ref=R-1", headers=p["h"])
    assert status == 200 and [b["booking_id"] for b in one["items"]] == [ids[1]]


def test_a_partner_pages_through_its_bookings_newest_first(api, signin):
    # given three partner bookings
    p, ids = given_three_partner_bookings(api, signin)
    # when it pages one at a time
    seen, cursor = [], None
    for _ in range(5):
        status, page, _ = api.call("GET", "/v1/partner/bookings?limit=1" + (f"&cursor={cursor}" if cursor else ""),
                                   headers=p["h"])
        assert status == 200 and len(page["items"]) <= 1
        seen += [b["booking_id"] for b in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    # then it sees each once, newest first
    assert sorted(seen) == sorted(ids) and seen == list(reversed(ids))


def test_a_partner_cancels_a_booking_and_lists_it_by_state_once(api, signin):
    # given three partner bookings
    p, ids = given_three_partner_bookings(api, signin)
    # when it cancels the first
    status, cancelled, _ = api.call("POST", f"/v1/partner/bookings/{ids[0]}/cancel", {"reason": "solved by phone"}, p["h"])
    # then it is cancelled, the only one listed as cancelled, and cancelling again is 409
    assert status == 200 and cancelled["state"] == "cancelled"
    status, listing, _ = api.call("GET", "/v1/partner/bookings?state=cancelled", headers=p["h"])
    assert [b["booking_id"] for b in listing["items"]] == [ids[0]]
    assert api.call("POST", f"/v1/partner/bookings/{ids[0]}/cancel", {}, p["h"])[0] == 409


def test_a_listing_with_an_unknown_state_or_a_malformed_cursor_is_422(api, signin):
    p = new_partner(api, signin)
    assert api.call("GET", "/v1/partner/bookings?state=lost", headers=p["h"])[1]["field"] == "state"
    assert api.call("GET", "/v1/partner/bookings?cursor=%%%", headers=p["h"])[1]["field"] == "cursor"


# ---- commission -------------------------------------------------------------------------------------

def test_commission_report_per_period_and_attribution(api, signin, pump):
    from datetime import datetime, timezone

    from chalicelib.domain.actors import Actor
    from chalicelib.models.bookings import Booking
    from chalicelib.models.offers import Offer
    from chalicelib.services.bookings import accept_offer, helper_step

    # given a live partner with a 10 % share, and three bookings from two affiliates
    p = new_partner(api, signin, environment="live", pricing={"partner_share_percent": 10, "hourly_rate_minor": 6000,
                                          "call_out_fee_minor": 2000})
    h = p["h"]
    made = []
    for code, campaign in [("shop-a", "spring"), ("shop-a", "spring"), ("shop-b", None)]:
        b = api.call("POST", "/v1/partner/bookings", partner_booking(affiliate_code=code, campaign=campaign), h)[1]
        made.append(b["booking_id"])
    # when the pump dispatches them to crowd helpers and a helper of each completes 60 minutes
    for bid in made:
        wait_for(lambda: Booking.get(bid, consistent_read=True).state == "offered")
        helper_id = next(o.helper_id for o in Offer.query(bid, consistent_read=True) if o.state == "open")
        helper = Actor("helper", helper_id, "crowdfix")
        accept_offer(helper, bid)
        helper_step(helper, bid, "start")
        helper_step(helper, bid, "complete", minutes_worked=60)
    # then the report counts what was invoiced (billing model invoice), as the ledger holds it once settled
    from chalicelib.domain.ledger import booking_summary
    from chalicelib.services.payments import booking_movements
    for bid in made:
        wait_for(lambda: booking_summary(booking_movements(bid))["invoiced"] > 0, timeout=60, what=f"{bid} invoiced")
    period = datetime.now(timezone.utc).strftime("%Y-%m")
    status, report, _ = api.call("GET", f"/v1/tenants/{p['tenant_id']}/commission?period={period}", headers=p["ops"])
    assert status == 200, report
    # each: 60 min at 60.00 + 20.00 call-out = 80.00; commission 10 % = 8.00
    assert report["totals"] == {"bookings": 3, "gross": 24000, "commission": 2400}
    groups = {(g["affiliate_code"], g["campaign"]): g for g in report["by_attribution"]}
    assert groups[("shop-a", "spring")]["bookings"] == 2 and groups[("shop-b", None)]["commission"] == 800
    # and a month that does not exist is 422, and the partner reads its own report with its key
    assert api.call("GET", f"/v1/tenants/{p['tenant_id']}/commission?period={period}", headers=h)[0] == 200


# ---- widget, landing page, OpenAPI ------------------------------------------------------------------

def test_the_widget_script_opens_the_partners_branded_frame(api, signin):
    # given a partner with its colours
    p = new_partner(api, signin, landing={"headline": "Tech help from Acme", "call_to_action": "Book now"})
    # when its widget script is loaded, then it frames the app for that tenant in its colour
    resp = api.client.http.get(f"/v1/partners/{p['tenant_id']}/widget.js")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("application/javascript")
    js = resp.body.decode()
    assert f"tenant={p['tenant_id']}" in js and "%23aa0044" in js and "iframe" in js


def test_the_landing_page_is_branded_and_unknown_partners_are_refused(api, signin):
    # given a partner with its headline and colours
    p = new_partner(api, signin, landing={"headline": "Tech help from Acme", "call_to_action": "Book now"})
    # when its landing page is opened, then it shows them in its language
    resp = api.client.http.get(f"/v1/partners/{p['tenant_id']}/landing")
    html = resp.body.decode()
    assert resp.status_code == 200 and "Tech help from Acme" in html and "#aa0044" in html and 'lang="en"' in html
    # and an unknown partner is 404, a malformed id 422
    assert api.call("GET", "/v1/partners/no-such-partner/landing")[0] == 404
    assert api.call("GET", "/v1/partners/NOPE!/widget.js")[0] == 422


def test_openapi_document_and_reference_page_are_served(api):
    from chalicelib.http.openapi import build
    # when the document is asked for, then it is the one built from the route declarations
    status, doc, _ = api.call("GET", "/v1/openapi.json")
    assert status == 200 and doc == build()
    # and the reference page lists every path, with no script and nothing fetched over http
    resp = api.client.http.get("/v1/docs")
    html = resp.body.decode()
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/html")
    assert all(path in html for path in doc["paths"]) and "<script" not in html and "http://" not in html
