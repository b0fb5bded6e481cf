"""A partner's whole flow through a client generated from the served /v1/openapi.json with
openapi-python-client (pinned in requirements-dev.txt), against the local stack (``chalice local``
on a free loopback port, the pump, DynamoDB Local, moto) with a test key: quote, create, replay
(Idempotency-Key), list, the sandbox steps accept/start/complete, cancel another; webhooks signed
and validated against each event's schema in the document; test bookings invisible to a live key,
offered to simulated helpers only, their messages recorded and not sent."""
import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.integration.partner_fixtures import new_partner, partner_booking
from tests.integration.test_partner_webhooks import Receiver, verify
from tests.stack_fixtures import chalice_local, wait_for

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def served(stack):
    with chalice_local(Path(tempfile.mkdtemp(prefix="crowdfix-client-")) / "chalice-local.log") as api:
        yield api


def generated_client(base: str):
    """Generate the client from the served document once per document version (cached in tmp),
    import it and return the package."""
    raw = urllib.request.urlopen(base + "/v1/openapi.json", timeout=10).read()
    digest = hashlib.sha256(raw + b"config: pdf as octet-stream").hexdigest()[:16]  # document and generator config
    root = Path(tempfile.gettempdir()) / f"crowdfix-client-{digest}"
    package = root / "crowdfix_client"
    if not (package / "client.py").exists():
        work = Path(tempfile.mkdtemp(prefix="crowdfix-gen-"))
        (work / "openapi.json").write_bytes(raw)
        # the invoice's PDF is bytes: read as a File, as the generator does for octet-stream
        (work / "config.yaml").write_text("content_type_overrides:\n  application/pdf: application/octet-stream\n")
        env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # it formats with ruff
        subprocess.run([str(BIN / "openapi-python-client"), "generate", "--path", str(work / "openapi.json"),
                        "--meta", "none", "--output-path", str(work / "crowdfix_client"),
                        "--config", str(work / "config.yaml")],
                       check=True, env=env, capture_output=True, cwd=work)
        root.mkdir(exist_ok=True)
        if not package.exists():
            shutil.move(str(work / "crowdfix_client"), str(package))
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return importlib.import_module("crowdfix_client")


def event_validator(doc: dict, event_type: str):
    from jsonschema import Draft202012Validator
    schema = doc["webhooks"][event_type]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": doc["components"]})


def test_a_partner_flow_through_the_generated_client_in_test_mode(served, stack, pump, api, signin):
    gen = generated_client(served["base"])
    from crowdfix_client.api.partner_api import (get_partner_bookings, get_partner_bookings_booking_id,
                                                 get_partner_bookings_booking_id_offers, get_partner_quote,
                                                 post_partner_bookings)
    from crowdfix_client.api.sandbox import (post_partner_sandbox_bookings_booking_id_accept as accept,
                                             post_partner_sandbox_bookings_booking_id_cancel as cancel,
                                             post_partner_sandbox_bookings_booking_id_complete as complete,
                                             post_partner_sandbox_bookings_booking_id_start as start)
    from crowdfix_client.api.webhooks import (get_tenants_tenant_id_webhooks_endpoint_id_deliveries as deliveries,
                                              post_tenants_tenant_id_webhooks as create_webhook)
    from crowdfix_client.models import (CreateWebhookEndpoint, PartnerBookingOut, PartnerCreateBooking,
                                        SandboxCancel, SandboxComplete)
    from crowdfix_client.models.get_partner_quote_category import GetPartnerQuoteCategory

    doc = json.loads(urllib.request.urlopen(served["base"] + "/v1/openapi.json").read())
    p = new_partner(api, signin, environment="test")
    tid = p["tenant_id"]
    status, live, _ = api.call("POST", f"/v1/tenants/{tid}/api-keys", {"name": "live", "environment": "live"}, p["ops"])
    assert status == 201
    test_key = gen.AuthenticatedClient(base_url=served["base"], token=p["key"], raise_on_unexpected_status=True)
    live_key = gen.AuthenticatedClient(base_url=served["base"], token=live["secret"])
    receiver = Receiver()
    try:
        r = create_webhook.sync_detailed(tid, client=test_key, body=CreateWebhookEndpoint.from_dict(
            {"url": receiver.url}))
        assert r.status_code == 201 and r.parsed.environment == "test", r.content
        secret, endpoint_id = r.parsed.secret, r.parsed.endpoint_id

        quote = get_partner_quote.sync_detailed(client=test_key, category=GetPartnerQuoteCategory.PRINTER,
                                                lat=47.37, lon=8.54, minutes=60).parsed
        assert quote.total.amount > 0 and quote.line_items[0].code == "time"

        key = f"idem-{uuid.uuid4().hex}"
        body = PartnerCreateBooking.from_dict(partner_booking(external_ref="SBX-1"))
        first = post_partner_bookings.sync_detailed(client=test_key, body=body, idempotency_key=key)
        again = post_partner_bookings.sync_detailed(client=test_key, body=body, idempotency_key=key)
        assert (first.status_code, again.status_code) == (201, 200)
        booking = first.parsed
        assert isinstance(booking, PartnerBookingOut) and booking.sandbox is True
        assert again.parsed.booking_id == booking.booking_id

        listed = get_partner_bookings.sync_detailed(client=test_key, external_ref="SBX-1").parsed
        assert [b.booking_id for b in listed.items] == [booking.booking_id]
        # a live key of the same tenant sees no test booking and cannot move one
        assert get_partner_bookings.sync_detailed(client=live_key, external_ref="SBX-1").parsed.items == []
        assert get_partner_bookings_booking_id.sync_detailed(booking.booking_id, client=live_key).status_code == 404
        assert accept.sync_detailed(booking.booking_id, client=live_key).status_code == 403

        bid = booking.booking_id
        assert accept.sync_detailed(bid, client=test_key).parsed.state == "assigned"
        assert start.sync_detailed(bid, client=test_key).parsed.state == "started"
        done = complete.sync_detailed(bid, client=test_key, body=SandboxComplete(minutes_worked=45)).parsed
        assert done.state == "completed" and done.minutes_worked == 45

        offers = get_partner_bookings_booking_id_offers.sync_detailed(bid, client=test_key).parsed
        assert offers.items and all(o.helper.simulated for o in offers.items)
        raw = json.dumps(offers.to_dict())
        assert "@" not in raw and "phone" not in raw  # first names only, no contact data
        assert {o.helper.first_name for o in offers.items} <= {"Sam", "Robin", "Kim"}

        other = post_partner_bookings.sync_detailed(
            client=test_key, body=PartnerCreateBooking.from_dict(partner_booking(external_ref="SBX-2"))).parsed
        assert cancel.sync_detailed(other.booking_id, client=test_key,
                                    body=SandboxCancel.from_dict({"reason": "test"})).parsed.state == "cancelled"

        wanted = {"booking.created", "booking.assigned", "booking.started", "booking.completed", "booking.cancelled"}
        wait_for(lambda: wanted <= {json.loads(x["body"])["type"] for x in receiver.requests}, timeout=90,
                 what="the test booking's webhooks")
        for request in receiver.requests:
            event = verify(secret, request)
            errors = sorted(e.message for e in event_validator(doc, event["type"]).iter_errors(event))
            assert errors == [], (event, errors)
            assert event["data"]["sandbox"] is True

        # the delivery log pages
        seen, cursor = [], None
        while True:
            page = deliveries.sync_detailed(tid, endpoint_id, client=test_key, limit=2,
                                            **({"cursor": cursor} if cursor else {})).parsed
            seen += [d.message_id for d in page.items]
            cursor = page.next_cursor if isinstance(page.next_cursor, str) else None
            if not cursor:
                break
        assert len(seen) == len(set(seen)) >= len(wanted)

        # the month's (test) invoice: issued with the test key, read as JSON, CSV and PDF
        from crowdfix_client.api.sandbox import post_partner_sandbox_invoices as issue_test_invoice
        from crowdfix_client.api.tenants import (get_tenants_tenant_id_invoices as list_invoices,
                                                 get_tenants_tenant_id_invoices_number as get_invoice,
                                                 get_tenants_tenant_id_invoices_number_csv as get_invoice_csv,
                                                 get_tenants_tenant_id_invoices_number_pdf as get_invoice_pdf)
        from crowdfix_client.models import IssueInvoice

        from tests.integration.test_billing import summary
        wait_for(lambda: summary(bid)["invoiced"] > 0, timeout=60, what="the test booking invoiced")
        period = time.strftime("%Y-%m", time.gmtime())
        issued = issue_test_invoice.sync_detailed(client=test_key, body=IssueInvoice(period=period))
        assert issued.status_code == 201, issued.content
        invoice = issued.parsed
        assert invoice.test is True and [line.booking_id for line in invoice.lines] == [bid]
        assert invoice.total == invoice.net + invoice.vat and invoice.gross == summary(bid)["invoiced"]
        listing = list_invoices.sync_detailed(tid, client=test_key).parsed
        assert [i.number_display for i in listing.items] == [invoice.number_display]
        assert list_invoices.sync_detailed(tid, client=live_key).parsed.items == []  # a live key: live invoices
        assert get_invoice.sync_detailed(tid, invoice.number, client=test_key).parsed.to_dict() == invoice.to_dict()
        csv_reply = get_invoice_csv.sync_detailed(tid, invoice.number, client=test_key)
        assert csv_reply.status_code == 200 and csv_reply.headers["content-type"].startswith("text/csv")
        assert bid in csv_reply.content.decode() and f",{invoice.total}," in csv_reply.content.decode()
        pdf_reply = get_invoice_pdf.sync_detailed(tid, invoice.number, client=test_key)
        assert pdf_reply.status_code == 200 and pdf_reply.parsed.payload.read().startswith(b"%PDF-")
    finally:
        receiver.close()

    # never offered to a real helper; its messages recorded, not sent
    status, ops_offers, _ = api.call("GET", f"/v1/ops/bookings/{bid}/offers", None, p["ops"])
    assert status == 200 and all(o["helper"]["helper_id"].startswith("h_sim_") for o in ops_offers["items"])
    status, messages, _ = api.call("GET", f"/v1/bookings/{bid}/messages", None, p["ops"])
    assert status == 200 and messages["items"], messages
    statuses = {m["status"] for m in messages["items"]}
    assert "recorded" in statuses and statuses <= {"recorded", "undeliverable", "skipped"}, messages
    assert "Traceback" not in served["log"].read_text()


def test_patch_is_a_merge_patch(api, signin):
    p = new_partner(api, signin)
    tid, ops = p["tenant_id"], p["ops"]
    status, tenant, _ = api.call("PATCH", f"/v1/tenants/{tid}", {"branding": {"logo_url": "https://p.example/l.png"}},
                                 {**ops, "Content-Type": "application/merge-patch+json"})
    assert status == 200, tenant
    assert tenant["branding"]["primary"] == "#aa0044" and tenant["branding"]["accent"] == "#ffcc00"
    assert tenant["branding"]["logo_url"] == "https://p.example/l.png"
    status, tenant, _ = api.call("PATCH", f"/v1/tenants/{tid}", {"branding": {"logo_url": None}}, ops)
    assert status == 200 and tenant["branding"]["logo_url"] is None and tenant["branding"]["primary"] == "#aa0044"
