"""Erasure of a person's data (issue 19) on the real local stack: after ``POST /v1/ops/erasure`` no
personal value of the person is found in any table (every table scanned raw), the ledger of their
bookings is unchanged and still sums to zero, and a second erasure changes nothing."""
from __future__ import annotations

import json
from datetime import timedelta
import uuid

import pytest

from tests.integration.test_payments import make_helper, onboard, payment
from tests.integration.test_payments import stripe_local  # noqa: F401  (fixture)
from tests.stack_fixtures import booking_body, wait_for

pytestmark = pytest.mark.integration

SPOT = {"lat": 46.2331, "lon": 7.3606, "postcode": "1950", "city": "Sion"}


def _scan_all() -> str:
    """Every item of every table, as one JSON text (what someone with read access could search)."""
    from chalicelib.aws import client
    from chalicelib.models import all_models

    items = []
    for name in sorted({m.Meta.table_name for m in all_models()}):
        for page in client("dynamodb").get_paginator("scan").paginate(TableName=name):
            items.extend(page["Items"])
    return json.dumps(items, ensure_ascii=False) + json.dumps(items)


def _ledger(bid: str) -> list[tuple]:
    from chalicelib.store.ledger import ledger

    return sorted((e.entry_id, e.account, int(e.amount), e.currency) for e in ledger().of_booking(bid))


def _copies_elsewhere(bid: str, email: str, personal: dict) -> None:
    """Copies as other paths keep them: a partner webhook payload, a stored Idempotency-Key answer,
    a failed unit of work carrying the booking."""
    from chalicelib.models.base import now_iso
    from chalicelib.models.failures import FailedUnit
    from chalicelib.models.idempotency import IdempotencyRecord
    from chalicelib.models.partners import WebhookDelivery

    data = {"booking_id": bid, "description": personal["description"],
            "contact": {"name": personal["contact_name"], "email": email}, "amount": 18001}
    WebhookDelivery(endpoint_id="we_erasure", message_id=f"msg_{bid}", tenant_id="crowdfix", event_type="booking.created",
                    payload=json.dumps({"type": "booking.created", "data": data}, separators=(",", ":"), sort_keys=True),
                    created_at=now_iso()).save()
    IdempotencyRecord(key=f"partner-booking#{bid}", result=json.dumps(data), status=201, ttl=timedelta(days=1)).save()
    FailedUnit(failure_id=f"f_erasure{bid}", unit=f"work#notifications#{bid}", kind="notifications", name="notifications",
               booking_id=bid, tenant_id="crowdfix", error=f"SES refused {email}", first_failed_at=now_iso(),
               last_failed_at=now_iso(), payload=json.dumps({"booking_id": bid, "to": email})).save()


def _rows(bid: str, customer_id: str) -> list:
    """The raw rows erasure rewrites for this booking and customer (other tests write the tables too)."""
    from chalicelib.aws import client
    from chalicelib.settings import get_settings

    t = get_settings().table_name
    keys = [("customers", {"customer_id": {"S": customer_id}}), ("bookings", {"booking_id": {"S": bid}}),
            ("payments", {"booking_id": {"S": bid}}), ("reviews", {"booking_id": {"S": bid}}),
            ("webhook-deliveries", {"endpoint_id": {"S": "we_erasure"}, "message_id": {"S": f"msg_{bid}"}})]
    return [client("dynamodb").get_item(TableName=t(name), Key=key, ConsistentRead=True).get("Item") for name, key in keys]


@pytest.fixture()
def finished_job(api, signin, pump, stripe_local):  # noqa: F811
    """A customer and a helper with one paid, completed and reviewed booking, every personal value
    unique to this test."""
    tag = uuid.uuid4().hex[:8]
    digits = f"{int(tag, 16) % 10_000:04d}"
    hid, helper_email = make_helper(spot=SPOT)
    from chalicelib.models.helpers import Helper
    Helper(helper_id=hid).update(actions=[Helper.name.set(f"Helga Hilfreich{tag}"), Helper.first_name.set(f"Helga{tag}"),
                                          Helper.bio.set(f"Druckerprofi seit 1999 {tag}"),
                                          Helper.phone.set(f"+41 79 555 {digits[:2]} {digits[2:]}")])
    helper, _ = onboard(api, signin, stripe_local, helper_email)
    customer_email = f"erika.{tag}@example.org"
    customer = signin(customer_email)
    personal = {"customer_email": customer_email, "contact_name": f"Erika Muster{tag}",
                "phone": f"+41 44 {digits[:2]}1 {digits[2:]} 67", "address": f"Geheimweg {tag} 7",
                "description": f"Mein Drucker {tag} druckt nicht mehr", "note": f"Toner getauscht bei Erika {tag}",
                "comment": f"Sehr geduldig {tag}, danke Helga"}
    status, booking, _ = api.call("POST", "/v1/bookings", booking_body(
        description=personal["description"], location={**SPOT, "address": personal["address"]},
        contact={"name": personal["contact_name"], "phone": personal["phone"]}, preferred_helper_id=hid,
        price_cap={"amount": 20000, "currency": "CHF"}), {**customer, "Idempotency-Key": f"erase-{tag}"})
    assert status == 201, booking
    bid = booking["booking_id"]
    assert api.call("POST", f"/v1/bookings/{bid}/payment", {"payment_method": "pm_card_visa"}, customer)[0] == 201
    wait_for(lambda: api.call("GET", f"/v1/bookings/{bid}", headers=customer)[1]["state"] == "offered", what="offered")
    for step in ("accept", "start"):
        assert api.call("POST", f"/v1/bookings/{bid}/{step}", headers=helper)[0] == 200
    status, done, _ = api.call("POST", f"/v1/bookings/{bid}/complete", {"minutes_worked": 45, "note": personal["note"]},
                               helper)
    assert status == 200 and done["state"] == "completed", done
    wait_for(lambda: "payout" in (payment(bid).steps or {}) and payment(bid).receipt, what="settled")
    review = {"overall": 5, "patience": 5, "clarity": 4, "would_recommend": True, "would_book_again": True,
              "comment": personal["comment"]}
    assert api.call("POST", f"/v1/bookings/{bid}/review", review, customer)[0] == 201
    _copies_elsewhere(bid, customer_email, personal)
    scan = _scan_all()
    assert all(v in scan for v in personal.values()), "the test's personal values are stored before erasure"
    return {"bid": bid, "customer": customer, "helper": helper, "hid": hid, "helper_email": helper_email,
            "personal": personal, "tag": tag}


def test_erasing_a_customer_leaves_no_personal_value_and_keeps_the_ledger(api, signin, finished_job):
    bid, customer = finished_job["bid"], finished_job["customer"]
    ledger_before = _ledger(bid)
    assert ledger_before and sum(a for _, _, a, _ in ledger_before) == 0
    ops = signin("ops@crowdfix.local", "ops")
    # only operations may erase
    body = {"subject_type": "customer", "subject_id": customer["_id"]}
    assert api.call("POST", "/v1/ops/erasure", body, customer)[0] == 403
    assert api.call("POST", "/v1/ops/erasure", {"subject_type": "customer", "subject_id": "x"}, ops)[0] == 422
    # when ops erase the customer
    status, report, _ = api.call("POST", "/v1/ops/erasure", body, ops)
    assert status == 200, report
    assert report["bookings"] == 1 and report["changed"]["customers"] == 1 and report["changed"]["bookings"] == 1
    # then no personal value is found in any table (the pump may still be sending: scan after it settles)
    scan = _scan_all()
    found = {k: v for k, v in finished_job["personal"].items() if v in scan}
    assert found == {}, found
    # and the copies are still valid JSON with their other values as they were
    from chalicelib.models.partners import WebhookDelivery
    copy = json.loads(WebhookDelivery.get("we_erasure", f"msg_{bid}").payload)
    assert copy["data"]["amount"] == 18001 and copy["data"]["description"] == "[erased]"
    # and the money records are exactly as booked, still balanced, under the pseudonymous id
    assert _ledger(bid) == ledger_before
    assert payment(bid).customer_id == customer["_id"] and payment(bid).status == "captured"
    # and a second erasure changes nothing
    before = _rows(bid, customer["_id"])
    status, again, _ = api.call("POST", "/v1/ops/erasure", body, ops)
    assert status == 200 and again["total_changed"] == 0, again
    assert _rows(bid, customer["_id"]) == before


def test_erasing_a_helper_suspends_them_and_leaves_no_personal_value(api, signin, finished_job):
    from chalicelib.models.helpers import Helper

    bid, hid = finished_job["bid"], finished_job["hid"]
    ledger_before = _ledger(bid)
    h = Helper.get(hid)
    helper_values = [finished_job["helper_email"], h.name, h.first_name, h.bio, h.phone, finished_job["personal"]["note"]]
    ops = signin("ops@crowdfix.local", "ops")
    status, report, _ = api.call("POST", "/v1/ops/erasure", {"subject_type": "helper", "subject_id": hid}, ops)
    assert status == 200, report
    scan = _scan_all()
    assert [v for v in helper_values if v in scan] == []
    erased = Helper.get(hid, consistent_read=True)
    assert erased.status == "suspended" and erased.geo_pk is None and erased.remote_pool is None
    assert _ledger(bid) == ledger_before
    # the customer's own words stay (only the helper's name is taken out of them)
    assert finished_job["personal"]["description"] in scan
    assert api.call("POST", "/v1/ops/erasure", {"subject_type": "helper", "subject_id": hid}, ops)[1]["total_changed"] == 0


def test_a_person_with_an_open_booking_is_not_erased(api, signin, pump):
    customer = signin()
    status, booking, _ = api.call("POST", "/v1/bookings", booking_body(location={**SPOT, "address": "Offen 1"}), customer)
    assert status == 201
    ops = signin("ops@crowdfix.local", "ops")
    status, problem, _ = api.call("POST", "/v1/ops/erasure", {"subject_type": "customer", "subject_id": customer["_id"]}, ops)
    assert status == 409 and booking["booking_id"] in problem["open_bookings"], problem
    assert api.call("POST", "/v1/ops/erasure", {"subject_type": "customer", "subject_id": "c_doesnotexist1"}, ops)[0] == 404


def test_the_erase_command_erases_a_customer_on_the_running_stack(api, signin, pump, stack, tmp_path):
    """``python -m localdev erase customer <id>`` as ops would run it locally: it reads the running
    stack's run file, prints the report, and says what to do when it cannot."""
    import os
    import subprocess
    import sys

    from pathlib import Path

    ROOT = Path(__file__).resolve().parents[2]
    # given a customer whose only booking was cancelled (an open one would refuse the erasure)
    email = f"cli.{uuid.uuid4().hex[:8]}@example.org"
    customer = signin(email)
    secret_street = f"Kommandoweg {uuid.uuid4().hex[:6]} 3"
    status, booking, _ = api.call("POST", "/v1/bookings", booking_body(
        location={**SPOT, "address": secret_street}, payment=None), customer)
    assert status == 201, booking
    assert api.call("POST", f"/v1/bookings/{booking['booking_id']}/cancel", {}, customer)[0] == 200
    wait_for(lambda: api.call("GET", f"/v1/bookings/{booking['booking_id']}", headers=customer)[1]["state"] == "cancelled")
    assert secret_street in _scan_all() and email in _scan_all()
    runfile = tmp_path / "run.json"
    env = {**os.environ, "CROWDFIX_RUNFILE": str(runfile)}

    def erase(*args):
        return subprocess.run([sys.executable, "-m", "localdev", "erase", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)

    # when no stack is running, it says how to start one
    out = erase("customer", customer["_id"])
    assert out.returncode == 1 and "make dev" in out.stdout, out
    # when the stack runs and ops erase the customer
    keys = ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_SES", "AWS_ENDPOINT_URL_SNS",
            "AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
            "CROWDFIX_STAGE", "CROWDFIX_RESOURCE_PREFIX", "CROWDFIX_TOKEN_SECRET")
    runfile.write_text(json.dumps({"urls": {}, "env": {k: os.environ[k] for k in keys if k in os.environ}}))
    out = erase("customer", customer["_id"])
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout)
    assert report["changed"]["customers"] == 1 and report["bookings"] == 1, report
    # then neither the address nor the e-mail address is left anywhere
    scan = _scan_all()
    assert secret_street not in scan and email not in scan
    # and an unknown person is an error that says so, with exit status 1
    out = erase("customer", "c_doesnotexist1")
    assert out.returncode == 1 and out.stdout.startswith("error:") and "c_doesnotexist1" in out.stdout, out
