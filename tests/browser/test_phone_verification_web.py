"""The customer confirms her mobile number for text messages in the web app (issue 16: SMS only to
numbers verified with a texted code): by keyboard, on a 360 px wide phone, in her language, against
the local stack; the texted code is read back from moto's SNS."""
import json
import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.journey.words import fill, words
from tests.stack_fixtures import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def _sms_code(stack, phone):
    from localdev.services import read_sent_sms

    def found():
        rows = [m for m in read_sent_sms(stack["services"].moto_url) if m.get("phone_number") == phone]
        return rows[-1] if rows else None
    return re.search(r"\b(\d{6})\b", json.dumps(wait_for(found, timeout=30)["message"])).group(1)


@pytest.mark.parametrize("lang", ["de", "fr", "it", "en"])
def test_customer_confirms_her_mobile_number_by_keyboard_at_360px(new_context, web, api, signin, stack, lang):
    w = words()[lang]
    customer = signin()
    ctx = new_context(viewport={"width": 360, "height": 780})
    session = {"token": customer["Authorization"].split(" ", 1)[1], "id": customer["_id"],
               "email": customer["_email"], "role": "customer"}
    ctx.add_init_script(f"localStorage.setItem('cf.session.customer', {json.dumps(json.dumps(session))});"
                        f"localStorage.setItem('cf.lang', '{lang}');")
    page = ctx.new_page()
    page.goto("/bookings")
    panel = page.get_by_role("region", name=w["ph_title"])
    expect(panel).to_be_visible()
    number = panel.get_by_label(w["ph_number"])

    # a number without its country code is refused with a text that says how to write it
    number.focus()
    page.keyboard.type("079 123")
    page.keyboard.press("Enter")
    expect(panel.get_by_text(w["ph_err_number"])).to_be_visible()
    assert number.get_attribute("aria-invalid") == "true"

    # her number as she writes it (spaces, 00 for +), sent by keyboard only
    digits = f"{uuid.uuid4().int % 10**7:07d}"
    phone = "+4179" + digits
    number.fill("")
    number.focus()
    page.keyboard.type(f"0041 79 {digits[:3]} {digits[3:5]} {digits[5:]}")
    page.keyboard.press("Tab")  # the hint is read, the button is next
    expect(panel.get_by_role("button", name=w["ph_send"])).to_be_focused()
    page.keyboard.press("Enter")
    expect(panel.get_by_text(fill(w["ph_sent"], phone=phone))).to_be_visible()
    assert_accessible(page, f"ph01-code-asked-{lang}")

    # a wrong code says so (and does not sign her out); the texted one confirms the number
    code = _sms_code(stack, phone)
    code_box = panel.get_by_label(w["ph_code"])
    code_box.focus()
    page.keyboard.type(f"{(int(code) + 1) % 10**6:06d}")
    page.keyboard.press("Enter")
    expect(panel.get_by_text(w["ph_err_code"])).to_be_visible()
    code_box.fill("")
    code_box.focus()
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    expect(panel.get_by_role("status")).to_have_text(fill(w["ph_done"], phone=phone))
    assert_accessible(page, f"ph02-confirmed-{lang}")
    # nothing is wider than the phone, and every text the screens asked for is in her language
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    assert page.evaluate("() => [...window.__cfMissing]") == []

    prefs = api.call("GET", "/v1/me/notification-settings", headers=customer)[1]
    assert prefs["phone"] == phone and prefs["sms"] is True and prefs["phone_verified"] is True
    page.reload()
    expect(page.get_by_role("region", name=w["ph_title"]).get_by_role("status")).to_have_text(
        fill(w["ph_done"], phone=phone))
