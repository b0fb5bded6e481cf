"""Issue 16, "who may set what": every booking keeps the commercial terms in force when it was made,
and the helper's hourly rate is fixed when they accept. A later change by operations (fees, shares,
call-out fee) or by the helper (their rate) never re-values an existing or completed booking.

On the local stack: DynamoDB Local, localstripe with the Connect stand-in, the pump settling."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.integration.partner_fixtures import new_partner, partner_booking
from tests.integration.test_payments import (SPOT, book_and_authorise, make_helper, onboard, payment,  # noqa: F401
                                             run_job, stripe_local)
from tests.stack_fixtures import wait_for

OLD = {"platform_fee_percent": 15, "partner_share_percent": 10, "call_out_fee_minor": 2500, "hourly_rate_minor": 6000}
NEW = {"platform_fee_percent": 20, "partner_share_percent": 30, "call_out_fee_minor": 4000, "hourly_rate_minor": 6000}


# --- the rules, alone ----------------------------------------------------------------------------

def test_the_terms_copied_on_a_booking_win_over_the_current_ones():
    from chalicelib.domain.partners import booking_terms
    from chalicelib.domain.policy import TERMS_KEYS, effective, terms_in_force

    copied = booking_terms({"pricing": OLD})
    assert (copied["platform_fee_bps"], copied["partner_share_bps"], copied["travel_fee_minor"]) == (1500, 1000, 2500)
    assert copied["pricing"]["partner_share_percent"] == 10 and set(TERMS_KEYS) <= set(copied)
    now = effective({"pricing": NEW})
    assert terms_in_force(copied, now)["partner_share_bps"] == 1000
    assert terms_in_force(copied, now)["platform_fee_bps"] == 1500
    # a booking made before terms were copied has none: it is settled by the current terms
    assert terms_in_force(None, now)["partner_share_bps"] == 3000


def test_the_tenants_pricing_is_what_settlement_divides_by():
    from chalicelib.domain.policy import PLATFORM_DEFAULTS, effective

    assert effective({})["partner_share_bps"] == PLATFORM_DEFAULTS["partner_share_bps"]
    pol = effective({"pricing": NEW})
    assert (pol["platform_fee_bps"], pol["partner_share_bps"], pol["travel_fee_minor"]) == (2000, 3000, 4000)


# --- on the local stack ----------------------------------------------------------------------------

def _partner_booking_paid(api, p, hid, cap=20000):
    """A live partner booking with the helper preferred, its card hold made by the customer."""
    from chalicelib.domain.actors import Actor
    from chalicelib.services.payments import authorise_booking

    status, b, _ = api.call("POST", "/v1/partner/bookings", partner_booking(
        location=SPOT, preferred_helper_id=hid, price_cap={"amount": cap, "currency": "CHF"}), p["h"])
    assert status == 201, b
    customer = Actor("customer", b["customer_id"], p["tenant_id"])
    pay = authorise_booking(customer, b["booking_id"], "pm_card_visa", False)
    assert pay.status == "authorised"
    return b["booking_id"]


def _take_and_complete(bid, hid, minutes=60, before_completing=None):
    from chalicelib.domain.actors import Actor
    from chalicelib.models.bookings import Booking
    from chalicelib.services.bookings import accept_offer, helper_step

    helper = Actor("helper", hid, "crowdfix")
    wait_for(lambda: Booking.get(bid, consistent_read=True).state == "offered")
    accept_offer(helper, bid)
    helper_step(helper, bid, "start")
    if before_completing:
        before_completing()
    helper_step(helper, bid, "complete", minutes_worked=minutes)
    wait_for(lambda: "payout" in (payment(bid).steps.as_dict() or {}), timeout=60, what=f"{bid} settled")


def _division(bid):
    from chalicelib.domain.ledger import booking_summary
    from chalicelib.services.payments import booking_movements

    s = booking_summary(booking_movements(bid))
    return s["captured"], s["platform_fee"], s["partner_share"], s["helper_earning"]


@pytest.mark.integration
def test_a_change_of_terms_never_revalues_a_booking_made_before_it(api, signin, pump, stripe_local):
    hid, email = make_helper(rate=6000)
    onboard(api, signin, stripe_local, email)
    p = new_partner(api, signin, environment="live", pricing=OLD)
    tid, ops = p["tenant_id"], p["ops"]

    # given a booking made under the old terms and taken by the helper
    before = _partner_booking_paid(api, p, hid)

    # when operations change fees, share and call-out fee while the job runs
    def change_terms():
        status, tenant, _ = api.call("PATCH", f"/v1/tenants/{tid}", {"pricing": NEW}, ops)
        assert status == 200 and tenant["pricing"]["partner_share_percent"] == 30, tenant
    _take_and_complete(before, hid, before_completing=change_terms)
    # and a booking is made after the change
    after = _partner_booking_paid(api, p, hid)
    _take_and_complete(after, hid)

    # then the first is settled by the old terms: 60 min at 60.00 + call-out 25.00; 15 % fee, 10 % share
    assert _division(before) == (8500, 1275, 850, 8500 - 1275 - 850)
    # and the second by the new: call-out 40.00; 20 % fee, 30 % share
    assert _division(after) == (10000, 2000, 3000, 5000)

    # the commission report and the tenant's statement read each booking's own terms
    period = datetime.now(timezone.utc).strftime("%Y-%m")
    status, report, _ = api.call("GET", f"/v1/tenants/{tid}/commission?period={period}", headers=ops)
    assert status == 200, report
    rows = {r["booking_id"]: r for r in report["bookings"]}
    assert (rows[before]["gross"], rows[before]["commission"]) == (8500, 850)
    assert (rows[after]["gross"], rows[after]["commission"]) == (10000, 3000)
    assert report["totals"]["commission"] == 3850
    status, statement, _ = api.call("GET", f"/v1/tenants/{tid}/statement", headers=ops)
    assert status == 200 and statement["totals"]["CHF"] == {"partner_share": 3850, "platform_fee": 3275}, statement

    # a later change again leaves both as they are
    assert api.call("PATCH", f"/v1/tenants/{tid}", {"pricing": OLD}, ops)[0] == 200
    report = api.call("GET", f"/v1/tenants/{tid}/commission?period={period}", headers=ops)[1]
    assert report["totals"]["commission"] == 3850 and report["partner_share_percent"] == 10


@pytest.mark.integration
def test_a_booking_made_right_after_a_change_in_another_container_takes_the_new_terms(api, signin):
    """Tenants are cached per container for a minute; the terms a booking copies are read fresh."""
    from chalicelib.models.bookings import Booking
    from chalicelib.models.tenants import Tenant
    from chalicelib.services.tenants import get_tenant

    p = new_partner(api, signin, environment="live", pricing=OLD)
    tid = p["tenant_id"]
    # given this container has the tenant cached with the old terms
    assert get_tenant(tid).settings.as_dict()["pricing"]["partner_share_percent"] == 10
    # when another container (here: a direct write) changes the terms
    tenant = Tenant.get(tid, consistent_read=True)
    settings = tenant.settings.as_dict()
    tenant.update(actions=[Tenant.settings.set({**settings, "pricing": {**settings["pricing"], **NEW}})])
    # then the next booking copies the new ones, although the cache was still warm
    status, b, _ = api.call("POST", "/v1/partner/bookings", partner_booking(location=SPOT), p["h"])
    assert status == 201, b
    terms = Booking.get(b["booking_id"], consistent_read=True).terms.as_dict()
    assert (terms["partner_share_bps"], terms["platform_fee_bps"], terms["travel_fee_minor"]) == (3000, 2000, 4000)


@pytest.mark.integration
def test_the_helpers_rate_is_fixed_when_they_accept(api, signin, pump, stripe_local):
    from chalicelib.models.bookings import Booking

    hid, email = make_helper(rate=6000)
    helper, _ = onboard(api, signin, stripe_local, email)
    # given a job accepted at CHF 60.00 an hour with a CHF 250.00 hold
    customer, bid, status, pay = book_and_authorise(api, signin, hid, cap=25000)
    assert status == 201 and pay["authorised"] == 25000, pay
    run_job(api, bid, customer, helper)
    assert int(Booking.get(bid, consistent_read=True).hourly_rate) == 6000

    # when the helper raises their rate to CHF 500.00 before completing
    status, profile, _ = api.call("PUT", "/v1/helper/profile", {"hourly_rate": 50000}, helper)
    assert status == 200 and profile["hourly_rate"]["amount"] == 50000, profile
    status, done, _ = api.call("POST", f"/v1/bookings/{bid}/complete", {"minutes_worked": 60}, helper)
    assert status == 200, done
    wait_for(lambda: "payout" in (payment(bid).steps.as_dict() or {}), timeout=60, what="settled")

    # then the job is priced at the accepted rate: CHF 85.00 captured, not the whole CHF 250.00 hold
    view = api.call("GET", f"/v1/bookings/{bid}/payment", headers=customer)[1]
    assert view["captured"] == 6000 + 2500 and view["line_items"][0]["unit_amount"] == 1500, view
    # and the helper's earnings list counts it at that rate too
    earnings = api.call("GET", "/v1/helper/earnings", headers=helper)[1]
    row = next(r for r in earnings["items"] if r["booking_id"] == bid)
    assert row["amount"] == 6000, earnings
    # a job accepted after the change is priced at the new rate
    customer, bid2, status, _ = book_and_authorise(api, signin, hid, cap=60000)
    run_job(api, bid2, customer, helper)
    assert int(Booking.get(bid2, consistent_read=True).hourly_rate) == 50000
