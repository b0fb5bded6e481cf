"""Pure checks of the customer's journey (no services): every link the server builds is a screen
the web app's router knows; the typical total is the settlement's line items; the why-this-helper
codes; every word of the app exists in all four languages."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from chalicelib.domain import links, notification_texts as texts, pricing, ranking
from chalicelib.domain.policy import PLATFORM_DEFAULTS
from tests.journey.words import words

ROOT = Path(__file__).resolve().parents[2]
BID = "b_01JOURNEY0000000000000001"
NODE = shutil.which("node")


def _js_router(paths: list[str]) -> list:
    """Run the web app's own router (web/src/routes.js) on ``paths`` in node."""
    if not NODE:
        pytest.fail("node is missing: run `bash scripts/bootstrap.sh` (the web app needs it)")
    src = (ROOT / "web" / "src" / "routes.js").read_text()
    table = (ROOT / "chalicelib" / "domain" / "app_routes.json").read_text()
    src, n = re.subn(r'^import table from "[^"]+";', "const table = " + table.replace("$", "$$") + ";", src, flags=re.M)
    assert n == 1, "routes.js must take its table from app_routes.json"
    script = src + f"\nconsole.log(JSON.stringify({json.dumps(paths)}.map((p) => matchRoute(p))));\n"
    out = subprocess.run([NODE, "--input-type=module", "-e", script], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_every_link_the_server_builds_opens_that_screen_in_the_app():
    base = "https://help.example.ch"
    built = {"booking": links.url(base, "booking", booking_id=BID),
             "review": links.url(base, "review", booking_id=BID, fragment="token=abc.def"),
             "helper_offer": links.url(base, "helper_offer", booking_id=BID),
             "receipt": links.url(base, "receipt", booking_id=BID),
             "bookings": links.url(base, "bookings"), "help": links.url(base, "help"),
             "privacy": links.url(base, "privacy"), "terms": links.url(base, "terms")}
    paths = [re.sub(r"^https://[^/]+", "", u).split("#")[0] for u in built.values()]
    got = _js_router(paths)
    for (name, _), match in zip(built.items(), got):
        assert match is not None and match["name"] == name, (name, match)
        if "{booking_id}" in links.table()["routes"][name]:
            assert match["params"]["booking_id"] == BID
    # links already sent with the old paths still land on the same screens
    old = _js_router([f"/bookings/{BID}", f"/bookings/{BID}/review"])
    assert [m["name"] for m in old] == ["booking", "review"]
    assert links.match(f"/bookings/{BID}") == ("booking", {"booking_id": BID})
    assert _js_router(["/nothing-here", "/booking/not-an-id"]) == [None, None]


def test_links_refuse_a_parameter_that_is_not_an_id():
    with pytest.raises(ValueError):
        links.path("booking", booking_id="../etc")


def test_notification_links_use_the_route_table():
    from chalicelib.services.notification_render import context as _context

    msg = {"event_type": "review_request", "booking_id": BID, "recipient": {"role": "customer", "id": "c_1"},
           "data": {"review_url": f"http://old.example/review/{BID}#token=tok.en-1"}}
    ctx = _context(msg, "fr", "crowdfix")
    base = ctx["url"].split("/booking/")[0]
    assert ctx["url"] == links.url(base, "booking", booking_id=BID)
    assert ctx["review_url"] == links.url(base, "review", booking_id=BID, fragment="token=tok.en-1")
    assert ctx["accept_url"] == links.url(base, "helper_offer", booking_id=BID)



@pytest.mark.parametrize("lang", ["de", "fr"])
def test_the_receipt_email_links_the_receipt_screen(lang):
    from chalicelib.services.notification_render import context as _context

    item = {"code": "time", "quantity": 1, "unit_amount": 6000, "amount": 6000, "currency": "CHF"}
    msg = {"event_type": "payment_receipt", "booking_id": BID, "recipient": {"role": "customer", "id": "c_1"},
           "data": {"booking_id": BID, "currency": "CHF", "line_items": [item], "total": 6000, "authorised": 25000,
                    "released": 19000}}
    ctx = _context(msg, lang, "crowdfix")
    base = ctx["url"].split("/booking/")[0]
    assert ctx["url"] == links.url(base, "receipt", booking_id=BID)
    out = texts.render("payment_receipt", "customer", lang, ctx, {"name": "crowdfix"})
    assert ctx["url"] in out["text"] and ctx["url"] in out["html"] and ctx["url"] in out["sms"]
    got = _js_router([links.path("receipt", booking_id=BID)])
    assert got == [{"name": "receipt", "params": {"booking_id": BID}}]

@pytest.mark.parametrize("lang,subject", [("de", "Wie hat Anna geholfen?"), ("fr", "Comment s'est passée votre visite avec Anna ?"),
                                          ("it", "Com'è andata la visita con Anna?"), ("en", "How did Anna help?")])
def test_review_request_names_the_helper_in_her_language(lang, subject):
    out = texts.render("review_request", "customer", lang, {"helper_first_name": "Anna", "review_url": "U"}, {"name": "crowdfix"})
    assert out["title"] == subject


@pytest.mark.parametrize("mode,travel", [("onsite", PLATFORM_DEFAULTS["travel_fee_minor"]), ("remote", 0)])
def test_typical_total_is_what_settlement_would_charge_for_that_time(mode, travel):
    rate, minutes = 7200, 75
    got = pricing.typical_total(hourly_rate=rate, minutes=minutes, mode=mode, currency="CHF", policy=PLATFORM_DEFAULTS)
    items = pricing.price_line_items(minutes_worked=minutes, hourly_rate=rate, mode=mode, currency="CHF",
                                     policy=PLATFORM_DEFAULTS)
    assert got["amount"] == pricing.total_of(items) and got["travel"] == travel
    assert got["amount"] == 5 * 1800 + travel  # 75 min = 5 quarter hours at CHF 18.00
    assert got["line_items"] == [i.as_dict() for i in items]


def test_why_this_helper_is_codes_with_parameters_not_english():
    codes = ranking.reason_codes({"distance_km": 3.5, "skill_level": 3, "rating_count": 31, "rating_average": 4.8},
                                 category="printer", mode="onsite", on_call=True)
    assert codes == [{"code": "km", "km": 3.5}, {"code": "skill", "level": 3, "category": "printer"},
                     {"code": "rated", "avg": 4.8, "count": 31}, {"code": "on_call"}]
    remote = ranking.reason_codes({"skill_level": 1, "rating_count": 0}, category="tv", mode="remote", languages=["fr"])
    assert remote == [{"code": "remote", "languages": ["fr"]}, {"code": "skill", "level": 1, "category": "tv"}, {"code": "new"}]


def test_qualifications_become_codes_when_they_follow_the_pattern():
    from chalicelib.services.matching import _qualification_code

    assert _qualification_code("printer level 3") == {"category": "printer", "level": 3}
    assert _qualification_code("internet wifi level 2") == {"category": "internet_wifi", "level": 2}
    assert _qualification_code("Swisscom certified") == {"text": "Swisscom certified"}


def test_every_word_of_the_app_exists_in_all_four_languages():
    if not NODE:
        pytest.fail("node is missing")
    W = words()  # the app's own texts (customer and helper), read by node from web/src
    missing = {lang: sorted(k for k in W["en"] if W[lang].get(k) is None) for lang in ("de", "fr", "it")}
    assert missing == {"de": [], "fr": [], "it": []}


def _sample_ctx(lang: str) -> dict:
    from chalicelib.services.notification_render import context as _context

    data = {"helper_first_name": "Anna", "rating_avg": 4.5, "rating_count": 2, "photo_url": "https://x.example/p.jpg",
            "arrival": "2030-01-01T10:00:00Z", "expires_at": "2030-01-01T10:05:00Z", "minutes_worked": 45,
            "line_items": [{"code": "time", "amount": 4500, "currency": "CHF", "quantity": 3, "unit_amount": 1500}],
            "price_cap": {"amount": 25000, "currency": "CHF"}, "receipt_follows": True, "amount": 2000, "currency": "CHF",
            "new_limit": 27000, "from_limit": 25000, "rounds": 3, "reason": "Neues Kabel", "category": "printer",
            "area": "8053 Zürich", "cancel_fee": {"amount": 2000, "currency": "CHF"},
            "review_url": f"https://h.example/review/{BID}#token=t", "total": 7000, "released": 18000}
    return {"data": data, "ctx": lambda event, role: _context(
        {"event_type": event, "booking_id": BID, "recipient": {"role": role, "id": "x"}, "data": data}, lang, "crowdfix")}


def test_every_message_in_every_language_has_no_english_in_it():
    for event, by_lang in texts.TEXTS.items():
        name, _, role = event.partition(":")
        role = role or "customer"
        assert set(by_lang) == set(texts.LANGS), event
        en = texts.render(name, role, "en", _sample_ctx("en")["ctx"](name, role), {"name": "crowdfix"})
        english = [s.strip() for s in re.split(r"[.\n:!?]", en["text"]) if len(s.strip()) > 14]
        for lang in ("de", "fr", "it"):
            out = texts.render(name, role, lang, _sample_ctx(lang)["ctx"](name, role), {"name": "crowdfix"})
            leaks = [s for s in english if s in out["text"] and "/" not in s]
            assert leaks == [], (event, lang, leaks)
    fr = _sample_ctx("fr")["ctx"]("helper_assigned", "customer")
    assert "4,5 sur 5" in fr["rating"]  # her number format in e-mails too
