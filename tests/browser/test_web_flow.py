"""The web app in a real browser against the real local stack: a customer books start to finish
while a helper, in a second browser context, receives the offer and accepts."""
import json
import re
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, email_code, make_helper, shot

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def sign_in(page, services, email):
    page.get_by_role("textbox", name="E-mail address").fill(email)
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_text("We have sent a code")).to_be_visible()
    page.get_by_label("The 6-digit code from the e-mail").fill(email_code(services, email))
    page.get_by_role("button", name="Confirm code").click()


def enter_card(page, number="4242424242424242"):
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry month (MM)").fill("12")
    page.get_by_label("Expiry year (YY)").fill("34")
    page.get_by_label("Security code (CVC)").fill("123")


def test_customer_books_helper_accepts_and_completes(new_context, web):
    services = web["services"]
    helper = make_helper(payout_ready=True)  # the tenant offers work only to payout-ready helpers

    # --- the helper signs in and keeps the offers inbox open ------------------------------------
    hctx = new_context()
    hctx.grant_permissions(["notifications"], origin=web["url"])
    hp = hctx.new_page()
    hp.goto("/helper")
    expect(hp.get_by_role("heading", level=1)).to_have_text("For helpers")
    assert_accessible(hp, "h01-helper-signin")
    sign_in(hp, services, helper["email"])
    expect(hp.get_by_role("heading", level=1)).to_have_text("Offers")
    hp.get_by_role("button", name="Profile").click()
    expect(hp.get_by_label("First name (shown to customers)")).to_have_value("Petra")
    assert_accessible(hp, "h02-helper-profile")
    hp.get_by_role("button", name="Availability").click()
    expect(hp.get_by_label("On call (offers at any hour, also at night)")).to_be_checked()
    assert_accessible(hp, "h03-helper-availability")
    hp.get_by_role("button", name="Offers").click()
    expect(hp.get_by_text("No open offers right now")).to_be_visible()
    assert_accessible(hp, "h04-helper-offers-empty")

    # --- the customer, no account yet, books ----------------------------------------------------
    cctx = new_context()
    cp = cctx.new_page()
    cp.goto("/")
    assert_accessible(cp, "c01-landing")
    cp.get_by_label("Language").select_option("en")  # the language menu in the header
    expect(cp.get_by_role("heading", level=1)).to_have_text("Help with your technology – at home or by phone")
    cp.get_by_role("link", name="Get help now").click()
    expect(cp.get_by_role("heading", level=1)).to_have_text("What do you need help with?")
    assert_accessible(cp, "c02-what")
    cp.get_by_text("Printer", exact=True).click()
    cp.get_by_role("button", name="Continue").click()

    expect(cp.get_by_role("heading", level=1)).to_have_text("Describe the problem")
    cp.get_by_label("Describe the problem").fill("My printer blinks red and prints nothing.")
    cp.get_by_label("Postcode or address").fill("8053")
    cp.get_by_role("button", name="Find", exact=True).click()
    expect(cp.get_by_text("Your place: 8053 Zürich (Witikon)")).to_be_visible()
    cp.get_by_role("button", name="Continue").click()  # on site: the street is needed
    expect(cp.get_by_role("alert")).to_contain_text("Please type your street and house number")
    cp.get_by_label("Street and house number (for the helper)").fill("Witikonerstrasse 15")
    assert_accessible(cp, "c03-details")
    cp.get_by_role("button", name="Continue").click()

    expect(cp.get_by_role("heading", level=1)).to_have_text("Helpers near you")
    cp.wait_for_selector("text=Let crowdfix choose for me")
    cp.wait_for_function("() => !document.querySelector('[role=status]')?.textContent.includes('Loading')")
    # the real discovery card of our helper (GET /v1/discover): first name, price, typical total, skills
    card = cp.locator(f"li[data-helper='{helper['helper_id']}']")
    expect(card.first).to_be_visible()
    expect(card.first).to_contain_text("60.00")
    expect(card.first).to_contain_text("km away")
    expect(card.first).to_contain_text("in total")
    expect(card.first).to_contain_text("Can come now")
    card.first.get_by_text(f"More about {helper['first_name']}").click()  # the details, one tap away
    expect(card.first).to_contain_text("Printer: Specialist")
    expect(card.first).to_contain_text("Why:")
    assert_accessible(cp, "c04-helpers")
    card.first.get_by_role("button", name=f"Choose {helper['first_name']}").click()

    expect(cp.get_by_role("heading", level=1)).to_have_text("Your details")
    assert_accessible(cp, "c05-signin")
    customer_email = f"web-{uuid.uuid4().hex[:8]}@example.org"
    sign_in(cp, services, customer_email)
    expect(cp.get_by_text(f"Signed in as {customer_email}")).to_be_visible()
    cp.get_by_label("Your name").fill("Erika Muster")
    cp.get_by_label("Phone number (so the helper can call you)").fill("+41 44 123 45 67")
    # the card, typed into Stripe.js (locally localstripe's, with createPaymentMethod added)
    expect(cp.get_by_label("Card number")).to_be_visible()
    assert_accessible(cp, "c06-confirm")
    cp.get_by_label("Card number").fill("4242424242424242")
    cp.get_by_label("Expiry month (MM)").fill("12")
    cp.get_by_label("Expiry year (YY)").fill("34")
    cp.get_by_label("Security code (CVC)").fill("12")
    cp.get_by_role("button", name="Book now").click()
    expect(cp.get_by_text("Type the three-digit security code")).to_be_visible()  # says what to do
    cp.get_by_label("Security code (CVC)").fill("123")
    cp.get_by_label("Postcode").fill("8032")
    shot(cp, "c06b-card")
    cp.get_by_role("button", name="Book now").click()

    expect(cp).to_have_url(re.compile(r"/booking/b_"))
    booking_id = cp.url.rsplit("/", 1)[1]
    from chalicelib.services.payments import get_payment
    pay = get_payment(booking_id)  # the typed card holds the price cap (manual capture)
    assert pay.status == "authorised" and pay.payment_method.startswith("pm_"), pay.status
    expect(cp.locator(".state")).to_have_attribute("data-state", re.compile("requested|offered"))
    assert_accessible(cp, "c07-status-waiting")

    # --- the helper's inbox shows the offer by itself; accept ---------------------------------
    offer = hp.locator(f"li[data-booking='{booking_id}']")
    expect(offer).to_be_visible(timeout=60_000)
    expect(offer).to_contain_text("My printer blinks red")
    expect(offer).not_to_contain_text("Witikonerstrasse")  # no exact address before accepting
    assert_accessible(hp, "h05-helper-offer")
    offer.get_by_role("button", name="Accept").click()
    expect(hp.get_by_role("heading", level=1)).to_have_text("My jobs")
    job = hp.locator(f"li[data-booking='{booking_id}']")
    expect(job).to_contain_text("Witikonerstrasse 15")  # assigned: now the address is shown
    assert_accessible(hp, "h06-helper-job")

    # --- the customer sees the assignment ----------------------------------------------------------
    expect(cp.locator(".state")).to_have_attribute("data-state", "assigned", timeout=30_000)
    expect(cp.get_by_text(f"Your helper: {helper['first_name']}")).to_be_visible()
    assert_accessible(cp, "c08-status-assigned")

    # --- the helper goes, starts, finishes with the time worked ----------------------------------
    job.get_by_role("button", name="I am on my way").click()
    expect(job.locator(".state")).to_have_attribute("data-state", "en_route")
    expect(cp.locator(".state")).to_have_attribute("data-state", "en_route", timeout=30_000)
    job.get_by_role("button", name="Start work").click()
    expect(job.locator(".state")).to_have_attribute("data-state", "started")
    job.get_by_role("button", name="Finish job").click()
    expect(job.get_by_text("Minutes worked: 1–1440")).to_be_visible()  # says what to do
    job.get_by_label("Minutes worked").fill("45")
    job.get_by_role("button", name="Finish job").click()
    expect(job.get_by_text("Job finished. Thank you!")).to_be_visible()
    shot(hp, "h07-helper-done")

    # --- the customer sees it done and rates ---------------------------------------------------------
    expect(cp.locator(".state")).to_have_attribute("data-state", "completed", timeout=30_000)
    from tests.stack_fixtures import wait_for
    wait_for(lambda: get_payment(booking_id).status == "captured", what="the typed card charged on completion")
    expect(cp.get_by_text("Time worked: 45 minutes")).to_be_visible()
    assert_accessible(cp, "c09-status-completed")
    cp.get_by_role("button", name="Send rating").click()  # nothing chosen: says what is missing
    expect(cp.get_by_role("alert")).to_contain_text("choose 1 to 5 stars")
    for group, n in (("Overall", 5), ("Patience", 4), ("Clear explanations", 5)):
        cp.get_by_role("group", name=group).get_by_text(f"{n}★").click()
    cp.get_by_label("Comment (optional)").fill("Very patient, thank you.")
    cp.get_by_role("button", name="Send rating").click()
    expect(cp.get_by_text("Thank you for your rating!")).to_be_visible()
    assert_accessible(cp, "c10-rated")
    # stored by the real reviews API, with the helper the customer chose from discovery
    token = cp.evaluate("() => JSON.parse(localStorage.getItem('cf.session.customer')).token")
    req = urllib.request.Request(f"{web['api']}/v1/bookings/{booking_id}/review",
                                 headers={"Authorization": f"Bearer {token}"})
    review = json.loads(urllib.request.urlopen(req, timeout=30).read())
    assert (review["overall"], review["patience"], review["clarity"]) == (5, 4, 5), review
    assert review["would_recommend"] is True and review["would_book_again"] is True
    assert review["helper_id"] == helper["helper_id"] and review["comment"] == "Very patient, thank you."

    # --- earnings -----------------------------------------------------------------------------------
    hp.get_by_role("button", name="Earnings").click()
    expect(hp.get_by_test_id("earnings-total")).to_contain_text("45.00")  # 45 min x CHF 60/h
    assert_accessible(hp, "h08-helper-earnings")


def test_customer_cancels_a_waiting_booking(new_context, web):
    services = web["services"]
    ctx = new_context()
    page = ctx.new_page()
    page.goto("/book")
    page.get_by_text("Computer", exact=True).click()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Describe the problem").fill("The computer does not start any more.")
    page.get_by_text("By phone or remote session").click()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Let crowdfix choose for me").click()
    sign_in(page, services, f"web-{uuid.uuid4().hex[:8]}@example.org")
    page.get_by_label("Your name").fill("Hans Muster")
    enter_card(page)
    page.get_by_role("button", name="Book now").click()
    expect(page).to_have_url(re.compile(r"/booking/b_"))
    booking_id = page.url.rsplit("/", 1)[1]
    from chalicelib.services.payments import get_payment
    assert get_payment(booking_id).status == "authorised"
    # a screen reader hears where each step stands, not "(…)": the current one, and those to come
    steps = page.locator("ol.timeline li")
    expect(page.locator('ol.timeline li[aria-current="step"] .sr-only')).to_have_text(" (now)")
    expect(steps.last.locator(".sr-only")).to_have_text(" (not yet)")
    expect(steps.first.locator(".sr-only")).to_have_text(" (done)")
    page.get_by_role("button", name="Cancel booking").click()
    expect(page.get_by_text("Do you really want to cancel?")).to_be_visible()
    assert_accessible(page, "c11-cancel-confirm")
    page.get_by_role("button", name="Yes, cancel").click()
    expect(page.locator(".state")).to_have_attribute("data-state", "cancelled")
    expect(page.get_by_role("button", name="Cancel booking")).to_have_count(0)
    # a cancelled booking lists only the steps it went through, each heard as done
    expect(steps.last.locator(".sr-only")).to_have_text(" (done)")
    expect(page.locator("ol.timeline .sr-only", has_text="not yet")).to_have_count(0)
    assert_accessible(page, "c12-cancelled")
    from tests.stack_fixtures import wait_for
    wait_for(lambda: get_payment(booking_id).status == "released", what="the hold released on a free cancel")
