"""Issue 16, "the assigned helper can raise the bill": a part above the tenant's limit waits for the
customer's approval (and is billed only once approved), parts never add up past the card hold
without one, and what a helper may declare is bounded. On the local stack (DynamoDB Local,
localstripe, the pump settling); the customer's answer in the browser: tests/browser/test_part_approval_web.py."""
from __future__ import annotations

import pytest

from chalicelib.domain.policy import PLATFORM_DEFAULTS
from tests.integration.test_payments import (book_and_authorise, make_helper, onboard, payment,  # noqa: F401
                                             run_job, stripe_local)
from tests.stack_fixtures import wait_for

pytestmark = pytest.mark.integration
LIMIT = PLATFORM_DEFAULTS["parts_approval_minor"]


def part(api, bid, helper, description, amount):
    return api.call("POST", f"/v1/bookings/{bid}/parts", {"description": description, "amount": amount}, helper)


def test_a_part_above_the_limit_is_billed_only_once_the_customer_approved_it(api, signin, pump, stripe_local):
    hid, email = make_helper(rate=6000)
    helper, _ = onboard(api, signin, stripe_local, email)
    customer, bid, status, _ = book_and_authorise(api, signin, hid, cap=20000)
    assert status == 201
    run_job(api, bid, customer, helper)

    # a part up to the limit is billed at once
    status, body, _ = part(api, bid, helper, "USB cable", 1290)
    assert status == 201 and body["parts"][-1]["status"] == "approved", body
    # above it, it waits: the customer is asked to approve that much more
    status, body, _ = part(api, bid, helper, "Toner cartridge", LIMIT + 2000)
    assert status == 201 and body["parts"][-1]["status"] == "pending", body
    assert part(api, bid, helper, "Toner cartridge", LIMIT + 2000)[0] == 201  # a retried POST: the same part
    assert len(payment(bid).extras["parts"]) == 2 and len(payment(bid).extra_approvals) == 1
    seen = api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]["extra_approval"]
    assert seen["status"] == "pending" and seen["amount"] == LIMIT + 2000 and seen["reason"] == "Toner cartridge"
    # while it waits, another part above the limit cannot be asked for
    assert part(api, bid, helper, "Drum unit", LIMIT + 1000)[0] == 409
    # the customer declines it: it is not billed; the next one she approves (the hold is raised)
    assert api.call("POST", f"/v1/bookings/{bid}/extra-approval/decline", None, customer)[0] == 200
    assert part(api, bid, helper, "Drum unit", LIMIT + 1000)[0] == 201
    status, view, _ = api.call("POST", f"/v1/bookings/{bid}/extra-approval/approve", None, customer)
    assert status == 200 and view["limit"] == 20000 + LIMIT + 1000, view

    status, done, _ = api.call("POST", f"/v1/bookings/{bid}/complete", {"minutes_worked": 30}, helper)
    assert status == 200, done
    wait_for(lambda: "capture" in (payment(bid).steps or {}), timeout=60, what="captured")
    view = api.call("GET", f"/v1/bookings/{bid}/payment", headers=customer)[1]
    parts = [(i["description"], i["amount"]) for i in view["line_items"] if i["code"] == "part"]
    assert parts == [("USB cable", 1290), ("Drum unit", LIMIT + 1000)], view["line_items"]
    assert view["captured"] == 2 * 1500 + PLATFORM_DEFAULTS["travel_fee_minor"] + 1290 + LIMIT + 1000


def test_parts_never_pass_the_hold_without_approval_and_are_bounded(api, signin, pump, stripe_local):
    hid, email = make_helper(rate=6000)
    helper, _ = onboard(api, signin, stripe_local, email)
    customer, bid, status, _ = book_and_authorise(api, signin, hid, cap=6000)
    assert status == 201
    # not the assigned helper, not yet running
    assert part(api, bid, helper, "Cable", 100)[0] in (404, 409)
    run_job(api, bid, customer, helper)
    assert part(api, bid, signin(make_helper()[1], "helper"), "Cable", 100)[0] == 404
    assert part(api, bid, customer, "Cable", 100)[0] == 403
    for body, field in (({"description": "Cable", "amount": 1_000_001}, "amount"),
                        ({"description": "Cable", "amount": -1}, "amount"),
                        ({"description": "", "amount": 100}, "description"),
                        ({"description": "x" * 121, "amount": 100}, "description"),
                        ({"description": "Cable", "amount": "100"}, "amount"),
                        ({"description": "Cable"}, "amount")):
        status, problem, _ = api.call("POST", f"/v1/bookings/{bid}/parts", body, helper)
        assert status == 422 and problem["field"] == field, (body, problem)
    assert part(api, bid, helper, "Router", 4000)[0] == 201
    status, problem, _ = part(api, bid, helper, "Power supply", 2500)  # 65.00 of parts on a 60.00 hold
    assert status == 422 and problem["field"] == "amount" and "approve" in problem["detail"], problem
    assert [p["amount"] for p in payment(bid).extras["parts"]] == [4000]
