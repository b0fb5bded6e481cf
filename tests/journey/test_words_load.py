"""The words arrive with the page, in her language only (issue 14.7 and the web benchmark's 35 KB):
each language's words are chunks of their own (web/src/words/), fetched beside the app by the boot
module. A German reader downloads no other language's words and never sees a key on screen, not
even for a moment; switching language keeps what she typed (no reload) and shows the new language
at once, in the helper app too."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.journey.words import parts, words

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PHONE = {"width": 360, "height": 740}
WORDS_CHUNK = re.compile(r"/assets/(?:(helper|link)\.)?(de|en|fr|it)-[A-Za-z0-9_-]+\.js$")

# Every text node the page ever shows, from the first script on (a MutationObserver set up before
# the app runs): a key flashing up for a frame is caught although it is gone by the next check.
RECORD_TEXTS = """
window.__cfSeen = [];
new MutationObserver((records) => {
  for (const r of records) {
    if (r.type === "characterData") window.__cfSeen.push(r.target.data);
    for (const n of r.addedNodes || []) {
      if (n.nodeType === 3) window.__cfSeen.push(n.data);
      else if (n.nodeType === 1) window.__cfSeen.push(n.textContent);
    }
  }
}).observe(document, { childList: true, subtree: true, characterData: true });
"""


def _words_fetched(page) -> list[tuple[str, str]]:
    """(part, language) of every words chunk the page fetched."""
    return sorted({((m.group(1) or "app"), m.group(2)) for u in page.evaluate(
        "() => performance.getEntriesByType('resource').map((e) => e.name)") if (m := WORDS_CHUNK.search(u))})


def _keys_seen(page) -> set[str]:
    keys = {k for by_lang in parts().values() for table in by_lang.values() for k in table}
    seen = page.evaluate("() => window.__cfSeen")
    return {k for text in seen for k in re.findall(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b", text or "") if k in keys}


def test_a_german_reader_loads_only_german_words_and_never_sees_a_key(new_context):
    W = words()["de"]
    ctx = new_context(viewport=PHONE, locale="de-CH")
    ctx.add_init_script(RECORD_TEXTS)
    page = ctx.new_page()
    page.goto("/book")
    page.get_by_text(W["cat_printer"], exact=True).click()
    page.get_by_role("button", name=W["next"]).click()
    page.get_by_label(W["q_describe"]).fill("Der Drucker druckt nur leere Seiten")
    assert _words_fetched(page) == [("app", "de")]
    page.goto("/help")
    expect(page.get_by_role("heading", level=1)).to_have_text(W["help_title"])
    page.goto("/booking/b_nothere00000001/receipt")  # signed out: the sign-in first, in German
    expect(page.get_by_role("heading", level=1)).to_have_text(W["rc_title"])
    expect(page.get_by_role("heading", level=2)).to_have_text(W["signin_title"])
    assert _words_fetched(page) == [("app", "de")]
    assert _keys_seen(page) == set()
    assert page.evaluate("() => [...window.__cfMissing]") == []


def test_switching_language_keeps_what_she_typed_and_loads_only_the_new_words(new_context):
    de, fr = words()["de"], words()["fr"]
    ctx = new_context(viewport=PHONE, locale="de-CH")
    ctx.add_init_script(RECORD_TEXTS)
    page = ctx.new_page()
    page.goto("/book")
    page.get_by_text(de["cat_printer"], exact=True).click()
    page.get_by_role("button", name=de["next"]).click()
    page.get_by_label(de["q_describe"]).fill("Der Drucker blinkt")
    page.evaluate("() => { window.__sameDocument = true; }")  # gone if the page reloaded
    page.get_by_label(de["language"]).select_option("fr")
    expect(page.get_by_label(fr["q_describe"])).to_have_value("Der Drucker blinkt")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    assert page.evaluate("() => window.__sameDocument") is True
    assert _words_fetched(page) == [("app", "de"), ("app", "fr")]
    assert _keys_seen(page) == set()
    assert page.evaluate("() => [...window.__cfMissing]") == []
    page.reload()  # the choice is kept, and now only French is fetched
    expect(page.get_by_label(fr["language"])).to_have_value("fr")
    assert _words_fetched(page) == [("app", "fr")]


def test_the_helper_app_brings_its_own_words_in_each_language(new_context):
    de, it = words()["de"], words()["it"]
    ctx = new_context(viewport=PHONE, locale="de-CH")
    ctx.add_init_script(RECORD_TEXTS)
    page = ctx.new_page()
    page.goto("/helper")
    expect(page.get_by_role("heading", level=1)).to_have_text(de["helper_title"])
    assert _words_fetched(page) == [("app", "de"), ("helper", "de")]
    page.get_by_label(de["language"]).select_option("it")
    expect(page.get_by_role("heading", level=1)).to_have_text(it["helper_title"])
    assert _words_fetched(page) == [("app", "de"), ("app", "it"), ("helper", "de"), ("helper", "it")]
    assert _keys_seen(page) == set()
    assert page.evaluate("() => [...window.__cfMissing]") == []
