"""Issue 14: who is coming. A helper uploads a photo (S3 on moto server); the type and size are
checked; the customer she is assigned to sees it through a short-lived presigned URL together with
her first name, rating, arrival window and phone; the public card shows it only if she agreed."""
from __future__ import annotations

import uuid

import pytest
import requests

from tests.stack_fixtures import booking_body, wait_for

pytestmark = pytest.mark.integration

SPOT = {"lat": 46.1709, "lon": 8.7995, "address": "Piazza Grande 1", "postcode": "6600", "city": "Locarno"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def make_helper() -> tuple[str, str]:
    from chalicelib.models.base import now_iso
    from chalicelib.models.helpers import Helper

    hid = "h_ph" + uuid.uuid4().hex[:10]
    email = f"{hid}@example.org"
    Helper(helper_id=hid, tenant_id="crowdfix", email=email, email_key=f"crowdfix#{email}", name="Lia Foto",
           first_name="Lia", phone="+41 91 555 12 34", skills={"printer": 3}, lat=SPOT["lat"], lon=SPOT["lon"],
           service_radius_km=5, hourly_rate=6000, languages=["de", "it"], status="active",
           tenant_status="crowdfix#active", payout_ready=True, created_at=now_iso()).save()
    return hid, email


def put_photo(api, helper, data, ctype, public=False):
    return api.call("PUT", "/v1/helper/photo" + ("?public=true" if public else ""), data,
                    {**helper, "Content-Type": ctype})


def test_the_assigned_customer_sees_who_is_coming_and_the_photo_through_a_short_lived_url(api, signin, pump):
    hid, email = make_helper()
    helper = signin(email, "helper")
    # wrong type, a lie about the type, too large: refused with what to do
    assert put_photo(api, helper, b"GIF89a....", "image/gif")[0] in (415, 422)
    status, problem, _ = put_photo(api, helper, b"not a picture", "image/png")
    assert status == 422 and problem["code"] == "photo_type", problem
    status, problem, _ = put_photo(api, helper, b"\xff\xd8\xff" + b"\x00" * (2 * 1024 * 1024), "image/jpeg")
    assert status == 413 and problem["code"] == "photo_too_large", problem
    customer = signin()
    assert put_photo(api, customer, PNG, "image/png")[0] == 403
    status, up, _ = put_photo(api, helper, PNG, "image/png")
    assert status == 200 and up["public"] is False and "X-Amz-Expires=900" in up["photo_url"], up
    assert requests.get(up["photo_url"], timeout=5).content == PNG

    # not public: the public profile has no photo
    assert api.call("GET", f"/v1/helpers/{hid}")[1].get("photo_url") is None

    bid = api.call("POST", "/v1/bookings", booking_body(location=SPOT, preferred_helper_id=hid), customer)[1]["booking_id"]
    before = api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]
    assert before["helper"] is None
    wait_for(lambda: any(o["booking_id"] == bid for o in api.call("GET", "/v1/helper/offers", headers=helper)[1]["items"]),
             timeout=30, what="the offer")
    assert api.call("POST", f"/v1/bookings/{bid}/accept", headers=helper)[0] == 200
    view = api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]
    h = view["helper"]
    assert h["first_name"] == "Lia" and h["phone"] == "+41 91 555 12 34" and "rating" in h
    assert h["arrival"]["from"] < h["arrival"]["to"]
    assert requests.get(h["photo_url"], timeout=5).content == PNG
    # another customer sees nothing of this booking
    assert api.call("GET", f"/v1/bookings/{bid}", headers=signin())[0] == 404

    # once agreed, the public card shows it too; after the job the phone is no longer shown
    assert put_photo(api, helper, JPEG, "image/jpeg", public=True)[0] == 200
    assert requests.get(api.call("GET", f"/v1/helpers/{hid}")[1]["photo_url"], timeout=5).content == JPEG
    for step, body in (("start", None), ("complete", {"minutes_worked": 30})):
        assert api.call("POST", f"/v1/bookings/{bid}/{step}", body, helper)[0] == 200
    done = api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]["helper"]
    assert "phone" not in done and "arrival" not in done
