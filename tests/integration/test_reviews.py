"""Reviews and quality on the real local stack: review link by e-mail, aggregation by the reviews
stream through the pump (atomic, replay-proof, edits move the numbers), public profile, hiding a
comment, suspension, spot checks, operator figures, and the 4xx answers. Told as given / when / then."""
import json
import re
import uuid
from datetime import date

import pytest

from tests.stack_fixtures import booking_body, wait_for

pytestmark = pytest.mark.integration

GOOD = {"overall": 5, "patience": 5, "clarity": 4, "would_recommend": True, "would_book_again": True,
        "comment": "Sehr geduldig, hat alles erklärt."}


# ---- given / when ----------------------------------------------------------------------------------

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


def given_a_completed_job(api, signin, pump) -> dict:
    """A fresh helper's completed job for a new customer: ``{"helper_id", "booking_id", "customer", "helper"}``."""
    hid, hemail = new_helper()
    bid, customer, helper = completed_booking(api, signin, pump, hid, hemail)
    return {"helper_id": hid, "booking_id": bid, "customer": customer, "helper": helper}


def review(api, bid, headers, body=GOOD):
    return api.call("POST", f"/v1/bookings/{bid}/review", body, headers)


def given_a_review_aggregated(api, signin, pump, stack) -> dict:
    """A completed job reviewed (GOOD: 5 stars) with the e-mailed link, aggregated by the reviews stream."""
    job = given_a_completed_job(api, signin, pump)
    token = wait_for(lambda: review_token_from_mail(stack, job["customer"]["_email"], job["booking_id"]),
                     what="the review request e-mail")
    status, made, headers = review(api, job["booking_id"], {"X-Review-Token": token})
    assert status == 201, made
    job["review"], job["location"] = made, headers["Location"]
    job["agg"] = wait_for(lambda: (lambda t: t if t["count"] == 1 else None)(totals(f"helper#{job['helper_id']}")),
                          what="the review aggregated")
    return job


def given_a_review_edited_to_two_stars(api, signin, pump, stack) -> dict:
    job = given_a_review_aggregated(api, signin, pump, stack)
    status, edited, _ = api.call("PATCH", f"/v1/bookings/{job['booking_id']}/review",
                                 {"overall": 2, "would_recommend": False}, job["customer"])
    assert status == 200, edited
    job["edited"] = edited
    job["agg"] = wait_for(lambda: (lambda t: t if t["star_sum"] == 2 else None)(totals(f"helper#{job['helper_id']}")),
                          what="the edit aggregated")
    return job


# ---- reviewing ------------------------------------------------------------------------------------

def test_a_review_by_the_emailed_link_is_aggregated_for_the_helper(api, signin, pump, stack):
    from chalicelib.models.helpers import Helper

    # given a completed job and the review request e-mail with its signed link (no password)
    # when the customer reviews with the link's token: 5 stars, patience 5, clarity 4
    job = given_a_review_aggregated(api, signin, pump, stack)
    # then it is version 1, located at the booking's review
    assert job["review"]["overall"] == 5 and job["review"]["version"] == 1 and job["location"].endswith("/review")
    # and the reviews stream aggregates it for the helper, and on the helper record
    agg = job["agg"]
    assert agg["star_sum"] == 5 and agg["h5"] == 1 and agg["patience_sum"] == 5 and agg["clarity_sum"] == 4
    assert agg["recommend"] == 1 and agg["rebook"] == 1
    h = Helper.get(job["helper_id"], consistent_read=True)
    assert int(h.rating_count) == 1 and float(h.rating_sum) == 5
    # and the completion day's tenant bucket has it too (period figures)
    assert totals("tenant#crowdfix", f"d#{date.today().isoformat()}")["count"] >= 1


def test_an_edit_within_seven_days_moves_the_numbers(api, signin, pump, stack):
    from chalicelib.models.helpers import Helper

    # given a 5-star review aggregated
    # when the customer edits it: 5 -> 2 stars, would not recommend any more
    job = given_a_review_edited_to_two_stars(api, signin, pump, stack)
    # then it is version 2 keeping what was not changed, and the numbers moved: still one review
    assert job["edited"]["version"] == 2 and job["edited"]["clarity"] == 4
    agg = job["agg"]
    assert agg["count"] == 1 and agg["h5"] == 0 and agg["h2"] == 1 and agg["recommend"] == 0
    assert float(Helper.get(job["helper_id"], consistent_read=True).rating_sum) == 2


def test_replaying_both_review_changes_counts_nothing_twice(api, signin, pump, stack):
    from chalicelib.models.helpers import Helper
    from chalicelib.models.reviews import Review
    from chalicelib.services.ratings import apply_review_change

    # given a review made and edited, both aggregated
    job = given_a_review_edited_to_two_stars(api, signin, pump, stack)
    # when both changes come again (redelivered stream records)
    v2 = Review.get(job["booking_id"], consistent_read=True).to_simple_dict()
    v1 = {**v2, "overall": 5, "would_recommend": True, "version": 1}
    # then neither applies, and the totals are as they were
    assert apply_review_change(v1, None) is False
    assert apply_review_change(v2, v1) is False
    assert totals(f"helper#{job['helper_id']}") == job["agg"]
    assert int(Helper.get(job["helper_id"], consistent_read=True).rating_count) == 1


# ---- the public profile ----------------------------------------------------------------------------

def test_the_public_profile_shows_a_bayesian_rating_the_histogram_and_comments(api, signin, pump, stack):
    # given one 5-star review aggregated
    job = given_a_review_aggregated(api, signin, pump, stack)
    # when anyone reads the helper's profile (no sign-in)
    status, profile, _ = api.call("GET", f"/v1/helpers/{job['helper_id']}")
    # then it shows the first name only, no e-mail or phone
    assert status == 200, profile
    assert profile["first_name"] == "Rita" and "email" not in profile and "phone" not in profile
    assert profile["rating"]["count"] == 1 and profile["rating"]["label"].endswith("from 1 visit")
    # and the one 5-star review pulled toward the prior: shown below 5
    assert profile["rating"]["average"] < 5.0 and profile["rating"]["plain_average"] == 5.0
    assert profile["histogram"] == {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1}
    assert profile["recent_comments"] == [{"overall": 5, "comment": GOOD["comment"], "reviewer": "E.",
                                           "date": profile["recent_comments"][0]["date"]}]


def test_ops_hide_a_comment_and_the_rating_stays(api, signin, pump, stack):
    # given a review with a comment
    job = given_a_review_aggregated(api, signin, pump, stack)
    bid, hid = job["booking_id"], job["helper_id"]
    # when ops hide the comment
    ops = signin("ops@crowdfix.local", "ops")
    status, hidden, _ = api.call("POST", f"/v1/ops/bookings/{bid}/review/visibility",
                                 {"hidden": True, "reason": "abusive language"}, ops)
    assert status == 200 and hidden["comment_hidden"] is True
    # then the profile shows no comment, and the aggregate is intact
    pump.wait_idle(timeout=20)
    profile = api.call("GET", f"/v1/helpers/{hid}")[1]
    assert profile["recent_comments"] == []
    assert profile["rating"]["count"] == 1 and profile["histogram"]["5"] == 1
    assert totals(f"helper#{hid}")["count"] == 1


def test_a_customer_may_not_hide_comments(api, signin, pump, stack):
    job = given_a_completed_job(api, signin, pump)
    assert review(api, job["booking_id"], job["customer"])[0] == 201
    assert api.call("POST", f"/v1/ops/bookings/{job['booking_id']}/review/visibility",
                    {"hidden": True, "reason": "x y z"}, job["customer"])[0] == 403


# ---- the 4xx answers ---------------------------------------------------------------------------------

def test_a_malformed_review_is_422_naming_the_field(api, signin, pump, stack):
    # given a completed job
    job = given_a_completed_job(api, signin, pump)
    bid, customer = job["booking_id"], job["customer"]
    # when a rating is out of range, a string or missing, then it is 422 naming it
    for change, field in (({"overall": 6}, "overall"), ({"patience": "5"}, "patience"),
                          ({"would_recommend": None}, "would_recommend")):
        status, problem, _ = review(api, bid, customer, {**GOOD, **change})
        assert status == 422 and problem["field"] == field, (change, problem)


def test_only_the_customer_who_booked_may_review(api, signin, pump, stack):
    # given a completed job
    job = given_a_completed_job(api, signin, pump)
    bid = job["booking_id"]
    # when nobody, another customer or the helper reviews it
    # then 401; 404 (not yours: do not reveal that it exists); 403
    assert review(api, bid, None)[0] == 401
    assert review(api, bid, signin())[0] == 404
    assert review(api, bid, job["helper"])[0] == 403


def test_only_this_bookings_review_link_opens_its_review(api, signin, pump, stack):
    from chalicelib.services.reviews import issue_review_token

    # given a completed job
    job = given_a_completed_job(api, signin, pump)
    bid = job["booking_id"]
    # when the review token is malformed, then 401 naming it
    status, problem, _ = review(api, bid, {"X-Review-Token": "not.a.token"})
    assert status == 401 and problem["field"] == "X-Review-Token"
    # when it is her sign-in token, then 401: a sign-in token is not a review token
    assert review(api, bid, {"X-Review-Token": job["customer"]["Authorization"].split()[1]})[0] == 401
    # when it is another booking's review link, then 403
    assert review(api, bid, {"X-Review-Token": issue_review_token("b_someotherbooking", "crowdfix")})[0] == 403


def test_a_booking_is_reviewed_once_and_an_empty_edit_is_422(api, signin, pump, stack):
    # given a reviewed job
    job = given_a_completed_job(api, signin, pump)
    bid, customer = job["booking_id"], job["customer"]
    assert review(api, bid, customer)[0] == 201
    # when she reviews again, then 409 already reviewed
    status, problem, _ = review(api, bid, customer)
    assert status == 409 and problem["type"].endswith("already-reviewed")
    # when she edits nothing, then 422
    assert api.call("PATCH", f"/v1/bookings/{bid}/review", {}, customer)[0] == 422


def test_a_booking_that_is_not_completed_cannot_be_reviewed(api, signin, pump, stack):
    # given a customer's open remote booking
    customer = signin()
    status, open_booking, _ = api.call("POST", "/v1/bookings", booking_body(mode="remote", location=None), customer)
    assert status == 201, open_booking
    # when she reviews it, then 409 not reviewable
    status, problem, _ = review(api, open_booking["booking_id"], customer)
    assert status == 409 and problem["type"].endswith("not-reviewable")


def test_edit_window_closes_after_seven_days(api, signin, pump, stack):
    from datetime import datetime, timedelta, timezone

    from chalicelib.domain.review_schemas import EditReview
    from chalicelib.domain.actors import Actor
    from chalicelib.services.reviews import EditWindowClosed, edit_review

    # given a reviewed job
    hid, hemail = new_helper()
    bid, customer, _ = completed_booking(api, signin, pump, hid, hemail)
    assert api.call("POST", f"/v1/bookings/{bid}/review", GOOD, customer)[0] == 201
    actor = Actor("customer", customer["_id"], "crowdfix")
    # when she edits it 7 days and a minute later, then the window is closed; today it is open
    later = datetime.now(timezone.utc) + timedelta(days=7, minutes=1)
    with pytest.raises(EditWindowClosed):
        edit_review(actor, bid, EditReview(overall=1), now=later)
    assert edit_review(actor, bid, EditReview(overall=4)).overall == 4


def test_a_helper_rates_the_customer_privately_once(api, signin, pump, stack):
    # given a completed job
    job = given_a_completed_job(api, signin, pump)
    bid, helper = job["booking_id"], job["helper"]
    # when the helper rates the customer 4 stars
    status, body, _ = api.call("POST", f"/v1/bookings/{bid}/customer-rating", {"stars": 4, "comment": "friendly"},
                               helper)
    # then the rating is private, and a second one is 409; 0 stars is 422
    assert status == 201 and body["private"] is True
    assert api.call("POST", f"/v1/bookings/{bid}/customer-rating", {"stars": 4}, helper)[0] == 409
    assert api.call("POST", f"/v1/bookings/{bid}/customer-rating", {"stars": 0}, helper)[0] == 422


def test_the_customer_neither_rates_herself_nor_reads_ratings_ops_read_both(api, signin, pump, stack):
    # given a completed job the helper rated
    job = given_a_completed_job(api, signin, pump)
    bid, customer = job["booking_id"], job["customer"]
    assert api.call("POST", f"/v1/bookings/{bid}/customer-rating", {"stars": 4}, job["helper"])[0] == 201
    # when the customer rates or reads the ratings, then 403
    assert api.call("POST", f"/v1/bookings/{bid}/customer-rating", {"stars": 4}, customer)[0] == 403
    assert api.call("GET", f"/v1/ops/bookings/{bid}/ratings", headers=customer)[0] == 403
    # when ops read them, then they see the helper's rating and no review yet
    ops = signin("ops@crowdfix.local", "ops")
    status, both, _ = api.call("GET", f"/v1/ops/bookings/{bid}/ratings", headers=ops)
    assert status == 200 and both["customer_rating"]["stars"] == 4 and both["review"] is None


def test_low_ratings_flag_the_helper_and_ops_suspend_out_of_matching(api, signin, pump, stack):
    from chalicelib.models.helpers import Helper

    """The quality loop told in order: three bad reviews, the flag, suspension, and its effect."""
    # given three completed jobs of one helper, each reviewed 1 star by the same customer
    hid, hemail = new_helper()
    customer = signin()
    bad = {"overall": 1, "patience": 1, "clarity": 2, "would_recommend": False, "would_book_again": False,
           "comment": "came late, did not help"}
    for _ in range(3):
        bid, _, _ = completed_booking(api, signin, pump, hid, hemail, customer=customer)
        assert api.call("POST", f"/v1/bookings/{bid}/review", bad, customer)[0] == 201
    wait_for(lambda: totals(f"helper#{hid}")["count"] == 3)
    # then ops find the helper flagged for repeated complaints
    ops = signin("ops@crowdfix.local", "ops")
    cases = wait_for(lambda: [c for c in api.call("GET", "/v1/ops/quality/cases?tenant=crowdfix&kind=flag", headers=ops)[1]["items"]
                              if c["helper_id"] == hid])
    assert [c["rule"] for c in cases] == ["repeated_complaints"]

    # when ops suspend the helper
    status, body, _ = api.call("POST", f"/v1/ops/helpers/{hid}/suspend", {"reason": "three complaints"}, ops)
    assert status == 200 and body["status"] == "suspended"
    h = Helper.get(hid, consistent_read=True)
    assert h.status == "suspended" and h.tenant_status == "crowdfix#suspended"
    # then they are out of matching at once: not a candidate, not bookable, no public profile
    # matching queries the tenant's active helpers: the suspended one is no longer among them
    assert hid not in {x.helper_id for x in Helper.by_tenant_status.query("crowdfix#active")}
    status, problem, _ = api.call("POST", "/v1/bookings", booking_body(preferred_helper_id=hid), customer)
    assert status == 422 and problem["field"] == "preferred_helper_id"
    assert api.call("GET", f"/v1/helpers/{hid}")[0] == 404
    assert api.call("POST", f"/v1/ops/helpers/{hid}/suspend", {"reason": "again"}, ops)[0] == 409
    assert api.call("POST", f"/v1/ops/helpers/{hid}/suspend", {"reason": "x y"}, customer)[0] == 403

    # when ops resolve the flag with notes, then it is done
    status, resolved, _ = api.call("POST", f"/v1/ops/helpers/{hid}/flags/repeated_complaints/resolve",
                                   {"notes": "talked to Rita, suspended"}, ops)
    assert status == 200 and resolved["status"] == "done"


def test_spot_check_sampled_and_outcome_recorded(api, signin, pump, stack):
    from chalicelib.models.tenants import Tenant
    from chalicelib.services.tenants import clear_cache

    # given every completed job sampled for a spot check, and a job completed
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
    # then ops find an open spot check for it
    ops = signin("ops@crowdfix.local", "ops")
    cases = wait_for(lambda: [c for c in api.call("GET", "/v1/ops/quality/cases?tenant=crowdfix&kind=spot_check&limit=200",
                                                  headers=ops)[1]["items"] if c["booking_id"] == bid])
    assert cases[0]["helper_id"] == hid and cases[0]["status"] == "open"
    # when ops record an unknown outcome, then 422; a real one is recorded with who did it, once
    assert api.call("POST", f"/v1/ops/spot-checks/{bid}", {"outcome": "great"}, ops)[0] == 422
    status, case, _ = api.call("POST", f"/v1/ops/spot-checks/{bid}", {"outcome": "satisfied",
                                                                     "notes": "all fine, printer works"}, ops)
    assert status == 200 and case["outcome"] == "satisfied" and case["resolved_by"]
    assert api.call("POST", f"/v1/ops/spot-checks/{bid}", {"outcome": "satisfied"}, ops)[0] == 409
    assert api.call("POST", "/v1/ops/spot-checks/b_notsampled1", {"outcome": "satisfied"}, ops)[0] == 404


def test_operator_figures_per_tenant_and_platform(api, signin, pump, stack):
    # given today's figures, then a completed job reviewed by a customer who would not book again
    ops = signin("ops@crowdfix.local", "ops")
    today = date.today().isoformat()
    before = api.call("GET", f"/v1/ops/figures?tenant=crowdfix&from={today}&to={today}", headers=ops)[1]
    hid, hemail = new_helper()
    bid, customer, _ = completed_booking(api, signin, pump, hid, hemail)
    review = {**GOOD, "would_book_again": False}
    assert api.call("POST", f"/v1/bookings/{bid}/review", review, customer)[0] == 201
    wait_for(lambda: totals(f"helper#{hid}")["count"] == 1)
    # when ops read today's figures again, then there is one more review, the recommend rate moved with it
    status, after, _ = api.call("GET", f"/v1/ops/figures?tenant=crowdfix&from={today}&to={today}", headers=ops)
    assert status == 200
    n0 = before["tenant"]["reviews"]
    assert after["tenant"]["reviews"] == n0 + 1
    rec0 = round((before["tenant"]["recommend_rate"] or 0) * n0)
    assert after["tenant"]["recommend_rate"] == pytest.approx((rec0 + 1) / (n0 + 1), abs=1e-3)
    assert after["platform"]["reviews"] >= after["tenant"]["reviews"]
    assert api.call("GET", "/v1/ops/figures?tenant=crowdfix", headers=customer)[0] == 403


def test_operator_figures_of_an_empty_period_and_bad_periods(api, signin):
    ops = signin("ops@crowdfix.local", "ops")
    # when ops read a period without reviews, then zero reviews and no rate
    empty = api.call("GET", "/v1/ops/figures?tenant=crowdfix&from=2001-01-01&to=2001-01-31", headers=ops)[1]
    assert empty["tenant"]["reviews"] == 0 and empty["tenant"]["recommend_rate"] is None
    # when the month does not exist or the period runs backwards, then 422
    assert api.call("GET", "/v1/ops/figures?tenant=crowdfix&from=2026-13-01", headers=ops)[0] == 422
    assert api.call("GET", "/v1/ops/figures?tenant=crowdfix&from=2026-02-01&to=2026-01-01", headers=ops)[0] == 422
