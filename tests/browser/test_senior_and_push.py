"""Senior-first checks (text size, targets, keyboard, errors, languages, narrow screens, zoom) and
the helper app's service worker showing a notification for a push message (delivered via CDP)."""
import json
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, email_code, make_helper, shot

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SMALL_TARGETS = """() => [...document.querySelectorAll('button, a[href], input, select, textarea, label.tile, label.choice')]
  .filter(el => el.offsetParent !== null && !el.closest('.tile,.choice,.stars') || el.matches('label.tile,label.choice'))
  .filter(el => !(el.matches('input[type=radio],input[type=checkbox]')))
  .map(el => { const r = el.getBoundingClientRect(); return {tag: el.tagName, text: (el.textContent||el.id).trim().slice(0,30), w: r.width, h: r.height}; })
  .filter(r => r.w > 0 && (r.h < 44 || r.w < 44))"""


def no_horizontal_scroll(page):
    return page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")


def test_base_text_targets_and_keyboard_only_booking_start(new_context):
    page = new_context(viewport={"width": 360, "height": 780}).new_page()
    page.goto("/book")
    assert page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)") >= 18
    assert no_horizontal_scroll(page)
    assert page.evaluate(SMALL_TARGETS) == []

    # keyboard only: continuing without a choice says what to do; arrows + space choose a picture
    expect(page.get_by_role("heading", level=1)).to_be_focused()  # the screen's heading takes focus
    skip = page.get_by_role("link", name="Skip to main content")
    skip.focus()
    expect(skip).to_be_in_viewport()  # the skip link shows itself when focused
    page.locator("input[name=category]").first.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # on "Continue"
    expect(page.get_by_role("alert")).to_have_text("Please choose what you need help with.")
    page.locator("input[name=category]").first.focus()
    page.keyboard.press("ArrowRight")  # radio group: moves to and selects "Printer"
    outline = page.evaluate("() => getComputedStyle(document.activeElement.closest('label')).outlineStyle")
    assert outline == "solid", "focus must be visible on the chosen picture"
    shot(page, "s01-keyboard-focus-360px")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Describe the problem")
    expect(page.get_by_role("heading", level=1)).to_be_focused()  # screen readers hear the new step

    # the server's problem detail reaches the person: an unknown place
    page.get_by_label("Postcode or address").fill("Atlantis")
    page.keyboard.press("Enter")
    expect(page.locator("#where-error")).to_contain_text("We could not find this place")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("Please describe the problem")
    expect(page.get_by_role("alert")).to_contain_text("Please find and choose your place")
    assert_accessible(page, "s02-errors-360px")
    assert no_horizontal_scroll(page)


@pytest.mark.parametrize("lang,heading", [("de", "Wobei brauchen Sie Hilfe?"), ("fr", "Pour quoi avez-vous besoin d'aide ?"),
                                          ("it", "Per che cosa le serve aiuto?"), ("en", "What do you need help with?")])
def test_language_switch(new_context, lang, heading):
    page = new_context().new_page()
    page.goto("/book")
    page.get_by_label({"de": "Sprache", "en": "Language", "fr": "Langue", "it": "Lingua"}[page.evaluate("() => document.documentElement.lang")]).select_option(lang)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert page.evaluate("() => document.documentElement.lang") == lang
    page.reload()  # the choice is kept
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert_accessible(page, f"s03-lang-{lang}")


def test_200_percent_zoom_reflows(new_context):
    # 200 % zoom of a 1280 px wide window = 640 CSS px at device scale 2
    page = new_context(viewport={"width": 640, "height": 400}, device_scale_factor=2).new_page()
    for path in ("/", "/book", "/helper"):
        page.goto(path)
        page.wait_for_selector("h1")
        assert no_horizontal_scroll(page), path
    shot(page, "s04-zoom-200-helper")


def test_service_worker_shows_push_notification_and_inbox_refreshes(new_context, web):
    helper = make_helper()
    ctx = new_context()
    ctx.grant_permissions(["notifications"], origin=web["url"])
    page = ctx.new_page()
    page.goto("/helper")
    page.get_by_role("textbox", name="E-mail address").fill(helper["email"])
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_label("The 6-digit code from the e-mail").fill(email_code(web["services"], helper["email"]))
    page.get_by_role("button", name="Confirm code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Offers")
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")

    cdp = ctx.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.time() + 60  # a loaded 2-core machine: generous, not timed
    while not registrations and time.time() < deadline:
        page.wait_for_timeout(100)
    reg = next(r for r in registrations if r["scopeURL"].startswith(web["url"]) and not r["isDeleted"])
    message = {"title": "New job offer: Printer", "body": "8053 Zürich – as soon as possible", "booking_id": "b_push0001",
               "url": "/helper/offers"}
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": web["url"] + "/", "registrationId": reg["registrationId"],
                                                   "data": json.dumps(message)})
    deadline = time.time() + 60  # a loaded 2-core machine: generous, not timed
    shown = []
    while not shown and time.time() < deadline:
        shown = page.evaluate("""() => navigator.serviceWorker.ready
            .then(r => r.getNotifications()).then(ns => ns.map(n => ({title: n.title, body: n.body, tag: n.tag})))""")
        if not shown:
            page.wait_for_timeout(200)
    assert shown == [{"title": "New job offer: Printer", "body": "8053 Zürich – as soon as possible", "tag": "offer-b_push0001"}]
    shot(page, "s05-helper-after-push")
