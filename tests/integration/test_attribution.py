"""Attribution a partner can act on (issue 17.7) on the local stack: landing-page visits, widget
opens, click-to-call, bookings started and completed, per tenant, affiliate code and campaign;
idempotent per event id; readable by ops and by the partner (its own tenant only); in the
commission report. And a customer inside the partner's widget books the partner's booking (17.5)."""
import uuid
from datetime import datetime, timezone

import pytest

from tests.integration.partner_fixtures import new_partner, partner_booking
from tests.stack_fixtures import booking_body, latest_code, wait_for

pytestmark = pytest.mark.integration


def _row(report, affiliate, campaign):
    return next((r for r in report["by_campaign"] if (r["affiliate_code"], r["campaign"]) == (affiliate, campaign)),
                None)


def test_landing_visits_calls_and_beacons_count_once_per_event_per_campaign(api, signin):
    p = new_partner(api, signin, landing={"hotline": "+41 44 000 00 00",
                                          "campaign_hotlines": {"winter": "+41 31 111 11 11"}})
    tid = p["tenant_id"]
    resp = api.client.http.get(f"/v1/partners/{tid}/landing?aff=shop7&utm_source=news&utm_campaign=winter")
    html = resp.body.decode()
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    # the campaign's local number, dialled through the counting redirect; the campaign into the booking link
    assert "+41 31 111 11 11" in html and "+41 44 000 00 00" not in html
    assert "utm_campaign=winter" in html and "affiliate_code=shop7" in html
    assert "+41 44 000 00 00" in api.client.http.get(f"/v1/partners/{tid}/landing").body.decode()
    call = api.client.http.get(f"/v1/partners/{tid}/call?aff=shop7&utm_campaign=winter")
    assert call.status_code == 302 and call.headers["Location"] == "tel:+41311111111"
    assert api.call("GET", f"/v1/partners/{tid}/landing?utm_campaign=bad%20one")[0] == 422
    # the widget's beacon: one event id counts once
    event = {"event_id": "ev-" + uuid.uuid4().hex, "kind": "widget_open", "affiliate_code": "shop7", "campaign": "winter"}
    assert api.call("POST", f"/v1/partners/{tid}/events", event)[1]["counted"] is True
    assert api.call("POST", f"/v1/partners/{tid}/events", event)[1]["counted"] is False
    assert api.call("POST", f"/v1/partners/{tid}/events", {**event, "kind": "page_view"})[0] == 422
    assert api.call("POST", "/v1/partners/no-such-partner/events", event)[0] == 404
    status, report, _ = api.call("GET", f"/v1/tenants/{tid}/attribution", headers=p["ops"])
    assert status == 200, report
    assert {k: v for k, v in _row(report, "shop7", "winter").items() if k not in ("affiliate_code", "campaign")} == {
        "landing_visits": 1, "widget_opens": 1, "bookings_started": 0, "bookings_completed": 0, "call_clicks": 1}
    assert _row(report, None, None)["landing_visits"] == 1
    assert report["totals"]["landing_visits"] == 2


def test_partner_reads_only_its_own_attribution_and_bookings_count_started_and_completed(api, signin, pump):
    from chalicelib.domain.actors import Actor
    from chalicelib.models.bookings import Booking
    from chalicelib.models.offers import Offer
    from chalicelib.services.bookings import accept_offer, helper_step

    p = new_partner(api, signin, environment="live")
    other = new_partner(api, signin, environment="live")
    b = api.call("POST", "/v1/partner/bookings", partner_booking(affiliate_code="shop-a", campaign="spring"), p["h"])[1]
    bid = b["booking_id"]
    wait_for(lambda: Booking.get(bid, consistent_read=True).state == "offered")
    helper = Actor("helper", next(o.helper_id for o in Offer.query(bid, consistent_read=True) if o.state == "open"),
                   "crowdfix")
    accept_offer(helper, bid)
    helper_step(helper, bid, "start")
    helper_step(helper, bid, "complete", minutes_worked=60)
    # counted by the bookings stream (the count_attribution effect), once each
    def counted():
        status, mine, _ = api.call("GET", f"/v1/tenants/{p['tenant_id']}/attribution", headers=p["h"])
        assert status == 200, mine
        row = _row(mine, "shop-a", "spring")
        return row if row and row["bookings_completed"] == 1 else None
    row = wait_for(counted, what="the completed booking counted")
    assert (row["bookings_started"], row["bookings_completed"]) == (1, 1)
    # another partner's key sees nothing of it; a customer may not read it at all
    assert api.call("GET", f"/v1/tenants/{p['tenant_id']}/attribution", headers=other["h"])[0] == 404
    assert api.call("GET", f"/v1/tenants/{p['tenant_id']}/attribution", headers=signin())[0] in (401, 403)
    period = datetime.now(timezone.utc).strftime("%Y-%m")
    status, report, _ = api.call("GET", f"/v1/tenants/{p['tenant_id']}/commission?period={period}", headers=p["h"])
    assert status == 200 and _row(report["attribution"], "shop-a", "spring")["bookings_completed"] == 1


def test_a_customer_in_the_partners_widget_books_the_partners_booking(stack, api, signin, pump):
    p = new_partner(api, signin, environment="live", billing_model="card")
    tid, email = p["tenant_id"], f"w-{uuid.uuid4().hex[:8]}@example.org"
    assert api.call("POST", "/v1/auth/code", {"email": email, "role": "customer", "tenant": tid})[0] == 202
    code = latest_code(stack["services"], email)
    status, tok, _ = api.call("POST", "/v1/auth/token", {"email": email, "role": "customer", "code": code, "tenant": tid})
    assert status == 200, tok
    me = {"Authorization": f"Bearer {tok['token']}"}
    assert api.call("GET", "/v1/me", headers=me)[1]["tenant_id"] == tid
    assert api.call("POST", "/v1/auth/code", {"email": email, "role": "customer", "tenant": "no-such-one"})[0] == 404
    status, booking, _ = api.call("POST", "/v1/bookings", booking_body(attribution={
        "affiliate_code": "shop9", "utm_source": "newsletter", "utm_campaign": "xmas", "channel": "widget"}), me)
    assert status == 201, booking
    from chalicelib.models.bookings import Booking
    from chalicelib.store.attribution import attribution
    stored = Booking.get(booking["booking_id"], consistent_read=True)
    assert (stored.tenant_id, stored.partner_id, stored.affiliate_code, stored.campaign) == (tid, tid, "shop9", "xmas")
    link = wait_for(lambda: attribution().booking_link(booking["booking_id"]), what="the booking's attribution")
    assert (link.utm_source, link.channel, link.affiliate, link.campaign) == ("newsletter", "widget", "shop9", "xmas")
    report = api.call("GET", f"/v1/tenants/{tid}/attribution", headers=p["h"])[1]
    assert _row(report, "shop9", "xmas")["bookings_started"] == 1
    # a redelivered stream record counts nothing twice
    from chalicelib.services.attribution import count_effect
    count_effect({"tenant_id": tid, "booking_id": booking["booking_id"], "affiliate_code": "shop9", "campaign": "xmas"},
                 {"to": "awaiting_payment"}, None)
    report = api.call("GET", f"/v1/tenants/{tid}/attribution", headers=p["h"])[1]
    assert _row(report, "shop9", "xmas")["bookings_started"] == 1
    # the partner sees its customer's booking
    assert api.call("GET", f"/v1/partner/bookings/{booking['booking_id']}", headers=p["h"])[0] == 200


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
