"""Helper self-service API and the geocoding endpoint, over HTTP on the real local services; told as
given / when / then."""
import uuid

import pytest

from tests.stack_fixtures import booking_body, wait_for

pytestmark = pytest.mark.integration


# ---- given / when ----------------------------------------------------------------------------------

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


def given_a_signed_in_helper(signin, **over) -> tuple[dict, dict]:
    """A fresh helper (``make_helper``) and their request headers."""
    h = make_helper(**over)
    return h, signin(h["email"], "helper")


PROFILE_CHANGE = {"skills": {"printer": 3, "computer": 1},
                  "area": {"lat": 48.1351, "lon": 11.582, "radius_km": 12, "city": "München"},
                  "hourly_rate": 7200, "languages": ["it", "de", "de"], "bio": "Drucker-Profi"}


# ---- profile ---------------------------------------------------------------------------------------

def test_a_helper_reads_their_own_profile(api, signin):
    # given a helper with skill printer 2
    h, auth = given_a_signed_in_helper(signin)
    # when they read their profile
    status, profile, _ = api.call("GET", "/v1/helper/profile", headers=auth)
    # then it is theirs
    assert status == 200 and profile["helper_id"] == h["helper_id"] and profile["skills"] == {"printer": 2}


def test_a_helper_changes_skills_area_rate_and_languages(api, signin):
    # given a helper
    _, auth = given_a_signed_in_helper(signin)
    # when they change skills, area, rate and languages (one twice)
    status, profile, _ = api.call("PUT", "/v1/helper/profile", PROFILE_CHANGE, auth)
    # then the profile answers the change, languages sorted and once each
    assert status == 200, profile
    assert profile["skills"] == {"printer": 3, "computer": 1}
    assert profile["area"] == {"lat": 48.1351, "lon": 11.582, "radius_km": 12, "city": "München"}
    assert profile["hourly_rate"] == {"amount": 7200, "currency": "CHF"} and profile["languages"] == ["de", "it"]


def test_a_profile_change_leaves_status_and_identity_alone(api, signin):
    from chalicelib.models.helpers import Helper

    # given a helper
    h, auth = given_a_signed_in_helper(signin)
    # when they change their profile
    assert api.call("PUT", "/v1/helper/profile", PROFILE_CHANGE, auth)[0] == 200
    # then their status and e-mail stay as they were (identity is not changeable here)
    stored = Helper.get(h["helper_id"], consistent_read=True)
    assert stored.tenant_status == "crowdfix#active" and stored.status == "active"
    assert stored.email == h["email"]


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
    # given a helper
    _, auth = given_a_signed_in_helper(signin)
    # when they send an invalid change
    status, problem, _ = api.call("PUT", "/v1/helper/profile", body, auth)
    # then it is 422 naming the field, with what is wrong
    assert status == 422, problem
    assert problem["field"] == field and problem["detail"]


def test_profile_is_for_helpers_only(api, signin):
    # given a customer, and a caller without a token
    customer = signin()
    # then the customer is refused (403) and the anonymous caller asked to sign in (401)
    assert api.call("GET", "/v1/helper/profile", headers=customer)[0] == 403
    assert api.call("GET", "/v1/helper/profile")[0] == 401
    assert api.call("PUT", "/v1/helper/availability", {"on_call": True})[0] == 401


# ---- availability ----------------------------------------------------------------------------------

def test_a_helper_sets_weekly_hours_and_on_call(api, signin):
    # given a helper
    _, auth = given_a_signed_in_helper(signin)
    # when they set two Monday slots, a Saturday morning and on call
    body = {"weekly": {"mon": [["08:00", "12:00"], ["13:00", "17:00"]], "sat": [["09:00", "12:00"]]},
            "on_call": True, "off_duty": False}
    status, avail, _ = api.call("PUT", "/v1/helper/availability", body, auth)
    # then that is their availability
    assert status == 200 and avail == body


def test_a_slot_that_ends_before_it_starts_is_422(api, signin):
    # given a helper
    _, auth = given_a_signed_in_helper(signin)
    # when a slot runs from 18:00 to 08:00
    status, problem, _ = api.call("PUT", "/v1/helper/availability", {"weekly": {"mon": [["18:00", "08:00"]]}}, auth)
    # then it is refused, naming "weekly"
    assert status == 422 and problem["field"] == "weekly"


# ---- earnings --------------------------------------------------------------------------------------

def test_earnings_count_a_completed_booking_at_the_helpers_rate(api, signin, pump):
    # given a helper at CHF 60 an hour, and a customer who books them
    h, helper = given_a_signed_in_helper(signin, hourly_rate=6000)
    customer = signin()
    status, booking, _ = api.call("POST", "/v1/bookings", booking_body(
        preferred_helper_id=h["helper_id"],
        location={"lat": 47.36, "lon": 8.59, "address": "Witikonerstr. 1", "postcode": "8053", "city": "Zürich"}),
        customer)
    assert status == 201, booking
    bid = booking["booking_id"]
    wait_for(lambda: any(o["booking_id"] == bid for o in api.call("GET", "/v1/helper/offers", headers=helper)[1]["items"]),
             what="the offer")
    assert api.call("GET", "/v1/helper/earnings", headers=helper)[1]["total"] == 0, "earnings before any job"
    # when they accept, start and complete after 45 minutes
    for step, body in (("accept", None), ("start", None), ("complete", {"minutes_worked": 45})):
        status, out, _ = api.call("POST", f"/v1/bookings/{bid}/{step}", body or {}, helper)
        assert status == 200, out
    # then their earnings show CHF 45 for one job of 45 minutes, that booking
    status, earnings, _ = api.call("GET", "/v1/helper/earnings", headers=helper)
    assert status == 200
    assert earnings["total"] == 4500 and earnings["minutes_worked"] == 45 and earnings["jobs"] == 1
    assert earnings["items"][0]["booking_id"] == bid


# ---- geocoding -------------------------------------------------------------------------------------

def test_a_postcode_is_found_in_the_offline_table(api):
    # when 8050 is looked up
    status, body, _ = api.call("GET", "/v1/geocode?q=8050")
    # then it is Zürich, from the offline table
    assert status == 200 and body["source"] == "offline"
    assert body["results"][0]["postcode"] == "8050" and body["results"][0]["city"] == "Zürich"


def test_a_lookup_too_short_or_in_an_unknown_language_is_422(api):
    # when the query is one letter, or the language unknown
    status, problem, _ = api.call("GET", "/v1/geocode?q=x")
    # then each is 422 naming its field
    assert status == 422 and problem["field"] == "q"
    assert api.call("GET", "/v1/geocode?q=8001&lang=xx")[1]["field"] == "lang"
