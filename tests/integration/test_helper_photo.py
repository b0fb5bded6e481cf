"""Issue 14: who is coming. A helper uploads a photo (S3 on moto server); the type and size are
checked; the customer she is assigned to sees it through a short-lived presigned URL together with
her first name, rating, arrival window and phone; the public card shows it only if she agreed.

Each test is one behaviour, written given / when / then; the set-up they share is in the helpers."""
from __future__ import annotations

import uuid

import pytest
import requests

from tests.stack_fixtures import booking_body, wait_for

pytestmark = pytest.mark.integration

SPOT = {"lat": 46.1709, "lon": 8.7995, "address": "Piazza Grande 1", "postcode": "6600", "city": "Locarno"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


# ---- given / when ----------------------------------------------------------------------------------

def given_helper(signin) -> tuple[str, dict]:
    """An active helper in Locarno, signed in: ``(helper_id, headers)``."""
    from chalicelib.models.base import now_iso
    from chalicelib.models.helpers import Helper

    hid = "h_ph" + uuid.uuid4().hex[:10]
    email = f"{hid}@example.org"
    Helper(helper_id=hid, tenant_id="crowdfix", email=email, email_key=f"crowdfix#{email}", name="Lia Foto",
           first_name="Lia", phone="+41 91 555 12 34", skills={"printer": 3}, lat=SPOT["lat"], lon=SPOT["lon"],
           service_radius_km=5, hourly_rate=6000, languages=["de", "it"], status="active",
           tenant_status="crowdfix#active", payout_ready=True, created_at=now_iso()).save()
    return hid, signin(email, "helper")


def given_assigned_booking(api, signin, hid: str, helper: dict) -> tuple[str, dict]:
    """A customer booked this helper and the helper accepted: ``(booking_id, customer headers)``."""
    customer = signin()
    bid = api.call("POST", "/v1/bookings", booking_body(location=SPOT, preferred_helper_id=hid), customer)[1]["booking_id"]
    assert helper_as_the_customer_sees(api, bid, customer) is None  # nobody before the accept
    wait_for(lambda: any(o["booking_id"] == bid for o in api.call("GET", "/v1/helper/offers", headers=helper)[1]["items"]),
             timeout=30, what="the offer")
    assert api.call("POST", f"/v1/bookings/{bid}/accept", headers=helper)[0] == 200
    return bid, customer


def put_photo(api, who, data, ctype, public=False):
    return api.call("PUT", "/v1/helper/photo" + ("?public=true" if public else ""), data, {**who, "Content-Type": ctype})


def public_card(api, hid: str) -> dict:
    return api.call("GET", f"/v1/helpers/{hid}")[1]


def helper_as_the_customer_sees(api, bid: str, customer: dict) -> dict | None:
    return api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]["helper"]


# ---- uploading -------------------------------------------------------------------------------------

def test_a_photo_of_the_wrong_type_is_refused_with_what_to_do(api, signin):
    # given a helper
    _, helper = given_helper(signin)
    # when she uploads a GIF, or something that is not a picture sent as PNG, then it is refused
    assert put_photo(api, helper, b"GIF89a....", "image/gif")[0] in (415, 422)
    status, problem, _ = put_photo(api, helper, b"not a picture", "image/png")  # a lie about the type
    assert status == 422 and problem["code"] == "photo_type", problem


def test_a_photo_too_large_is_refused_with_what_to_do(api, signin):
    # given a helper; when she uploads a 2 MB picture, then it is 413 saying it is too large
    _, helper = given_helper(signin)
    status, problem, _ = put_photo(api, helper, b"\xff\xd8\xff" + b"\x00" * (2 * 1024 * 1024), "image/jpeg")
    assert status == 413 and problem["code"] == "photo_too_large", problem


def test_only_a_helper_uploads_a_photo_of_themselves(api, signin):
    # when a customer uploads a photo, then it is 403
    assert put_photo(api, signin(), PNG, "image/png")[0] == 403


def test_an_uploaded_photo_is_served_through_a_short_lived_url(api, signin):
    # given a helper; when she uploads a PNG
    _, helper = given_helper(signin)
    status, up, _ = put_photo(api, helper, PNG, "image/png")
    # then it is private, served through a URL that expires in 15 minutes
    assert status == 200 and up["public"] is False and "X-Amz-Expires=900" in up["photo_url"], up
    assert requests.get(up["photo_url"], timeout=5).content == PNG


# ---- who sees it -----------------------------------------------------------------------------------

def test_a_photo_she_did_not_agree_to_show_is_not_on_the_public_card(api, signin):
    # given a helper who uploaded a photo without agreeing to show it
    hid, helper = given_helper(signin)
    put_photo(api, helper, PNG, "image/png")
    # then her public card has no photo
    assert public_card(api, hid).get("photo_url") is None


def test_once_she_agreed_the_public_card_shows_the_photo(api, signin):
    # given a helper who uploaded a photo agreeing to show it
    hid, helper = given_helper(signin)
    assert put_photo(api, helper, JPEG, "image/jpeg", public=True)[0] == 200
    # then her public card shows it
    assert requests.get(public_card(api, hid)["photo_url"], timeout=5).content == JPEG


def test_the_assigned_customer_sees_who_is_coming_and_the_photo(api, signin, pump):
    # given a helper with a private photo, assigned to a customer's booking
    hid, helper = given_helper(signin)
    put_photo(api, helper, PNG, "image/png")
    bid, customer = given_assigned_booking(api, signin, hid, helper)
    # when the customer looks at her booking
    h = helper_as_the_customer_sees(api, bid, customer)
    # then she sees who is coming, their phone, when, and the photo; another customer sees nothing
    assert h["first_name"] == "Lia" and h["phone"] == "+41 91 555 12 34" and "rating" in h
    assert h["arrival"]["from"] < h["arrival"]["to"]
    assert requests.get(h["photo_url"], timeout=5).content == PNG
    assert api.call("GET", f"/v1/bookings/{bid}", headers=signin())[0] == 404  # another customer: nothing


def test_after_the_job_her_phone_and_arrival_are_no_longer_shown(api, signin, pump):
    # given a helper assigned to a customer's booking
    hid, helper = given_helper(signin)
    bid, customer = given_assigned_booking(api, signin, hid, helper)
    # when the job is done
    for step, body in (("start", None), ("complete", {"minutes_worked": 30})):
        assert api.call("POST", f"/v1/bookings/{bid}/{step}", body, helper)[0] == 200

    # then the customer no longer sees the helper's phone or arrival
    done = helper_as_the_customer_sees(api, bid, customer)
    assert "phone" not in done and "arrival" not in done
