"""The messages a customer receives, through the whole local stack (API, DynamoDB Local, moto, the
pump): every link is a screen of the app's route table, the review e-mail speaks the booking's
language and names the helper, and its token alone submits the rating."""
from __future__ import annotations

import json
import re
import uuid

import pytest

from chalicelib.domain import links
from tests.stack_fixtures import booking_body, wait_for

pytestmark = pytest.mark.integration


def _helper(first_name="Lucie"):
    from chalicelib.models.base import now_iso
    from chalicelib.models.helpers import Helper

    hid = f"h_jm{uuid.uuid4().hex[:12]}"
    email = f"{hid}@helpers.example.org"
    Helper(helper_id=hid, tenant_id="crowdfix", email=email, email_key=f"crowdfix#{email}", name=f"{first_name} Test",
           first_name=first_name, skills={"printer": 3}, lat=47.38, lon=8.54, city="Zürich", service_radius_km=10,
           hourly_rate=6000, languages=["de"], on_call=True, status="active", tenant_status="crowdfix#active",
           rating_count=2, rating_sum=9, payout_ready=True, created_at=now_iso()).save()
    return hid, email


def _mails(stack, address):
    from localdev.services import read_sent_emails
    return [m for m in read_sent_emails(stack["services"].moto_url) if address in json.dumps(m)]


@pytest.mark.parametrize("lang,subject", [("fr", "Comment s'est passée votre visite avec Lucie ?"), ("it", "Com'è andata la visita con Lucie?")])
def test_review_email_in_the_bookings_language_with_the_helper_and_a_working_token(api, signin, pump, stack, lang, subject):
    hid, hemail = _helper()
    helper = signin(hemail, "helper")
    customer = signin()  # signs in in English: the booking's language must win
    status, booking, _ = api.call("POST", "/v1/bookings", booking_body(preferred_helper_id=hid, language=lang), customer)
    assert status == 201, booking
    bid = booking["booking_id"]
    wait_for(lambda: api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]["state"] == "offered", timeout=60,
             what="offered")
    for step, body in (("accept", None), ("start", None), ("complete", {"minutes_worked": 40})):
        assert api.call("POST", f"/v1/bookings/{bid}/{step}", body, helper)[0] == 200, step

    mail = wait_for(lambda: [m for m in _mails(stack, customer["_email"]) if "/review/" in json.dumps(m)], timeout=60,
                    what="the review e-mail")[0]
    assert mail["subject"] == subject
    text = json.dumps(mail, ensure_ascii=False)
    assert "Wie hat" not in text and "Bewerten" not in text  # not German
    # every link in every e-mail she got opens a screen of the app, for this booking
    from chalicelib.settings import get_settings
    base = get_settings().public_base_url.rstrip("/")
    seen = set()
    for m in _mails(stack, customer["_email"]):
        for u in re.findall(r"https?://[^\s\"'<>\\]+", json.dumps(m, ensure_ascii=False)):
            if not u.startswith(base):
                continue
            path = u[len(base):].split("#")[0]
            match = links.match(path)
            assert match is not None, u
            assert match[1].get("booking_id") == bid, u
            seen.add(match[0])
    assert {"booking", "review"} <= seen

    token = re.search(rf"/review/{bid}#token=([A-Za-z0-9._-]+)", text).group(1)
    status, review, _ = api.call("POST", f"/v1/bookings/{bid}/review",
                                 {"overall": 5, "patience": 5, "clarity": 4, "would_recommend": True,
                                  "would_book_again": True}, {"X-Review-Token": token})
    assert status == 201, review
    assert review["helper_id"] == hid


@pytest.mark.parametrize("after_accept", [True, False])
def test_cancel_email_states_the_fee_the_card_is_charged(api, signin, pump, stack, after_accept):
    from chalicelib.domain.policy import PLATFORM_DEFAULTS
    from chalicelib.services.payments import get_payment

    hid, hemail = _helper("Mara")
    helper = signin(hemail, "helper")
    customer = signin()
    status, booking, _ = api.call("POST", "/v1/bookings", booking_body(preferred_helper_id=hid, language="de"), customer)
    assert status == 201, booking
    bid = booking["booking_id"]
    assert api.call("POST", f"/v1/bookings/{bid}/payment", {"payment_method": "pm_card_visa"}, customer)[0] == 201
    wait_for(lambda: api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]["state"] == "offered", timeout=60,
             what="offered")
    if after_accept:
        assert api.call("POST", f"/v1/bookings/{bid}/accept", headers=helper)[0] == 200
    assert api.call("POST", f"/v1/bookings/{bid}/cancel", {}, customer)[0] == 200
    mail = wait_for(lambda: [m for m in _mails(stack, customer["_email"]) if "Storniert" in (m.get("subject") or "")],
                    timeout=60, what="the cancel e-mail")[0]
    text = json.dumps(mail, ensure_ascii=False)
    pay = wait_for(lambda: (lambda p: p if p.status in ("captured", "released") else None)(get_payment(bid)),
                   timeout=60, what="the hold settled")
    captured = int(pay.facts["captured"])
    if after_accept:
        assert captured == PLATFORM_DEFAULTS["late_cancel_fee_minor"] > 0
        assert f"belasten wir Ihrer Karte CHF {captured / 100:.2f}" in text
    else:
        assert captured == 0 and pay.status == "released"
        assert "Die Stornierung ist kostenlos" in text
