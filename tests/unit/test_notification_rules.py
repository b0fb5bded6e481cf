"""The routing table, the texts in four languages, quiet hours and arrival estimates (pure)."""
from datetime import datetime, timezone

import pytest

from chalicelib.domain import notification_texts as texts
from chalicelib.domain import notifications as n
from chalicelib.domain.booking_states import TRANSITIONS
from chalicelib.domain.notification_schemas import push_endpoint_allowed

TENANT = {"name": "Swisscom Help", "branding": {"primary": "#123456", "logo_url": None}}
CTX = {"ref": "ABC123", "category": "Drucker", "area": "8001 Zürich", "expires": "14:05",
       "accept_url": "http://x/helper/offers/b_1", "helper_first_name": "Anna", "arrival": "14:30",
       "rating": "Rated 4.8 out of 5 (12 reviews)", "photo": "", "receipt": "Time worked: 50 minutes",
       "review_url": "http://x/r", "booking_id": "b_1", "rounds": 3, "amount": "CHF 42.00",
       "url": "http://x/bookings/b_1"}


def test_every_notifying_transition_maps_to_routed_events():
    for name, t in TRANSITIONS.items():
        if "notify" in t.effects:
            assert name in n.TRANSITION_EVENTS, name
    for events in n.TRANSITION_EVENTS.values():
        for ev in events:
            assert ev in n.ROUTES


def test_routing_table_has_the_issue_rows():
    rows = {(r["event"], r["recipient"]): r["channels"] for r in n.routing_table()}
    assert rows[("offer", "helper")][0] == "push"
    assert "email" in rows[("booking_completed", "customer")]
    assert ("no_helper_found", "ops") in rows and ("payout_sent", "helper") in rows
    assert ("review_request", "customer") in rows


@pytest.mark.parametrize("event,role", [(r["event"], r["recipient"]) for r in n.routing_table()])
@pytest.mark.parametrize("lang", ["de", "en", "fr", "it"])
def test_every_message_exists_in_every_language_with_all_fields_filled(event, role, lang):
    out = texts.render(event, role, lang, CTX, TENANT)
    for part in (out["title"], out["text"], out["sms"], out["push"]["body"]):
        assert part and "{" not in part and "}" not in part
    assert "Swisscom Help" in out["text"] and "Swisscom Help" in out["html"]
    assert "#123456" in out["html"] and f'lang="{lang}"' in out["html"]
    assert out["text"].startswith(texts.FRAME[lang]["hello"])


def test_languages_differ_and_html_is_escaped():
    de = texts.render("helper_assigned", "customer", "de", {**CTX, "helper_first_name": "<b>Anna</b>"}, TENANT)
    fr = texts.render("helper_assigned", "customer", "fr", CTX, TENANT)
    assert "kommt voraussichtlich um 14:30" in de["text"] and "arrive vers 14:30" in fr["text"]
    assert "<b>Anna</b>" not in de["html"] and "&lt;b&gt;Anna&lt;/b&gt;" in de["html"]


def test_unknown_language_falls_back_to_german():
    assert texts.pick_language(None, "xx", "it") == "it"
    assert texts.pick_language(None) == "de"


@pytest.mark.parametrize("utc_hour,quiet", [(19, False), (20, True), (23, True), (4, True), (5, True), (6, False), (12, False)])
def test_default_quiet_hours_are_21_to_7_in_zurich(utc_hour, quiet):
    # January: Zurich is UTC+1
    assert n.in_quiet_hours(datetime(2026, 1, 15, utc_hour, 30, tzinfo=timezone.utc)) is quiet


def test_quiet_hours_without_wrap_and_empty_window():
    q = {"start": "12:00", "end": "13:00", "tz": "UTC"}
    assert n.in_quiet_hours(datetime(2026, 1, 1, 12, 30, tzinfo=timezone.utc), q)
    assert not n.in_quiet_hours(datetime(2026, 1, 1, 13, 0, tzinfo=timezone.utc), q)
    assert not n.in_quiet_hours(datetime(2026, 1, 1, 3, 0, tzinfo=timezone.utc), {"start": "05:00", "end": "05:00"})


def test_expected_arrival():
    now = datetime(2026, 1, 1, 10, 0, 0, tzinfo=timezone.utc)
    # 5 km at 25 km/h = 12 min + 10 min = 22 min -> rounded up to 10:25
    assert n.expected_arrival(now, mode="onsite", wanted={"asap": True}, distance_km=5.0) == \
        datetime(2026, 1, 1, 10, 25, tzinfo=timezone.utc)
    assert n.expected_arrival(now, mode="remote", wanted=None, distance_km=None).minute == 15
    booked = n.expected_arrival(now, mode="onsite", wanted={"asap": False, "at": "2026-01-02T09:00:00Z"},
                                distance_km=3)
    assert booked == datetime(2026, 1, 2, 9, 0, tzinfo=timezone.utc)


def test_money_is_formatted_from_minor_units():
    assert n.format_money(4250, "CHF") == "CHF 42.50"
    assert n.format_money(-5, "EUR") == "EUR -0.05"


def test_push_endpoints_only_of_known_push_services():
    assert push_endpoint_allowed("https://fcm.googleapis.com/fcm/send/abc", "prod")
    assert push_endpoint_allowed("https://web.push.apple.com/QGx", "prod")
    assert not push_endpoint_allowed("https://evil.example/fcm.googleapis.com", "prod")
    assert not push_endpoint_allowed("https://fcm.googleapis.com.evil.example/x", "prod")
    assert not push_endpoint_allowed("http://127.0.0.1:9/push/x", "prod")
    assert push_endpoint_allowed("http://127.0.0.1:9/push/x", "local")
    assert not push_endpoint_allowed("http://10.0.0.1/push/x", "local")
