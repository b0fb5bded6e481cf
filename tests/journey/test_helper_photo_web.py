"""The helper's photo screen (issue 14.6) in Debian's Chromium on a 360 px phone, in each of the
four languages, by keyboard: it shows the current photo (none yet, then the uploaded one, also
after a reload), takes a JPEG or PNG of at most 2 MB and says in her language what to do with
anything else (checked in the app first, and by the server for a file that lies about its type);
axe stays clean, nothing overflows 360 px, no word is missing and no English leaks."""
from __future__ import annotations

import base64
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, make_helper
from tests.journey.test_first_time_customer import LOCALE, PHONE, no_missing_words, sign_in
from tests.journey.test_recovery_and_words import english_on
from tests.journey.words import words

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# a real 1 x 1 PNG, so the browser can show it
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def fits_360(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= 360")


@pytest.mark.parametrize("lang", ["de", "fr", "it", "en"])
def test_helper_uploads_a_photo_and_is_told_plainly_what_is_wrong(new_context, web, lang):
    W = words()[lang]
    helper = make_helper(languages=[lang])
    page = new_context(viewport=PHONE, locale=LOCALE[lang]).new_page()
    page.goto("/helper/photo")
    sign_in(page, web["services"], helper["email"], W)
    expect(page.get_by_role("heading", level=1)).to_have_text(W["tab_photo"])
    expect(page.get_by_text(W["photo_none"])).to_be_visible()
    assert_accessible(page, f"hp-{lang}-01-none")
    assert fits_360(page)

    chooser = page.get_by_label(W["photo_choose"])
    # the app's own checks, in her words, at once
    chooser.set_input_files({"name": "bild.gif", "mimeType": "image/gif", "buffer": b"GIF89a" + b"\0" * 32})
    expect(page.locator("#ph-file-error")).to_have_text(W["photo_err_type"])
    big = PNG + b"\0" * (2 * 1024 * 1024 + 300_000)
    chooser.set_input_files({"name": "gross.png", "mimeType": "image/png", "buffer": big})
    expect(page.locator("#ph-file-error")).to_contain_text(W["photo_err_size"].split("{size}")[1].strip()[:20])
    assert_accessible(page, f"hp-{lang}-02-too-large")
    # a file that says PNG but is not: the server refuses it, and she reads why in her language
    chooser.set_input_files({"name": "falsch.png", "mimeType": "image/png", "buffer": b"this is no picture at all"})
    expect(page.locator("#ph-file-error")).to_have_count(0)
    chooser.focus()
    page.keyboard.press("Tab")   # the "public card" choice
    page.keyboard.press("Space")
    expect(page.get_by_label(W["photo_public"])).to_be_checked()
    page.keyboard.press("Tab")   # the upload button
    page.keyboard.press("Enter")
    expect(page.locator("#ph-file-error")).to_have_text(W["photo_err_type"])
    expect(chooser).to_be_focused()  # she is taken back to the field to choose another

    # a real PNG, by keyboard: saved, and shown as her current photo
    chooser.set_input_files({"name": "ich.png", "mimeType": "image/png", "buffer": PNG})
    chooser.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(W["photo_done"])
    photo = page.get_by_test_id("my-photo")
    signed = re.compile(r"X-Amz-Expires=900")
    expect(photo).to_have_attribute("src", signed)
    page.wait_for_function("() => { const i = document.querySelector('[data-testid=my-photo]'); return i && i.complete && i.naturalWidth === 1; }")
    assert_accessible(page, f"hp-{lang}-03-saved")
    assert fits_360(page)
    page.reload()  # the current photo comes back from the server
    expect(page.get_by_test_id("my-photo")).to_have_attribute("src", signed)
    expect(page.get_by_label(W["photo_public"])).to_be_checked()
    no_missing_words(page, lang)
    if lang != "en":
        assert english_on(page, lang) == []
    from chalicelib.models.helpers import Helper
    row = Helper.get(helper["helper_id"], consistent_read=True)
    assert row.photo_key and row.photo_public is True
