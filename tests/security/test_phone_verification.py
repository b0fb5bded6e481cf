"""Issue 16, item 7: SMS only to numbers verified with a texted code."""
from __future__ import annotations

import json
import re
import time
import uuid

import pytest

from tests.stack_fixtures import wait_for

pytestmark = pytest.mark.integration


def _phone() -> str:
    return f"+4178{uuid.uuid4().int % 10**7:07d}"


def _sms(stack, phone):
    from localdev.services import read_sent_sms
    return [m for m in read_sent_sms(stack["services"].moto_url) if m.get("phone_number") == phone]


def _code(stack, phone) -> str:
    return re.search(r"\b(\d{6})\b", json.dumps(wait_for(lambda: _sms(stack, phone))[-1]["message"])).group(1)


def _targets_sms(customer_id: str) -> bool:
    from chalicelib.services.notification_channels import person as _person, targets as _targets
    person = _person({"role": "customer", "id": customer_id})
    return any(t["channel"] == "sms" for t in _targets("booking_received", person))


def test_an_unverified_number_gets_no_sms_until_confirmed(api, signin, stack):
    customer = signin()
    phone = _phone()
    status, prefs, _ = api.call("PUT", "/v1/me/notification-settings", {"sms": True, "phone": phone}, customer)
    assert status == 200 and prefs["phone_verified"] is False
    assert not _targets_sms(customer["_id"])  # any customer naming any number: crowdfix does not text it
    status, started, _ = api.call("POST", "/v1/me/phone-verification", {"phone": phone, "language": "en"}, customer)
    assert status == 202 and started == {"phone": phone, "verified": False, "expires_in": 600}
    code = _code(stack, phone)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    status, problem, _ = api.call("POST", "/v1/me/phone-verification/confirm", {"code": wrong}, customer)
    assert status == 401 and problem["field"] == "code"
    status, done, _ = api.call("POST", "/v1/me/phone-verification/confirm", {"code": code}, customer)
    assert status == 200 and done == {"phone": phone, "verified": True}
    assert _targets_sms(customer["_id"])
    assert api.call("GET", "/v1/me/notification-settings", headers=customer)[1]["phone_verified"] is True
    # another number in the settings is not verified by the first one
    api.call("PUT", "/v1/me/notification-settings", {"sms": True, "phone": _phone()}, customer)
    assert not _targets_sms(customer["_id"])


def test_codes_are_limited_and_tries_cannot_be_raced(stack):
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.domain.actors import Actor
    from chalicelib.domain.errors import RateLimited, TooManyAttempts, Unauthenticated
    from chalicelib.services import auth

    actor = Actor(role="customer", id="c_" + uuid.uuid4().hex[:20], tenant_id="crowdfix")
    phone, t0 = _phone(), time.time()
    auth.start_phone_verification(actor, phone, "en", now=t0)
    with pytest.raises(RateLimited):
        auth.start_phone_verification(actor, phone, "en", now=t0 + 5)  # cool-down
    code = _code(stack, phone)

    def attempt(c):
        try:
            auth.confirm_phone(actor, c)
            return "ok"
        except TooManyAttempts:
            return "locked"
        except Unauthenticated:
            return "wrong"

    wrong = f"{(int(code) + 1) % 10**6:06d}"
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(attempt, [wrong] * 10))
    assert results.count("wrong") <= auth.PHONE_MAX_ATTEMPTS and results.count("ok") == 0, results
    assert attempt(code) == "locked"
    assert auth.verified_phone(actor.role, actor.id) is None
    with pytest.raises(TooManyAttempts):  # a new code does not reset the tries
        auth.start_phone_verification(actor, phone, "en", now=t0 + auth.PHONE_COOLDOWN + 1)
