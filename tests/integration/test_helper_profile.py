"""Helper self-service API and the geocoding endpoint, over HTTP on the real local services."""
import uuid

import pytest

from tests.stack_fixtures import booking_body

pytestmark = pytest.mark.integration


def make_helper(**over):
    """A fresh active helper of the demo tenant (unique, so tests never touch the seeded ones)."""
    from chalicelib.models.base import now_iso
    from chalicelib.models.helpers import Helper

    hid = "h_t" + uuid.uuid4().hex[:12]
    email = f"{hid}@example.org"
    row = dict(helper_id=hid, tenant_id="crowdfix", email=email, email_key=f"crowdfix#{email}", name="Test Helper",
               first_name="Tess", skills={"printer": 2}, lat=47.36, lon=8.59, city="Zürich", service_radius_km=5,
               hourly_rate=6000, languages=["de"], status="active", tenant_status="crowdfix#active",
               payout_ready=True, created_at=now_iso())
    row.update(over)
    Helper(**row).save()
    return row


def test_helper_reads_and_changes_own_profile(api, signin):
    h = make_helper()
    auth = signin(h["email"], "helper")
    status, profile, _ = api.call("GET", "/v1/helper/profile", headers=auth)
    assert status == 200 and profile["helper_id"] == h["helper_id"] and profile["skills"] == {"printer": 2}

    change = {"skills": {"printer": 3, "computer": 1}, "area": {"lat": 48.1351, "lon": 11.582, "radius_km": 12,
              "city": "München"}, "hourly_rate": 7200, "languages": ["it", "de", "de"], "bio": "Drucker-Profi"}
    status, profile, _ = api.call("PUT", "/v1/helper/profile", change, auth)
    assert status == 200, profile
    assert profile["skills"] == {"printer": 3, "computer": 1}
    assert profile["area"] == {"lat": 48.1351, "lon": 11.582, "radius_km": 12, "city": "München"}
    assert profile["hourly_rate"] == {"amount": 7200, "currency": "CHF"} and profile["languages"] == ["de", "it"]

    from chalicelib.models.helpers import Helper
    stored = Helper.get(h["helper_id"], consistent_read=True)
    assert stored.tenant_status == "crowdfix#active" and stored.status == "active"
    assert stored.email == h["email"]  # identity is not changeable here


@pytest.mark.parametrize("body,field", [
    ({"skills": {"printer": 4}}, "skills"),
    ({"skills": {"toaster": 1}}, "skills"),
    ({"area": {"lat": 95, "lon": 8, "radius_km": 5}}, "area.lat"),
    ({"hourly_rate": 5}, "hourly_rate"),
    ({"languages": ["xx"]}, "languages"),
    ({"status": "active"}, "status"),
    ({}, "body"),
])
def test_invalid_profile_changes_are_422_naming_the_field(api, signin, body, field):
    auth = signin(make_helper()["email"], "helper")
    status, problem, _ = api.call("PUT", "/v1/helper/profile", body, auth)
    assert status == 422, problem
    assert problem["field"] == field and problem["detail"]


def test_availability_and_on_call(api, signin):
    h = make_helper()
    auth = signin(h["email"], "helper")
    body = {"weekly": {"mon": [["08:00", "12:00"], ["13:00", "17:00"]], "sat": [["09:00", "12:00"]]},
            "on_call": True, "off_duty": False}
    status, avail, _ = api.call("PUT", "/v1/helper/availability", body, auth)
    assert status == 200 and avail == body
    status, problem, _ = api.call("PUT", "/v1/helper/availability", {"weekly": {"mon": [["18:00", "08:00"]]}}, auth)
    assert status == 422 and problem["field"] == "weekly"


def test_profile_is_for_helpers_only(api, signin):
    customer = signin()
    assert api.call("GET", "/v1/helper/profile", headers=customer)[0] == 403
    assert api.call("GET", "/v1/helper/profile")[0] == 401
    assert api.call("PUT", "/v1/helper/availability", {"on_call": True})[0] == 401


def test_earnings_from_completed_bookings(api, signin, pump):
    from tests.integration.test_booking_lifecycle import wait_for

    h = make_helper(hourly_rate=6000)
    helper = signin(h["email"], "helper")
    customer = signin()
    status, booking, _ = api.call("POST", "/v1/bookings", booking_body(
        preferred_helper_id=h["helper_id"],
        location={"lat": 47.36, "lon": 8.59, "address": "Witikonerstr. 1", "postcode": "8053", "city": "Zürich"}),
        customer)
    assert status == 201, booking
    bid = booking["booking_id"]
    wait_for(lambda: any(o["booking_id"] == bid for o in api.call("GET", "/v1/helper/offers", headers=helper)[1]["items"]))
    assert api.call("GET", "/v1/helper/earnings", headers=helper)[1]["total"] == 0
    for step, body in (("accept", None), ("start", None), ("complete", {"minutes_worked": 45})):
        status, out, _ = api.call("POST", f"/v1/bookings/{bid}/{step}", body or {}, helper)
        assert status == 200, out
    status, earnings, _ = api.call("GET", "/v1/helper/earnings", headers=helper)
    assert status == 200
    assert earnings["total"] == 4500 and earnings["minutes_worked"] == 45 and earnings["jobs"] == 1
    assert earnings["items"][0]["booking_id"] == bid


def test_geocode_offline_table(api):
    status, body, _ = api.call("GET", "/v1/geocode?q=8050")
    assert status == 200 and body["source"] == "offline"
    assert body["results"][0]["postcode"] == "8050" and body["results"][0]["city"] == "Zürich"
    status, problem, _ = api.call("GET", "/v1/geocode?q=x")
    assert status == 422 and problem["field"] == "q"
    assert api.call("GET", "/v1/geocode?q=8001&lang=xx")[1]["field"] == "lang"
