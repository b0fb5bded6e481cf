"""The widget is the partner's (issue 17.5) and attributes its bookings (17.7): a partner's page on
another origin (a second local server on a free port, ``localhost`` against the app's ``127.0.0.1``)
embeds the booking flow with one script tag. Debian's Chromium, a 360 px phone, German.

Inside the frame, on every screen: the tenant's name and colours and its campaign's hotline, no
crowdfix mark and no helper link; the tenant stays in the frame's URL and API calls after the first
click; the frame is as tall as its content (postMessage to the partner's origin, which checks
where it came from); the booking made in it is the partner's, with the affiliate code and campaign
of the partner page's link, and counted (widget open, booking started)."""
from __future__ import annotations

import http.server
import re
import threading
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import _free_port, axe_violations, shot
from tests.integration.partner_fixtures import new_partner
from tests.journey.test_first_time_customer import PHONE, USED_CODES, no_missing_words, sign_in_code
from tests.journey.words import fill, words

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PRIMARY = "#aa0044"  # new_partner's colours


@pytest.fixture()
def partner_site(web, api, signin):
    p = new_partner(api, signin, environment="live", billing_model="card", locale="de",
                    landing={"hotline": "+41 44 000 00 00", "campaign_hotlines": {"winter": "+41 31 222 33 44"}})
    port = _free_port()
    origin = f"http://localhost:{port}"
    status, body, _ = api.call("PATCH", f"/v1/tenants/{p['tenant_id']}", {"widget_origins": [origin]}, p["ops"])
    assert status == 200, body
    html = (f"<!doctype html><html lang='de'><head><meta charset='utf-8'><title>Shop</title>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'></head><body>"
            f"<h1>Unser Laden</h1><p>Technik-Hilfe für unsere Kundschaft:</p><div id='cf'></div>"
            f"<script src='{web['url']}/v1/partners/{p['tenant_id']}/widget.js' data-target='cf' async></script>"
            f"<footer style='height:200px'>Fusszeile</footer></body></html>")

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            data = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {**p, "origin": origin}
    server.shutdown()
    server.server_close()


def test_the_widget_on_a_partners_page_stays_the_partners_and_attributes_the_booking(new_context, web, api,
                                                                                     partner_site):
    W = words()["de"]
    tid = partner_site["tenant_id"]
    ctx = new_context(viewport=PHONE, locale="de-CH")
    # the widget frames the app at the deployment's public address (settings.public_base_url); the
    # test's web server stands for it, as the e-mail link tests open links on it
    from chalicelib.settings import get_settings
    base = get_settings().public_base_url.rstrip("/")

    def at_the_test_server(route):
        resp = route.fetch()
        route.fulfill(response=resp, body=resp.text().replace(base, web["url"]))
    ctx.route("**/widget.js", at_the_test_server)
    page = ctx.new_page()
    page.goto(partner_site["origin"] + "/shop?utm_source=newsletter&utm_medium=email&utm_campaign=winter&aff=shop7")
    frame_el = page.locator("#cf iframe")
    expect(frame_el).to_have_attribute("src", re.compile(rf"tenant={tid}.*embed=1.*parent=http%3A%2F%2Flocalhost"))
    frame = page.frame_locator("#cf iframe")
    expect(frame.get_by_role("heading", level=1)).to_have_text(W["tagline"])

    def the_partners(screen: str):
        """On this screen: the partner's name as the mark, its colour, its campaign's hotline; no
        crowdfix mark, word or helper link; the tenant in the frame's URL."""
        expect(frame.locator("header .logo")).to_have_text(f"Partner {tid}")
        assert frame.locator("header .logo svg").count() == 0, screen
        assert frame.locator("a[href*='/helper']").count() == 0, screen
        text = frame.locator("body").inner_text()
        assert "crowdfix" not in text.lower(), (screen, text)
        expect(frame.locator("footer .support a")).to_have_text(fill(W["support_call"], phone="+41 31 222 33 44"))
        url = page.frames[1].url
        assert f"tenant={tid}" in url and "embed=1" in url and "utm_campaign=winter" in url, (screen, url)

    the_partners("landing")
    button = frame.get_by_role("link", name=W["get_help"])
    assert button.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(170, 0, 68)"  # #aa0044
    assert axe_violations(page.frames[1]) == []
    shot(page, "w01-widget-landing")

    def fits() -> float:
        """The frame is as tall as what it shows (no "Weiter" below its fold): the partner's page
        set the height the app reported for this screen."""
        inner = page.frames[1].evaluate("() => Math.ceil(document.body.getBoundingClientRect().height)")
        page.wait_for_function("h => Math.abs(document.querySelector('#cf iframe').getBoundingClientRect().height - h) <= 1",
                               arg=inner)
        return inner

    first_height = fits()

    # the booking, by keyboard where a person would type
    button.click()
    frame.get_by_text(W["cat_printer"], exact=True).click()
    frame.get_by_role("button", name=W["next"]).click()
    the_partners("describe")
    frame.get_by_label(W["q_describe"]).fill("Der Drucker blinkt rot")
    frame.get_by_label(W["postcode"]).fill("8053")
    frame.get_by_role("button", name=W["find"], exact=True).click()
    frame.get_by_label(W["street"]).fill("Witikonerstrasse 15")
    frame.get_by_role("button", name=W["next"]).click()
    expect(frame.get_by_role("heading", level=1)).to_have_text(W["helpers_title"])
    the_partners("helpers")
    # the partner's name where the app says crowdfix ("Partner x soll für mich wählen")
    frame.get_by_role("button", name=W["let_us_choose"].replace("crowdfix", f"Partner {tid}")).click()
    expect(frame.get_by_role("heading", level=1)).to_have_text(W["details_title"])
    the_partners("details")
    email = f"widget-{uuid.uuid4().hex[:8]}@example.org"
    frame.get_by_role("textbox", name=W["email"]).fill(email)
    frame.get_by_role("button", name=W["send_code"]).click()
    expect(frame.get_by_text(fill(W["code_sent"], email=email))).to_be_visible()
    code = sign_in_code(web["services"], email, USED_CODES)
    USED_CODES.add(code)
    frame.get_by_label(W["code"]).fill(code)
    frame.get_by_role("button", name=W["confirm_code"]).click()
    expect(frame.get_by_text(fill(W["signed_in_as"], email=email))).to_be_visible()
    frame.get_by_label(W["your_name"]).fill("Erika Muster")
    frame.get_by_label(W["your_phone"]).fill("+41 44 123 45 67")
    for label, value in (("Card number", "4242424242424242"), ("Expiry month (MM)", "12"),
                         ("Expiry year (YY)", "34"), ("Security code (CVC)", "123")):
        frame.get_by_label(label).fill(value)
    frame.get_by_role("button", name=W["book_now"]).click()
    expect(frame.get_by_role("heading", level=1)).to_have_text(W["status_title"])
    the_partners("booking")
    no_missing_words(page.frames[1], "de")
    assert axe_violations(page.frames[1]) == []
    shot(page, "w02-widget-booked")
    assert fits() != first_height  # it followed the new screen's height

    bid = re.search(r"/booking/(b_[A-Za-z0-9]+)", page.frames[1].url).group(1)
    from chalicelib.models.bookings import Booking
    from chalicelib.store.attribution import attribution
    b = Booking.get(bid, consistent_read=True)
    assert (b.tenant_id, b.partner_id, b.affiliate_code, b.campaign) == (tid, tid, "shop7", "winter")
    from tests.stack_fixtures import wait_for
    link = wait_for(lambda: attribution().booking_link(bid), what="the booking counted (bookings stream)")
    assert (link.utm_source, link.utm_medium, link.channel) == ("newsletter", "email", "widget")
    report = api.call("GET", f"/v1/tenants/{tid}/attribution", headers=partner_site["h"])[1]
    row = next(r for r in report["by_campaign"] if (r["affiliate_code"], r["campaign"]) == ("shop7", "winter"))
    assert (row["widget_opens"], row["bookings_started"]) == (1, 1), row
    # the partner's key sees its customer's booking
    assert api.call("GET", f"/v1/partner/bookings/{bid}", headers=partner_site["h"])[0] == 200


