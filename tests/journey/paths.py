"""The two booking paths a person takes, driven in Chromium and counted: screens she sees, taps
(buttons, links, choices; not the tap into a text field), field taps and keystrokes (every character
typed). Used by tests/journey/test_paths.py (goals asserted, nothing timed) and bench/journey.py.

A screen is a distinct (path, main heading) she sees, recorded in the page as it changes."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from playwright.sync_api import expect

from tests.journey.words import fill

PHONE = {"width": 360, "height": 740}
LOCALE = {"de": "de-CH", "fr": "fr-CH", "it": "it-CH", "en": "en-GB"}
SCREENS_JS = """() => {
  window.__cfScreens = [];
  const note = () => {
    const h = document.querySelector('main h1');
    if (!h || !h.textContent.trim()) return;
    const key = location.pathname + ' | ' + h.textContent.trim();
    const s = window.__cfScreens;
    if (s[s.length - 1] !== key) s.push(key);
  };
  new MutationObserver(note).observe(document, { subtree: true, childList: true, characterData: true });
  addEventListener('popstate', note);
}"""
GOALS = {"first_time": {"screens": 6, "taps": 12}, "returning": {"screens": 4}}


@dataclass
class Count:
    taps: int = 0
    field_taps: int = 0
    keystrokes: int = 0
    screens: list[str] = field(default_factory=list)

    def tap(self, locator):
        locator.click()
        self.taps += 1

    def type(self, locator, text: str):
        locator.click()
        self.field_taps += 1
        locator.press_sequentially(text)
        self.keystrokes += len(text)

    def summary(self, page) -> dict:
        self.screens = page.evaluate("() => [...(window.__cfScreens || [])]")
        return {"screens": len(self.screens), "taps": self.taps, "field_taps": self.field_taps,
                "keystrokes": self.keystrokes, "screen_list": self.screens}


def open_page(new_context, lang):
    ctx = new_context(viewport=PHONE, locale=LOCALE[lang])
    ctx.add_init_script(f"({SCREENS_JS})()")
    return ctx.new_page()


def first_time(page, W, *, sign_in_code, email: str, choose_helper: str | None = None) -> tuple[dict, str]:
    """A first-time on-site booking from the landing page to her booking's page: printer, Zürich
    8053, a street, crowdfix chooses (or ``choose_helper`` by first name), sign in by code, name,
    phone, card. Returns the counts and the booking id."""
    c = Count()
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(W["tagline"])
    c.tap(page.get_by_role("link", name=W["get_help"]))
    c.tap(page.get_by_text(W["cat_printer"], exact=True))
    c.tap(page.get_by_role("button", name=W["next"]))
    c.type(page.get_by_label(W["q_describe"]), "Der Drucker blinkt rot")
    c.type(page.get_by_label(W["postcode"]), "8053")
    c.tap(page.get_by_role("button", name=W["find"], exact=True))
    c.type(page.get_by_label(W["street"]), "Witikonerstrasse 15")
    c.tap(page.get_by_role("button", name=W["next"]))
    expect(page.get_by_role("heading", level=1)).to_have_text(W["helpers_title"])
    if choose_helper:
        c.tap(page.get_by_role("button", name=fill(W["choose_helper"], name=choose_helper)).first)
    else:
        c.tap(page.get_by_role("button", name=W["let_us_choose"]))
    expect(page.get_by_role("heading", level=1)).to_have_text(W["details_title"])
    c.type(page.get_by_role("textbox", name=W["email"]), email)
    c.tap(page.get_by_role("button", name=W["send_code"]))
    expect(page.get_by_text(fill(W["code_sent"], email=email))).to_be_visible()
    c.type(page.get_by_label(W["code"]), sign_in_code(email))
    c.tap(page.get_by_role("button", name=W["confirm_code"]))
    expect(page.get_by_text(fill(W["signed_in_as"], email=email))).to_be_visible()
    c.type(page.get_by_label(W["your_name"]), "Erika Muster")
    c.type(page.get_by_label(W["your_phone"]), "+41 44 123 45 67")
    for label, value in (("Card number", "4242424242424242"), ("Expiry month (MM)", "12"),
                         ("Expiry year (YY)", "34"), ("Security code (CVC)", "123")):
        c.type(page.get_by_label(label), value)
    c.tap(page.get_by_role("button", name=W["book_now"]))
    expect(page).to_have_url(re.compile(r"/booking/b_"))
    expect(page.get_by_role("heading", level=1)).to_have_text(W["status_title"])
    expect(page.locator(".state")).to_be_visible()
    return c.summary(page), page.url.rsplit("/", 1)[1]


def returning(page, W) -> tuple[dict, str]:
    """The same person books again (same device, still signed in): the problem tiles on the landing
    page, a description, and her name, phone, address and saved card are offered, not retyped."""
    c = Count()
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(W["tagline"])
    c.tap(page.get_by_role("button", name=W["cat_computer"]))
    expect(page.get_by_label(W["street"])).to_have_value("Witikonerstrasse 15")
    c.type(page.get_by_label(W["q_describe"]), "Der Computer ist langsam")
    c.tap(page.get_by_role("button", name=W["next"]))
    expect(page.get_by_role("heading", level=1)).to_have_text(W["details_title"])
    expect(page.get_by_label(W["your_name"])).to_have_value("Erika Muster")
    expect(page.get_by_label(W["your_phone"])).to_have_value("+41 44 123 45 67")
    expect(page.get_by_label(re.compile(re.escape(W["use_saved"])))).to_be_checked()
    expect(page.get_by_label("Card number")).to_have_count(0)  # the saved card, nothing to type
    c.tap(page.get_by_role("button", name=W["book_now"]))
    expect(page).to_have_url(re.compile(r"/booking/b_"))
    expect(page.get_by_role("heading", level=1)).to_have_text(W["status_title"])
    expect(page.locator(".state")).to_be_visible()
    return c.summary(page), page.url.rsplit("/", 1)[1]


def new_email(lang: str) -> str:
    return f"path-{lang}-{uuid.uuid4().hex[:8]}@example.org"
