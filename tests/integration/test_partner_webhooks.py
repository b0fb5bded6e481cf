"""Outbound webhooks through the real queue and the pump: Standard Webhooks signatures verified by
the ``standardwebhooks`` library in a local receiver on 127.0.0.1, back-off after failures, the
delivery log, redelivery, and the dead-letter queue after the 3-day window. Told as given / when / then."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.integration.partner_fixtures import new_partner, partner_booking
from tests.stack_fixtures import wait_for

pytestmark = pytest.mark.integration


# ---- given / when ----------------------------------------------------------------------------------

class Receiver:
    """A partner's webhook endpoint: answers the first ``fail_first`` requests with 500."""

    def __init__(self, fail_first=0, always_fail=False):
        self.requests: list[dict] = []
        self.fail_first = fail_first
        self.always_fail = always_fail
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                n = len(receiver.requests)
                receiver.requests.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body,
                                          "at": time.time()})
                failing = receiver.always_fail or n < receiver.fail_first
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture()
def fast_backoff(monkeypatch):
    # 30 s base * 0.2 = 6 s, then 12 s: the same doubling schedule, shrunk for the test
    monkeypatch.setenv("CROWDFIX_WEBHOOK_BACKOFF_SCALE", "0.2")


def verify(secret, request):
    from standardwebhooks.webhooks import Webhook
    return Webhook(secret).verify(request["body"], request["headers"])


def given_a_partner_with_an_endpoint(api, signin, receiver, events) -> tuple[dict, dict]:
    """A partner whose webhook endpoint (at ``receiver``) subscribes to ``events``: ``(partner, endpoint)``."""
    p = new_partner(api, signin)
    status, ep, _ = api.call("POST", f"/v1/tenants/{p['tenant_id']}/webhooks", {"url": receiver.url, "events": events},
                             p["h"])
    assert status == 201 and ep["secret"].startswith("whsec_"), ep
    return p, ep


def types_received(receiver) -> list[str]:
    return [json.loads(r["body"])["type"] for r in receiver.requests]


def test_a_failing_endpoint_gets_the_signed_event_again_with_backoff_logged_and_redelivered(api, signin, pump,
                                                                                            fast_backoff):
    """One event's delivery, told step by step: its retries, its log, a replayed record, a redelivery."""
    receiver = Receiver(fail_first=2)
    try:
        # given a partner whose endpoint answers 500 twice, then 204
        p, ep = given_a_partner_with_an_endpoint(api, signin, receiver, ["booking.created", "booking.cancelled"])
        tid, h = p["tenant_id"], p["h"]
        # when the partner books
        status, booking, _ = api.call("POST", "/v1/partner/bookings", partner_booking(external_ref="WH-1"), h)
        assert status == 201
        # then the endpoint gets booking.created three times: the same message, each attempt signed
        wait_for(lambda: len(receiver.requests) >= 3, timeout=90, what="three attempts")
        first, second, third = receiver.requests[:3]
        assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"] == third["headers"]["webhook-id"]
        event = verify(ep["secret"], third)
        assert event["type"] == "booking.created" and event["data"]["booking_id"] == booking["booking_id"]
        assert event["data"]["external_ref"] == "WH-1"
        assert all(verify(ep["secret"], r) == event for r in (first, second))
        # and no retry came before its delay (6 s, then doubled to 12 s)
        gap1, gap2 = second["at"] - first["at"], third["at"] - second["at"]
        assert gap1 >= 6.0 - 1.0 and gap2 >= 12.0 - 1.0, (gap1, gap2)

        # then the delivery log shows three attempts: 500, 500, 204
        def logged():
            s, log, _ = api.call("GET", f"/v1/tenants/{tid}/webhooks/{ep['endpoint_id']}/deliveries", headers=h)
            items = [d for d in log["items"] if d["event_type"] == "booking.created"]
            return items[0] if items and items[0]["status"] == "delivered" else None
        delivery = wait_for(logged, what="the delivered entry in the log")
        assert delivery["attempts"] == 3 and [a["status"] for a in delivery["attempt_log"]] == [500, 500, 204]

        # when the pump is idle (any redelivered stream record handled), then the event was not sent again
        pump.wait_idle(timeout=20)
        assert types_received(receiver).count("booking.created") == 3

        # when the partner asks for a redelivery
        status, _, _ = api.call(
            "POST", f"/v1/tenants/{tid}/webhooks/{ep['endpoint_id']}/deliveries/{delivery['message_id']}/redeliver",
            headers=h)
        assert status == 202
        # then it comes once more: the same webhook-id, a fresh valid signature
        wait_for(lambda: len(receiver.requests) >= 4, timeout=30, what="the redelivery")
        assert receiver.requests[3]["headers"]["webhook-id"] == delivery["message_id"]
        assert verify(ep["secret"], receiver.requests[3])["type"] == "booking.created"
    finally:
        receiver.close()


def test_a_cancelled_booking_sends_booking_cancelled_and_only_subscribed_events(api, signin, pump):
    receiver = Receiver()
    try:
        # given a partner whose endpoint subscribes to booking.created and booking.cancelled, and its booking
        p, _ = given_a_partner_with_an_endpoint(api, signin, receiver, ["booking.created", "booking.cancelled"])
        status, booking, _ = api.call("POST", "/v1/partner/bookings", partner_booking(external_ref="WH-2"), p["h"])
        assert status == 201
        wait_for(lambda: "booking.created" in types_received(receiver), timeout=30, what="booking.created")
        # when the partner cancels it
        assert api.call("POST", f"/v1/partner/bookings/{booking['booking_id']}/cancel", {}, p["h"])[0] == 200
        # then booking.cancelled arrives, and nothing it did not subscribe to (no booking.assigned etc.)
        wait_for(lambda: "booking.cancelled" in types_received(receiver), timeout=30, what="booking.cancelled")
        pump.wait_idle(timeout=20)
        assert set(types_received(receiver)) == {"booking.created", "booking.cancelled"}
    finally:
        receiver.close()


def test_after_three_days_of_failures_the_message_goes_to_the_dead_letter_queue(api, signin, stack):
    from chalicelib.aws import client
    from chalicelib.models.partners import WebhookDelivery
    from chalicelib.queues import WEBHOOK_DELIVERIES
    from chalicelib.services import webhooks as wh

    receiver = Receiver(always_fail=True)
    try:
        # given a partner whose endpoint always fails, and an event for it
        p, ep = given_a_partner_with_an_endpoint(api, signin, receiver, ["booking.created"])
        msg_ids = wh.publish(p["tenant_id"], "booking.created", {"booking_id": "b_dlqtest"}, source="dlq-test",
                             occurred_at="2026-01-01T00:00:00Z")
        assert len(msg_ids) == 1
        message = {"endpoint_id": ep["endpoint_id"], "message_id": msg_ids[0], "tenant_id": p["tenant_id"]}
        # when the first attempt fails, and the last one, just past the 3-day window since the first
        t0 = time.time()
        assert wh.deliver(message, now=t0).startswith("retry in")
        assert wh.deliver(message, now=t0 + 3 * 24 * 3600 - 10) == "failed"
        # then the delivery is failed after at least those two attempts
        d = WebhookDelivery.get(ep["endpoint_id"], msg_ids[0], consistent_read=True)
        # the session's pump may also have delivered the queued message once: at least our two attempts
        assert d.status == "failed" and int(d.attempts) >= 2 and len(receiver.requests) >= 2

        # and the message is in the dead-letter queue
        sqs = client("sqs")
        url = sqs.get_queue_url(QueueName=WEBHOOK_DELIVERIES.dlq_name)["QueueUrl"]
        found = []
        for _ in range(5):
            for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
                found.append(json.loads(m["Body"]))
            if any(f.get("message_id") == msg_ids[0] for f in found):
                break
        # the dead-letter queue is shared by every kind of work message
        assert any(f.get("message_id") == msg_ids[0] for f in found)
    finally:
        receiver.close()


def test_webhook_urls_must_be_https_outside_loopback(api, signin):
    # given a partner
    p = new_partner(api, signin)
    # when it registers a plain-http endpoint on another host
    status, problem, _ = api.call("POST", f"/v1/tenants/{p['tenant_id']}/webhooks",
                                  {"url": "http://partner.example/hook"}, p["h"])
    # then it is 422 naming the url
    assert status == 422 and problem["field"] == "url"
