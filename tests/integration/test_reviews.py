"""Reviews and quality on the real local stack: review link by e-mail, aggregation by the reviews
stream through the pump (atomic, replay-proof, edits move the numbers), public profile, hiding a
comment, suspension, spot checks, operator figures, and the 4xx answers."""
import json
import re
import uuid
from datetime import date

import pytest

from tests.stack_fixtures import booking_body, wait_for

pytestmark = pytest.mark.integration

GOOD = {"overall": 5, "patience": 5, "clarity": 4, "would_recommend": True, "would_book_again": True,
        "comment": "Sehr geduldig, hat alles erklärt."}




def new_helper(category="printer") -> tuple[str, str]:
    """A fresh active helper in the demo tenant, so its counters belong to this test alone."""
    from chalicelib.models.base import now_iso
    from chalicelib.models.helpers import Helper

    hid = f"h_rev{uuid.uuid4().hex[:12]}"
    email = f"{hid}@example.org"
    Helper(helper_id=hid, tenant_id="crowdfix", email=email, email_key=f"crowdfix#{email}", name="Rita Reviewtest",
           first_name="Rita", skills={category: 3, "other": 1}, qualifications=["printer level 3"],
           lat=47.3769, lon=8.5417, city="Zürich", service_radius_km=10, hourly_rate=6000,
           languages=["de", "en"], status="active", tenant_status="crowdfix#active", payout_ready=True,
           created_at=now_iso()).save()
    return hid, email


def completed_booking(api, signin, pump, helper_id, helper_email, customer=None, language="en"):
    customer = customer or signin()
    status, booking, _ = api.call("POST", "/v1/bookings",
                                  booking_body(preferred_helper_id=helper_id, language=language,
                                               contact={"name": "Erika Muster", "phone": "+41 44 123 45 67"}),
                                  customer)
    assert status == 201, booking
    bid = booking["booking_id"]
    wait_for(lambda: api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]["state"] == "offered")
    helper = signin(helper_email, "helper")
    for step in ("accept", "start"):
        assert api.call("POST", f"/v1/bookings/{bid}/{step}", headers=helper)[0] == 200
    status, done, _ = api.call("POST", f"/v1/bookings/{bid}/complete", {"minutes_worked": 45}, helper)
    assert status == 200 and done["state"] == "completed", done
    return bid, customer, helper


def review_token_from_mail(stack, email, booking_id):
    from localdev.services import read_sent_emails

    for msg in reversed(read_sent_emails(stack["services"].moto_url)):
        text = json.dumps(msg)
        if email in text and f"/review/{booking_id}#token=" in text:
            return re.search(r"#token=([A-Za-z0-9_\-.]+)", text).group(1)
    return None


def totals(scope, bucket="all"):
    from chalicelib.services.ratings import read_totals
    return read_totals(scope, bucket, consistent=True)


def test_review_by_emailed_link_is_aggregated_once_and_edits_move_the_numbers(api, signin, pump, stack):
    hid, hemail = new_helper()
    bid, customer, helper = completed_booking(api, signin, pump, hid, hemail)

    # given the review request e-mail with its signed link (no password)
    token = wait_for(lambda: review_token_from_mail(stack, customer["_email"], bid))

    # when the customer reviews with the link's token
    status, review, headers = api.call("POST", f"/v1/bookings/{bid}/review", GOOD, {"X-Review-Token": token})
    assert status == 201, review
    assert review["overall"] == 5 and review["version"] == 1 and headers["Location"].endswith("/review")

    # then the reviews stream aggregates it for helper, tenant and platform, and on the helper record
    from chalicelib.models.helpers import Helper
    agg = wait_for(lambda: (lambda t: t if t["count"] == 1 else None)(totals(f"helper#{hid}")))
    assert agg["star_sum"] == 5 and agg["h5"] == 1 and agg["patience_sum"] == 5 and agg["clarity_sum"] == 4
    assert agg["recommend"] == 1 and agg["rebook"] == 1
    h = Helper.get(hid, consistent_read=True)
    assert int(h.rating_count) == 1 and float(h.rating_sum) == 5

    # when the customer edits it (within 7 days): 5 -> 2 stars, would not recommend any more
    status, edited, _ = api.call("PATCH", f"/v1/bookings/{bid}/review",
                                 {"overall": 2, "would_recommend": False}, customer)
    assert status == 200 and edited["version"] == 2 and edited["clarity"] == 4
    agg = wait_for(lambda: (lambda t: t if t["star_sum"] == 2 else None)(totals(f"helper#{hid}")))
    assert agg["count"] == 1 and agg["h5"] == 0 and agg["h2"] == 1 and agg["recommend"] == 0
    assert float(Helper.get(hid, consistent_read=True).rating_sum) == 2

    # and replaying both changes (a redelivered stream record) counts nothing twice
    from chalicelib.models.reviews import Review
    from chalicelib.services.ratings import apply_review_change
    v2 = Review.get(bid, consistent_read=True).to_simple_dict()
    v1 = {**v2, "overall": 5, "would_recommend": True, "version": 1}
    assert apply_review_change(v1, None) is False
    assert apply_review_change(v2, v1) is False
    assert totals(f"helper#{hid}") == agg
    assert int(Helper.get(hid, consistent_read=True).rating_count) == 1

    # the completion day's tenant bucket has it too (period figures)
    today = date.today().isoformat()
    assert totals("tenant#crowdfix", f"d#{today}")["count"] >= 1


def test_public_profile_shows_bayesian_rating_histogram_and_comments_ops_can_hide(api, signin, pump, stack):
    hid, hemail = new_helper()
    bid, customer, _ = completed_booking(api, signin, pump, hid, hemail)
    assert api.call("POST", f"/v1/bookings/{bid}/review", GOOD, customer)[0] == 201
    wait_for(lambda: totals(f"helper#{hid}")["count"] == 1)

    status, profile, _ = api.call("GET", f"/v1/helpers/{hid}")  # no sign-in
    assert status == 200, profile
    assert profile["first_name"] == "Rita" and "email" not in profile and "phone" not in profile
    assert profile["rating"]["count"] == 1 and profile["rating"]["label"].endswith("from 1 visit")
    # one 5-star review is pulled toward the prior: shown below 5
    assert profile["rating"]["average"] < 5.0 and profile["rating"]["plain_average"] == 5.0
    assert profile["histogram"] == {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1}
    assert profile["recent_comments"] == [{"overall": 5, "comment": GOOD["comment"], "reviewer": "E.",
                                           "date": profile["recent_comments"][0]["date"]}]

    ops = signin("ops@crowdfix.local", "ops")
    status, hidden, _ = api.call("POST", f"/v1/ops/bookings/{bid}/review/visibility",
                                 {"hidden": True, "reason": "abusive language"}, ops)
    assert status == 200 and hidden["comment_hidden"] is True
    pump.wait_idle(timeout=20)
    profile = api.call("GET", f"/v1/helpers/{hid}")[1]
    assert profile["recent_comments"] == []
    assert profile["rating"]["count"] == 1 and profile["histogram"]["5"] == 1  # aggregate intact
    assert totals(f"helper#{hid}")["count"] == 1

    # a customer may not hide comments
    assert api.call("POST", f"/v1/ops/bookings/{bid}/review/visibility",
                    {"hidden": True, "reason": "x y z"}, customer)[0] == 403


def test_bad_review_input_gets_a_clear_4xx(api, signin, pump, stack):
    hid, hemail = new_helper()
    bid, customer, helper = completed_booking(api, signin, pump, hid, hemail)

    status, problem, _ = api.call("POST", f"/v1/bookings/{bid}/review", {**GOOD, "overall": 6}, customer)
    assert status == 422 and problem["field"] == "overall"
    status, problem, _ = api.call("POST", f"/v1/bookings/{bid}/review", {**GOOD, "patience": "5"}, customer)
    assert status == 422 and problem["field"] == "patience"
    status, problem, _ = api.call("POST", f"/v1/bookings/{bid}/review", {**GOOD, "would_recommend": None}, customer)
    assert status == 422 and problem["field"] == "would_recommend"
    assert api.call("POST", f"/v1/bookings/{bid}/review", GOOD)[0] == 401  # nobody

    stranger = signin()
    status, problem, _ = api.call("POST", f"/v1/bookings/{bid}/review", GOOD, stranger)
    assert status == 404  # not yours: do not reveal that it exists
    assert api.call("POST", f"/v1/bookings/{bid}/review", GOOD, helper)[0] == 403

    status, problem, _ = api.call("POST", f"/v1/bookings/{bid}/review", GOOD,
                                  {"X-Review-Token": "not.a.token"})
    assert status == 401 and problem["field"] == "X-Review-Token"
    # a sign-in token is not a review token
    assert api.call("POST", f"/v1/bookings/{bid}/review", GOOD,
                    {"X-Review-Token": customer["Authorization"].split()[1]})[0] == 401

    assert api.call("POST", f"/v1/bookings/{bid}/review", GOOD, customer)[0] == 201
    status, problem, _ = api.call("POST", f"/v1/bookings/{bid}/review", GOOD, customer)
    assert status == 409 and problem["type"].endswith("already-reviewed")
    status, problem, _ = api.call("PATCH", f"/v1/bookings/{bid}/review", {}, customer)
    assert status == 422

    # a review link for one booking does not open another
    from chalicelib.services.reviews import issue_review_token
    other = issue_review_token("b_someotherbooking", "crowdfix")
    status, problem, _ = api.call("POST", f"/v1/bookings/{bid}/review", GOOD, {"X-Review-Token": other})
    assert status == 403

    # a booking that is not completed cannot be reviewed
    status, open_booking, _ = api.call("POST", "/v1/bookings", booking_body(mode="remote", location=None), customer)
    status, problem, _ = api.call("POST", f"/v1/bookings/{open_booking['booking_id']}/review", GOOD, customer)
    assert status == 409 and problem["type"].endswith("not-reviewable")


def test_edit_window_closes_after_seven_days(api, signin, pump, stack):
    from datetime import datetime, timedelta, timezone

    from chalicelib.domain.review_schemas import EditReview
    from chalicelib.domain.actors import Actor
    from chalicelib.services.reviews import EditWindowClosed, edit_review

    hid, hemail = new_helper()
    bid, customer, _ = completed_booking(api, signin, pump, hid, hemail)
    assert api.call("POST", f"/v1/bookings/{bid}/review", GOOD, customer)[0] == 201
    actor = Actor("customer", customer["_id"], "crowdfix")
    later = datetime.now(timezone.utc) + timedelta(days=7, minutes=1)
    with pytest.raises(EditWindowClosed):
        edit_review(actor, bid, EditReview(overall=1), now=later)
    assert edit_review(actor, bid, EditReview(overall=4)).overall == 4


def test_helper_rates_customer_privately(api, signin, pump, stack):
    hid, hemail = new_helper()
    bid, customer, helper = completed_booking(api, signin, pump, hid, hemail)
    status, body, _ = api.call("POST", f"/v1/bookings/{bid}/customer-rating", {"stars": 4, "comment": "friendly"},
                               helper)
    assert status == 201 and body["private"] is True
    assert api.call("POST", f"/v1/bookings/{bid}/customer-rating", {"stars": 4}, helper)[0] == 409
    assert api.call("POST", f"/v1/bookings/{bid}/customer-rating", {"stars": 0}, helper)[0] == 422
    assert api.call("POST", f"/v1/bookings/{bid}/customer-rating", {"stars": 4}, customer)[0] == 403
    assert api.call("GET", f"/v1/ops/bookings/{bid}/ratings", headers=customer)[0] == 403
    ops = signin("ops@crowdfix.local", "ops")
    status, both, _ = api.call("GET", f"/v1/ops/bookings/{bid}/ratings", headers=ops)
    assert status == 200 and both["customer_rating"]["stars"] == 4 and both["review"] is None


def test_low_ratings_flag_the_helper_and_ops_suspend_out_of_matching(api, signin, pump, stack):
    from chalicelib.models.helpers import Helper

    hid, hemail = new_helper()
    customer = signin()
    bad = {"overall": 1, "patience": 1, "clarity": 2, "would_recommend": False, "would_book_again": False,
           "comment": "came late, did not help"}
    for _ in range(3):
        bid, _, _ = completed_booking(api, signin, pump, hid, hemail, customer=customer)
        assert api.call("POST", f"/v1/bookings/{bid}/review", bad, customer)[0] == 201
    wait_for(lambda: totals(f"helper#{hid}")["count"] == 3)
    ops = signin("ops@crowdfix.local", "ops")
    cases = wait_for(lambda: [c for c in api.call("GET", "/v1/ops/quality/cases?tenant=crowdfix&kind=flag", headers=ops)[1]["items"]
                              if c["helper_id"] == hid])
    assert [c["rule"] for c in cases] == ["repeated_complaints"]

    status, body, _ = api.call("POST", f"/v1/ops/helpers/{hid}/suspend", {"reason": "three complaints"}, ops)
    assert status == 200 and body["status"] == "suspended"
    h = Helper.get(hid, consistent_read=True)
    assert h.status == "suspended" and h.tenant_status == "crowdfix#suspended"
    # out of matching at once: not a candidate, not bookable, no public profile
    # matching queries the tenant's active helpers: the suspended one is no longer among them
    assert hid not in {x.helper_id for x in Helper.by_tenant_status.query("crowdfix#active")}
    status, problem, _ = api.call("POST", "/v1/bookings", booking_body(preferred_helper_id=hid), customer)
    assert status == 422 and problem["field"] == "preferred_helper_id"
    assert api.call("GET", f"/v1/helpers/{hid}")[0] == 404
    assert api.call("POST", f"/v1/ops/helpers/{hid}/suspend", {"reason": "again"}, ops)[0] == 409
    assert api.call("POST", f"/v1/ops/helpers/{hid}/suspend", {"reason": "x y"}, customer)[0] == 403

    status, resolved, _ = api.call("POST", f"/v1/ops/helpers/{hid}/flags/repeated_complaints/resolve",
                                   {"notes": "talked to Rita, suspended"}, ops)
    assert status == 200 and resolved["status"] == "done"


def test_spot_check_sampled_and_outcome_recorded(api, signin, pump, stack):
    from chalicelib.models.tenants import Tenant
    from chalicelib.services.tenants import clear_cache

    tenant = Tenant.get("crowdfix")
    before = tenant.settings.as_dict() if tenant.settings else {}
    tenant.update(actions=[Tenant.settings.set({**before, "spot_check_rate": 1.0})])
    clear_cache()
    try:
        hid, hemail = new_helper()
        bid, customer, _ = completed_booking(api, signin, pump, hid, hemail)
        pump.wait_idle(timeout=20)
    finally:
        tenant.update(actions=[Tenant.settings.set(before)])
        clear_cache()
    ops = signin("ops@crowdfix.local", "ops")
    cases = wait_for(lambda: [c for c in api.call("GET", "/v1/ops/quality/cases?tenant=crowdfix&kind=spot_check&limit=200",
                                                  headers=ops)[1]["items"] if c["booking_id"] == bid])
    assert cases[0]["helper_id"] == hid and cases[0]["status"] == "open"
    assert api.call("POST", f"/v1/ops/spot-checks/{bid}", {"outcome": "great"}, ops)[0] == 422
    status, case, _ = api.call("POST", f"/v1/ops/spot-checks/{bid}", {"outcome": "satisfied",
                                                                     "notes": "all fine, printer works"}, ops)
    assert status == 200 and case["outcome"] == "satisfied" and case["resolved_by"]
    assert api.call("POST", f"/v1/ops/spot-checks/{bid}", {"outcome": "satisfied"}, ops)[0] == 409
    assert api.call("POST", "/v1/ops/spot-checks/b_notsampled1", {"outcome": "satisfied"}, ops)[0] == 404


def test_operator_figures_per_tenant_and_platform(api, signin, pump, stack):
    ops = signin("ops@crowdfix.local", "ops")
    today = date.today().isoformat()
    before = api.call("GET", f"/v1/ops/figures?tenant=crowdfix&from={today}&to={today}", headers=ops)[1]
    hid, hemail = new_helper()
    bid, customer, _ = completed_booking(api, signin, pump, hid, hemail)
    review = {**GOOD, "would_book_again": False}
    assert api.call("POST", f"/v1/bookings/{bid}/review", review, customer)[0] == 201
    wait_for(lambda: totals(f"helper#{hid}")["count"] == 1)
    status, after, _ = api.call("GET", f"/v1/ops/figures?tenant=crowdfix&from={today}&to={today}", headers=ops)
    assert status == 200
    n0 = before["tenant"]["reviews"]
    assert after["tenant"]["reviews"] == n0 + 1
    rec0 = round((before["tenant"]["recommend_rate"] or 0) * n0)
    assert after["tenant"]["recommend_rate"] == pytest.approx((rec0 + 1) / (n0 + 1), abs=1e-3)
    assert after["platform"]["reviews"] >= after["tenant"]["reviews"]
    # a period without reviews
    empty = api.call("GET", "/v1/ops/figures?tenant=crowdfix&from=2001-01-01&to=2001-01-31", headers=ops)[1]
    assert empty["tenant"]["reviews"] == 0 and empty["tenant"]["recommend_rate"] is None
    assert api.call("GET", "/v1/ops/figures?tenant=crowdfix&from=2026-13-01", headers=ops)[0] == 422
    assert api.call("GET", "/v1/ops/figures?tenant=crowdfix&from=2026-02-01&to=2026-01-01", headers=ops)[0] == 422
    assert api.call("GET", "/v1/ops/figures?tenant=crowdfix", headers=customer)[0] == 403
