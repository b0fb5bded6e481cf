"""A first-time customer's whole journey on a 360 px phone, in her language, on the whole local
stack (API, DynamoDB Local, moto, localstripe, the pump, the web server, Debian's Chromium):

she books an on-site visit; every amount the app shows (typical total, hold, cancel fee, charged,
released) is checked against the server's own numbers; then every link in every e-mail she
received is opened in a fresh browser and must show her booking (signing in first where needed),
and the rating link opens the rating form and rates without signing in. No word of another
language may appear (the app records any text its language lacks)."""
from __future__ import annotations

import json
import re
import uuid

import pytest
from playwright.sync_api import expect

from chalicelib.domain import links, pricing
from chalicelib.domain.policy import PLATFORM_DEFAULTS
from tests.browser.conftest import assert_accessible, make_helper, shot
from tests.journey.words import fill, words
from tests.stack_fixtures import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PHONE = {"width": 360, "height": 740}
LOCALE = {"de": "de-CH", "fr": "fr-CH", "it": "it-CH", "en": "en-GB"}
RATING_TEXT = {"de": "4.5 von 5", "fr": "4,5 sur 5"}  # the helper's 9 stars from 2 visits, locale-formatted


def money(amount: int, lang: str) -> str:
    """CHF as the app prints it for this locale (Intl.NumberFormat, same CLDR data as Chromium)."""
    value = f"{amount / 100:.2f}"
    return f"{value}\u00a0CHF" if lang == "fr" else f"CHF\u00a0{value}"


def no_missing_words(page, lang):
    missing = page.evaluate("() => [...(window.__cfMissing || [])]")
    assert [m for m in missing if m.startswith(lang + ":")] == [], missing


def sign_in_code(services, email, used=()) -> str:
    """The newest sign-in code e-mailed to ``email`` that was not used yet (only sign-in e-mails:
    the booking's own e-mails may carry 6-digit numbers too)."""
    from chalicelib.services.auth import SUBJECTS
    from localdev.services import read_sent_emails

    patterns = [re.compile(re.escape(s).replace(re.escape("{code}"), r"(\d{6})") + "$") for s in SUBJECTS.values()]

    def newest():
        for m in reversed(read_sent_emails(services.moto_url)):
            if email in json.dumps(m.get("destinations")):
                for p in patterns:
                    hit = p.match(m.get("subject") or "")
                    if hit and hit.group(1) not in used:
                        return hit.group(1)
        return None
    return wait_for(newest, what=f"a new sign-in code for {email}")


USED_CODES: set[str] = set()


def check_receipt(page, receipt, lang, W):
    """The receipt screen shows the payment record's receipt: each line item, the total charged and
    what the hold released, in the reader's money format; the page prints without the header."""
    expect(page.get_by_role("heading", level=1)).to_have_text(W["rc_title"])
    rows = page.locator("table.bill tbody tr")
    expect(rows).to_have_count(len(receipt["line_items"]))
    for n, item in enumerate(receipt["line_items"]):
        cell = rows.nth(n).locator("td.num")
        assert int(cell.get_attribute("data-amount")) == item["amount"]
        expect(cell).to_have_text(money(item["amount"], lang))
    assert sum(i["amount"] for i in receipt["line_items"]) == receipt["total"]
    total = page.get_by_test_id("receipt-total")
    assert int(total.get_attribute("data-amount")) == receipt["total"]
    expect(total).to_have_text(money(receipt["total"], lang))
    expect(page.get_by_test_id("receipt-charged")).to_have_text(fill(W["charged"], amount=money(receipt["total"], lang)))
    expect(page.get_by_test_id("receipt-released")).to_have_text(fill(W["released_amt"], amount=money(receipt["released"], lang)))
    expect(page.get_by_role("button", name=W["rc_print"])).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.get_by_role("button", name=W["rc_print"])).to_be_hidden()
    expect(page.get_by_test_id("receipt-total")).to_be_visible()
    page.emulate_media(media="screen")


def sign_in(page, services, email, W):
    page.get_by_role("textbox", name=W["email"]).fill(email)
    page.get_by_role("button", name=W["send_code"]).click()
    expect(page.get_by_text(fill(W["code_sent"], email=email))).to_be_visible()  # the request is done
    code = sign_in_code(services, email, USED_CODES)
    USED_CODES.add(code)
    page.get_by_label(W["code"]).fill(code)
    page.get_by_role("button", name=W["confirm_code"]).click()


def mails_to(services, address):
    from localdev.services import read_sent_emails
    return [m for m in read_sent_emails(services.moto_url) if address in json.dumps(m)]


@pytest.mark.parametrize("lang", ["de", "fr"])
def test_first_time_customer_books_and_every_link_and_amount_holds(new_context, web, api, signin, lang):
    W = words()[lang]
    services = web["services"]
    helper = make_helper(payout_ready=True, rating_count=2, rating_sum=9, first_name="Petra")
    hh = signin(helper["email"], "helper")

    ctx = new_context(viewport=PHONE, locale=LOCALE[lang])
    page = ctx.new_page()
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(W["tagline"])
    header = page.locator("header.top").bounding_box()
    assert header["height"] <= 80, header  # one compact bar on a phone
    expect(page.locator("footer")).to_contain_text(links.table()["support"]["display"])  # a number to call
    assert_accessible(page, f"j-{lang}-01-landing")
    page.get_by_role("link", name=W["get_help"]).click()

    page.get_by_text(W["cat_printer"], exact=True).click()
    page.get_by_role("button", name=W["next"]).click()
    description = f"Der Drucker blinkt rot {uuid.uuid4().hex[:6]}"
    page.get_by_label(W["q_describe"]).fill(description)
    page.get_by_label(W["postcode"]).fill("8053")
    page.get_by_role("button", name=W["find"], exact=True).click()
    expect(page.get_by_text(re.compile("8053"))).to_be_visible()
    page.get_by_label(W["street"]).fill("Witikonerstrasse 15")
    page.get_by_role("button", name=W["next"]).click()

    # helpers: "crowdfix chooses for me" first; each card short; the typical total is the server's price
    expect(page.get_by_role("heading", level=1)).to_have_text(W["helpers_title"])
    card = page.locator(f"li[data-helper='{helper['helper_id']}']")
    expect(card).to_be_visible()
    auto = page.get_by_role("button", name=W["let_us_choose"])
    assert auto.bounding_box()["y"] < page.locator("ul.helpers li").first.bounding_box()["y"]
    expected = pricing.typical_total(hourly_rate=helper["hourly_rate"], minutes=PLATFORM_DEFAULTS["typical_minutes"]["printer"],
                                     mode="onsite", currency="CHF", policy=PLATFORM_DEFAULTS)
    total = card.get_by_test_id("typical-total")
    assert int(total.get_attribute("data-amount")) == expected["amount"] == 6000 + PLATFORM_DEFAULTS["travel_fee_minor"]
    expect(total).to_contain_text(money(expected["amount"], lang))
    expect(total).to_contain_text(money(PLATFORM_DEFAULTS["travel_fee_minor"], lang))  # travel fee included, said so
    expect(card).to_contain_text(RATING_TEXT[lang])
    card.get_by_text(fill(W["more_about"], name="Petra")).click()
    expect(card).to_contain_text(fill(W["qual"], cat=W["cat_printer"], level=W["lvl3"]))
    assert_accessible(page, f"j-{lang}-02-helpers")
    no_missing_words(page, lang)
    card.get_by_role("button", name=fill(W["choose_helper"], name="Petra")).click()

    # details: sign-in, the summary with her address and price, phone required, the hold next to the card
    expect(page.get_by_role("heading", level=1)).to_have_text(W["details_title"])
    email = f"journey-{lang}-{uuid.uuid4().hex[:8]}@example.org"
    sign_in(page, services, email, W)
    expect(page.get_by_text(fill(W["signed_in_as"], email=email))).to_be_visible()
    expect(page.get_by_test_id("summary-address")).to_contain_text("Witikonerstrasse 15")
    assert int(page.get_by_test_id("summary-price").get_attribute("data-amount")) == expected["amount"]
    page.get_by_label(W["your_name"]).fill("Erika Muster")
    page.get_by_role("button", name=W["book_now"]).click()
    expect(page.locator("#phone-error")).to_have_text(W["err_phone_onsite"])
    page.get_by_label(W["your_phone"]).fill("+41 44 123 45 67")
    hold = page.get_by_test_id("hold-note")
    assert int(hold.get_attribute("data-amount")) == PLATFORM_DEFAULTS["default_price_cap_minor"]
    expect(hold).to_contain_text(money(PLATFORM_DEFAULTS["default_price_cap_minor"], lang))
    page.get_by_label("Card number").fill("4242424242424242")
    page.get_by_label("Expiry month (MM)").fill("12")
    page.get_by_label("Expiry year (YY)").fill("34")
    page.get_by_label("Security code (CVC)").fill("12")
    page.get_by_role("button", name=W["book_now"]).click()
    expect(page.get_by_role("alert")).to_have_text(W["card_check"])  # the card error in her language
    page.get_by_label("Security code (CVC)").fill("123")
    assert_accessible(page, f"j-{lang}-03-confirm")
    no_missing_words(page, lang)
    page.get_by_role("button", name=W["book_now"]).click()

    # her booking: the amount held, as the payment record has it
    expect(page).to_have_url(re.compile(r"/booking/b_"))
    bid = page.url.rsplit("/", 1)[1]
    from chalicelib.services.payments import get_payment
    pay = wait_for(lambda: get_payment(bid) if get_payment(bid) and get_payment(bid).status == "authorised" else None,
                   what="the card hold")
    held = page.get_by_test_id("held")
    expect(held).to_contain_text(money(pay.facts["authorised"], lang))
    assert int(held.get_attribute("data-amount")) == int(pay.facts["authorised"]) == PLATFORM_DEFAULTS["default_price_cap_minor"]

    # the helper accepts; the cancel step now says what cancelling would cost (and the customer keeps it)
    wait_for(lambda: api.call("GET", f"/v1/bookings/{bid}", headers=hh)[0] == 200 and
             api.call("POST", f"/v1/bookings/{bid}/accept", headers=hh)[0] == 200, timeout=60, what="accepted")
    expect(page.locator(".state")).to_have_attribute("data-state", "assigned")
    expect(page.locator(".helper-card")).to_contain_text(fill(W["your_helper"], name="Petra"))
    expect(page.locator(".helper-card")).to_contain_text(RATING_TEXT[lang])  # who is coming, in her number format
    page.get_by_role("button", name=W["cancel_booking"]).click()
    fee = PLATFORM_DEFAULTS["late_cancel_fee_minor"]
    expect(page.get_by_test_id("cancel-fee")).to_have_text(fill(W["cancel_fee"], fee=money(fee, lang)))
    assert_accessible(page, f"j-{lang}-04-cancel-step")
    page.get_by_role("button", name=W["no_keep"]).click()

    # done: the bill on her page is the settled receipt
    assert api.call("POST", f"/v1/bookings/{bid}/start", headers=hh)[0] == 200
    assert api.call("POST", f"/v1/bookings/{bid}/complete", {"minutes_worked": 45}, hh)[0] == 200
    pay = wait_for(lambda: (lambda p: p if p.status == "captured" and p.receipt else None)(get_payment(bid)),
                   timeout=90, what="charged with a receipt")
    receipt = pay.receipt
    charged = page.get_by_test_id("charged")
    expect(charged).to_contain_text(money(receipt["total"], lang))
    assert int(charged.get_attribute("data-amount")) == receipt["total"] == int(pay.facts["captured"])
    assert receipt["total"] == 3 * 1500 + PLATFORM_DEFAULTS["travel_fee_minor"]  # 45 min at CHF 60/h + travel
    released = page.get_by_test_id("released")
    assert int(released.get_attribute("data-amount")) == receipt["released"] == \
        PLATFORM_DEFAULTS["default_price_cap_minor"] - receipt["total"]
    assert_accessible(page, f"j-{lang}-05-bill")
    no_missing_words(page, lang)

    # the bill links her receipt: the same figures, line by line, in her words and money format
    page.get_by_test_id("receipt-link").click()
    expect(page).to_have_url(re.compile(rf"/booking/{bid}/receipt$"))
    check_receipt(page, receipt, lang, W)
    assert_accessible(page, f"j-{lang}-05b-receipt")
    no_missing_words(page, lang)
    page.go_back()
    expect(page.get_by_test_id("charged")).to_contain_text(money(receipt["total"], lang))

    # every link in every e-mail she received opens her booking (the rating link its form)
    from chalicelib.settings import get_settings
    base = get_settings().public_base_url.rstrip("/")
    mails = wait_for(lambda: (lambda ms: ms if any("/review/" in json.dumps(m) for m in ms)
                              and any("/receipt" in json.dumps(m) for m in ms) else None)(mails_to(services, email)),
                     timeout=60, what="the review and the receipt e-mails")
    found = sorted({u for m in mails for u in re.findall(re.escape(base) + r"/[^\s\"'<>\\]*", json.dumps(m, ensure_ascii=False))})
    assert found, mails
    opened = set()
    for n, url in enumerate(found):
        path = url[len(base):]
        fresh = new_context(viewport=PHONE, locale=LOCALE[lang]).new_page()
        fresh.goto(path)
        name = links.match(path.split("#")[0])[0]
        if name == "review":
            expect(fresh.get_by_role("heading", level=1)).to_have_text(W["review_title"])
            for group, stars in ((W["score_overall"], 5), (W["score_patience"], 5), (W["score_clarity"], 4)):
                fresh.get_by_role("group", name=group).get_by_text(f"{stars}★").click()
            assert_accessible(fresh, f"j-{lang}-06-review-link")
            fresh.get_by_role("button", name=W["send_rating"]).click()
            expect(fresh.get_by_text(W["thanks_rating"])).to_be_visible()
        elif name == "receipt":
            sign_in(fresh, services, email, W)  # a fresh browser: sign in, then her receipt
            expect(fresh).to_have_url(re.compile(rf"/booking/{bid}/receipt$"))
            check_receipt(fresh, receipt, lang, W)
        else:
            assert name == "booking", url
            sign_in(fresh, services, email, W)  # a fresh browser: sign in, then the same screen
            expect(fresh).to_have_url(re.compile(rf"/booking/{bid}$"))
            expect(fresh.get_by_text(description)).to_be_visible()
            expect(fresh.get_by_test_id("charged")).to_contain_text(money(receipt["total"], lang))
        no_missing_words(fresh, lang)
        shot(fresh, f"j-{lang}-07-link-{n}")
        opened.add(name)
        fresh.context.close()
    assert opened == {"booking", "review", "receipt"}
    token = page.evaluate("() => JSON.parse(localStorage.getItem('cf.session.customer')).token")
    status, review, _ = api.call("GET", f"/v1/bookings/{bid}/review", headers={"Authorization": f"Bearer {token}"})
    assert status == 200 and (review["overall"], review["clarity"]) == (5, 4), review

    # she comes back: her address, name and phone are offered, not retyped
    page.goto("/book")
    page.get_by_text(W["cat_computer"], exact=True).click()
    page.get_by_role("button", name=W["next"]).click()
    expect(page.get_by_label(W["street"])).to_have_value("Witikonerstrasse 15")
    page.get_by_label(W["q_describe"]).fill("Der Computer ist langsam.")
    page.get_by_role("button", name=W["next"]).click()  # a returning customer goes straight on: crowdfix chooses
    expect(page.get_by_role("heading", level=1)).to_have_text(W["details_title"])
    expect(page.get_by_label(W["your_name"])).to_have_value("Erika Muster")
    expect(page.get_by_label(W["your_phone"])).to_have_value("+41 44 123 45 67")
