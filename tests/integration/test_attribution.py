"""Attribution a partner can act on (issue 17.7) on the local stack: landing-page visits, widget
opens, click-to-call, bookings started and completed, per tenant, affiliate code and campaign;
idempotent per event id; readable by ops and by the partner (its own tenant only); in the
commission report. And a customer inside the partner's widget books the partner's booking (17.5).
Told as given / when / then."""
import uuid
from datetime import datetime, timezone

import pytest

from tests.integration.partner_fixtures import new_partner, partner_booking
from tests.stack_fixtures import booking_body, latest_code, wait_for

pytestmark = pytest.mark.integration


# ---- given / when ----------------------------------------------------------------------------------

def _row(report, affiliate, campaign):
    return next((r for r in report["by_campaign"] if (r["affiliate_code"], r["campaign"]) == (affiliate, campaign)),
                None)


def given_a_partner_with_a_campaign_hotline(api, signin) -> dict:
    return new_partner(api, signin, landing={"hotline": "+41 44 000 00 00",
                                             "campaign_hotlines": {"winter": "+41 31 111 11 11"}})


def a_beacon_event(**over) -> dict:
    return {"event_id": "ev-" + uuid.uuid4().hex, "kind": "widget_open", "affiliate_code": "shop7",
            "campaign": "winter", **over}


def given_a_widget_customer(api, stack, tid: str) -> dict:
    """A customer signed in inside the partner's widget (to the partner's tenant): her headers."""
    email = f"w-{uuid.uuid4().hex[:8]}@example.org"
    assert api.call("POST", "/v1/auth/code", {"email": email, "role": "customer", "tenant": tid})[0] == 202
    code = latest_code(stack["services"], email)
    status, tok, _ = api.call("POST", "/v1/auth/token", {"email": email, "role": "customer", "code": code, "tenant": tid})
    assert status == 200, tok
    return {"Authorization": f"Bearer {tok['token']}"}


WIDGET_ATTRIBUTION = {"affiliate_code": "shop9", "utm_source": "newsletter", "utm_campaign": "xmas", "channel": "widget"}


# ---- landing page, calls, beacon --------------------------------------------------------------------

def test_the_landing_page_of_a_campaign_shows_its_hotline_and_carries_the_campaign_into_the_booking_link(api, signin):
    # given a partner with a winter campaign hotline
    tid = given_a_partner_with_a_campaign_hotline(api, signin)["tenant_id"]
    # when the landing page is opened from shop7's winter newsletter
    resp = api.client.http.get(f"/v1/partners/{tid}/landing?aff=shop7&utm_source=news&utm_campaign=winter")
    html = resp.body.decode()
    # then it is not cached, shows the campaign's number instead of the hotline, and links the campaign on
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    assert "+41 31 111 11 11" in html and "+41 44 000 00 00" not in html
    assert "utm_campaign=winter" in html and "affiliate_code=shop7" in html
    # and without a campaign it shows the partner's hotline
    assert "+41 44 000 00 00" in api.client.http.get(f"/v1/partners/{tid}/landing").body.decode()


def test_click_to_call_is_counted_through_a_redirect_to_the_campaigns_number(api, signin):
    # given a partner with a winter campaign hotline
    tid = given_a_partner_with_a_campaign_hotline(api, signin)["tenant_id"]
    # when the page's call button is followed
    call = api.client.http.get(f"/v1/partners/{tid}/call?aff=shop7&utm_campaign=winter")
    # then it redirects to the campaign's number
    assert call.status_code == 302 and call.headers["Location"] == "tel:+41311111111"


def test_a_malformed_campaign_is_422(api, signin):
    tid = given_a_partner_with_a_campaign_hotline(api, signin)["tenant_id"]
    assert api.call("GET", f"/v1/partners/{tid}/landing?utm_campaign=bad%20one")[0] == 422


def test_a_beacon_event_counts_once_per_event_id(api, signin):
    # given a partner and a widget-open event
    tid = new_partner(api, signin)["tenant_id"]
    event = a_beacon_event()
    # when the widget sends it twice, then it counts the first time only
    assert api.call("POST", f"/v1/partners/{tid}/events", event)[1]["counted"] is True
    assert api.call("POST", f"/v1/partners/{tid}/events", event)[1]["counted"] is False


def test_a_beacon_event_of_an_unknown_kind_or_partner_is_refused(api, signin):
    tid = new_partner(api, signin)["tenant_id"]
    # when the kind is not one the beacon counts, then 422; when the partner does not exist, then 404
    assert api.call("POST", f"/v1/partners/{tid}/events", a_beacon_event(kind="page_view"))[0] == 422
    assert api.call("POST", "/v1/partners/no-such-partner/events", a_beacon_event())[0] == 404


def test_the_attribution_report_counts_visits_opens_and_calls_per_campaign(api, signin):
    # given a campaign visit, a plain visit, a call click and a widget open
    p = given_a_partner_with_a_campaign_hotline(api, signin)
    tid = p["tenant_id"]
    api.client.http.get(f"/v1/partners/{tid}/landing?aff=shop7&utm_source=news&utm_campaign=winter")
    api.client.http.get(f"/v1/partners/{tid}/landing")
    api.client.http.get(f"/v1/partners/{tid}/call?aff=shop7&utm_campaign=winter")
    assert api.call("POST", f"/v1/partners/{tid}/events", a_beacon_event())[1]["counted"] is True
    # when ops reads the attribution
    status, report, _ = api.call("GET", f"/v1/tenants/{tid}/attribution", headers=p["ops"])
    # then each is counted once, on its campaign's row
    assert status == 200, report
    assert {k: v for k, v in _row(report, "shop7", "winter").items() if k not in ("affiliate_code", "campaign")} == {
        "landing_visits": 1, "widget_opens": 1, "bookings_started": 0, "bookings_completed": 0, "call_clicks": 1}
    assert _row(report, None, None)["landing_visits"] == 1
    assert report["totals"]["landing_visits"] == 2


# ---- bookings --------------------------------------------------------------------------------------

def test_a_partners_booking_is_counted_started_and_completed_and_in_the_commission_report(api, signin, pump):
    from chalicelib.domain.actors import Actor
    from chalicelib.models.bookings import Booking
    from chalicelib.models.offers import Offer
    from chalicelib.services.bookings import accept_offer, helper_step

    # given a partner's booking from shop-a's spring campaign, offered
    p = new_partner(api, signin, environment="live")
    b = api.call("POST", "/v1/partner/bookings", partner_booking(affiliate_code="shop-a", campaign="spring"), p["h"])[1]
    bid = b["booking_id"]
    wait_for(lambda: Booking.get(bid, consistent_read=True).state == "offered", what="the booking offered")
    # when a helper accepts, starts and completes it
    helper = Actor("helper", next(o.helper_id for o in Offer.query(bid, consistent_read=True) if o.state == "open"),
                   "crowdfix")
    accept_offer(helper, bid)
    helper_step(helper, bid, "start")
    helper_step(helper, bid, "complete", minutes_worked=60)

    # then the bookings stream (the count_attribution effect) counts it started and completed, once each
    def counted():
        status, mine, _ = api.call("GET", f"/v1/tenants/{p['tenant_id']}/attribution", headers=p["h"])
        assert status == 200, mine
        row = _row(mine, "shop-a", "spring")
        return row if row and row["bookings_completed"] == 1 else None
    row = wait_for(counted, what="the completed booking counted")
    assert (row["bookings_started"], row["bookings_completed"]) == (1, 1)
    # and the month's commission report carries the same row
    period = datetime.now(timezone.utc).strftime("%Y-%m")
    status, report, _ = api.call("GET", f"/v1/tenants/{p['tenant_id']}/commission?period={period}", headers=p["h"])
    assert status == 200 and _row(report["attribution"], "shop-a", "spring")["bookings_completed"] == 1


def test_a_partners_attribution_is_not_readable_by_another_partner_or_a_customer(api, signin):
    # given two partners
    p = new_partner(api, signin, environment="live")
    other = new_partner(api, signin, environment="live")
    # when the other partner's key, or a customer, reads the first one's attribution
    # then it does not exist for the partner and is refused to the customer
    assert api.call("GET", f"/v1/tenants/{p['tenant_id']}/attribution", headers=other["h"])[0] == 404
    assert api.call("GET", f"/v1/tenants/{p['tenant_id']}/attribution", headers=signin())[0] in (401, 403)


def test_a_customer_signs_in_inside_the_partners_widget_to_the_partners_tenant(stack, api, signin):
    # given a card partner
    tid = new_partner(api, signin, environment="live", billing_model="card")["tenant_id"]
    # when a customer signs in inside its widget
    me = given_a_widget_customer(api, stack, tid)
    # then she belongs to the partner's tenant; and an unknown tenant is 404
    assert api.call("GET", "/v1/me", headers=me)[1]["tenant_id"] == tid
    assert api.call("POST", "/v1/auth/code", {"email": "x-" + uuid.uuid4().hex[:6] + "@example.org",
                                              "role": "customer", "tenant": "no-such-one"})[0] == 404


def test_a_customer_in_the_partners_widget_books_the_partners_booking(stack, api, signin, pump):
    from chalicelib.models.bookings import Booking
    from chalicelib.store.attribution import attribution

    # given a customer signed in inside a card partner's widget
    p = new_partner(api, signin, environment="live", billing_model="card")
    tid = p["tenant_id"]
    me = given_a_widget_customer(api, stack, tid)
    # when she books from shop9's xmas newsletter
    status, booking, _ = api.call("POST", "/v1/bookings", booking_body(attribution=WIDGET_ATTRIBUTION), me)
    assert status == 201, booking
    # then the booking is the partner's, attributed to the affiliate and campaign
    stored = Booking.get(booking["booking_id"], consistent_read=True)
    assert (stored.tenant_id, stored.partner_id, stored.affiliate_code, stored.campaign) == (tid, tid, "shop9", "xmas")
    link = wait_for(lambda: attribution().booking_link(booking["booking_id"]), what="the booking's attribution")
    assert (link.utm_source, link.channel, link.affiliate, link.campaign) == ("newsletter", "widget", "shop9", "xmas")
    # and it is counted started, and the partner sees it with its key
    report = api.call("GET", f"/v1/tenants/{tid}/attribution", headers=p["h"])[1]
    assert _row(report, "shop9", "xmas")["bookings_started"] == 1
    assert api.call("GET", f"/v1/partner/bookings/{booking['booking_id']}", headers=p["h"])[0] == 200


def test_a_redelivered_start_counts_nothing_twice(stack, api, signin, pump):
    from chalicelib.services.attribution import count_effect
    from chalicelib.store.attribution import attribution

    # given a widget booking counted started once
    p = new_partner(api, signin, environment="live", billing_model="card")
    tid = p["tenant_id"]
    booking = api.call("POST", "/v1/bookings", booking_body(attribution=WIDGET_ATTRIBUTION),
                       given_a_widget_customer(api, stack, tid))[1]
    wait_for(lambda: attribution().booking_link(booking["booking_id"]), what="the booking's attribution")
    started = lambda: _row(api.call("GET", f"/v1/tenants/{tid}/attribution", headers=p["h"])[1], "shop9",  # noqa: E731
                           "xmas")["bookings_started"]
    wait_for(lambda: started() == 1, what="the start counted")
    assert pump.wait_idle(timeout=30)
    # when its stream record's effect runs again
    count_effect({"tenant_id": tid, "booking_id": booking["booking_id"], "affiliate_code": "shop9", "campaign": "xmas"},
                 {"to": "awaiting_payment"}, None)
    # then it is still counted once
    assert started() == 1


def test_the_beacon_takes_sixty_events_a_minute_from_one_source_then_answers_429(api, signin, monkeypatch):
    from datetime import datetime, timezone

    from chalicelib.services import attribution as svc

    # given one fixed minute (so the window does not turn over during the test)
    minute = datetime(2026, 12, 2, 10, 0, 30, tzinfo=timezone.utc)
    real = svc.record_page_event
    monkeypatch.setattr(svc, "record_page_event", lambda t, e, source=None, now=None: real(t, e, source, minute))
    p = new_partner(api, signin)
    tid = p["tenant_id"]

    def send():
        event = {"event_id": "ev-" + uuid.uuid4().hex, "kind": "widget_open", "campaign": "rate"}
        return api.call("POST", f"/v1/partners/{tid}/events", event)

    # when one page sends sixty events, each counts; the sixty-first is refused with a problem body
    assert [send()[0] for _ in range(svc.BEACON_PER_MINUTE)] == [200] * svc.BEACON_PER_MINUTE
    status, problem, headers = send()
    assert status == 429 and problem["type"].endswith("/rate-limited") and headers["Retry-After"] == "30", problem
    # and the refused one was not counted
    report = api.call("GET", f"/v1/tenants/{tid}/attribution", headers=p["h"])[1]
    assert report["totals"]["widget_opens"] == svc.BEACON_PER_MINUTE
