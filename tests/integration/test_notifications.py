"""Notifications end to end on the local stack: booking transitions -> queue -> e-mail (moto SES),
SMS (moto SNS) and Web Push (encrypted, decrypted by the local stand-in push service). Told as
given / when / then."""
import json
import re
import os
import uuid

import pytest

from tests.stack_fixtures import booking_body, wait_for

pytestmark = pytest.mark.integration


# ---- given / when ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def push_service(stack):
    from chalicelib.adapters.webpush import generate_vapid_private_key
    from localdev.pushserver import PushStandIn

    # a VAPID key made for this test session only; never a key in the repo
    os.environ.setdefault("CROWDFIX_VAPID_PRIVATE_KEY", generate_vapid_private_key())
    os.environ["CROWDFIX_NOTIFY_RETRY_BASE_SECONDS"] = "1"
    os.environ["CROWDFIX_NOTIFY_RETRY_MAX_SECONDS"] = "2"
    server = PushStandIn().start()
    yield server
    server.stop()


def make_helper(lang="fr", on_call=True, phone=None):
    from chalicelib.models.base import now_iso
    from chalicelib.models.helpers import Helper

    hid = f"h_nt{uuid.uuid4().hex[:12]}"
    email = f"{hid}@helpers.example.org"
    Helper(helper_id=hid, tenant_id="crowdfix", email=email, email_key=f"crowdfix#{email}", name="Claire Dubois",
           first_name="Claire", phone=phone, skills={"printer": 3}, lat=47.38, lon=8.54, city="Zürich",
           service_radius_km=10, hourly_rate=6000, languages=[lang], on_call=on_call, status="active",
           tenant_status="crowdfix#active", rating_count=4, rating_sum=19, payout_ready=True,
           created_at=now_iso()).save()
    return hid, email


def emails_to(stack, address):
    from localdev.services import read_sent_emails
    return [m for m in read_sent_emails(stack["services"].moto_url) if address in json.dumps(m)]


def sms_to(stack, phone):
    from localdev.services import read_sent_sms
    return [m for m in read_sent_sms(stack["services"].moto_url) if phone in json.dumps(m)]


def log_rows(booking_or_scope):
    from chalicelib.models.notification_log import NotificationLog
    return list(NotificationLog.query(booking_or_scope, consistent_read=True))


def pushes_for(server, subscription):
    sid = subscription["endpoint"].rsplit("/", 1)[1]
    return [m for m in server.messages() if m["subscription"] == sid]


def subscribe(api, server, headers):
    sub = server.subscribe()
    status, view, _ = api.call("POST", "/v1/push/subscriptions", {**sub, "device": "Phone"}, headers)
    assert status == 201, view
    return sub, view


def test_booking_life_notifies_each_party_once_in_their_language(api, signin, pump, stack, push_service):
    """One booking's whole life, told step by step: who hears what, in which language, once."""
    # given a French helper subscribed to push, and a customer whose SMS number is confirmed
    hid, hemail = make_helper("fr")
    helper = signin(hemail, "helper")
    sub, _ = subscribe(api, push_service, helper)
    customer = signin()
    phone = f"+4179{uuid.uuid4().int % 10**7:07d}"
    status, prefs, _ = api.call("PUT", "/v1/me/notification-settings", {"sms": True, "phone": phone}, customer)
    assert status == 200 and prefs["sms"] is True and prefs["phone_verified"] is False
    # SMS go only to a number confirmed with a texted code (issue 16; tests/security/test_phone_verification.py)
    assert api.call("POST", "/v1/me/phone-verification", {"phone": phone}, customer)[0] == 202
    code = re.search(r"\b(\d{6})\b", json.dumps(wait_for(lambda: sms_to(stack, phone)))).group(1)
    assert api.call("POST", "/v1/me/phone-verification/confirm", {"code": code}, customer)[0] == 200
    before = len(sms_to(stack, phone))

    # when she books the helper, in Italian
    status, booking, _ = api.call("POST", "/v1/bookings", booking_body(preferred_helper_id=hid, language="it"),
                                  customer)
    assert status == 201, booking
    bid = booking["booking_id"]

    # then the offer reaches the helper's browser: encrypted on the wire, French, with the accept link
    # (this booking's: a fresh helper near Zürich may also be offered another test's booking in its next round)
    push = wait_for(lambda: [p for p in pushes_for(push_service, sub) if p["status"] == 201
                             and str((p.get("payload") or {}).get("url", "")).endswith(f"/helper/offers/{bid}")])[0]
    assert push["encoding"] == "aes128gcm" and push["ciphertext_contains_plaintext"] is False
    assert push["payload"]["title"].startswith("Nouvelle mission") and push["payload"]["url"].endswith(
        f"/helper/offers/{bid}")
    assert push["vapid"]["sub"].startswith("mailto:")

    # and the customer hears in Italian, by e-mail (HTML + text) and SMS
    received = wait_for(lambda: emails_to(stack, customer["_email"]))
    assert "Abbiamo ricevuto la sua richiesta" in json.dumps(received, ensure_ascii=False)
    assert wait_for(lambda: len(sms_to(stack, phone)) > before)

    # when the helper accepts, then she is told who comes, when, and how they are rated
    assert api.call("POST", f"/v1/bookings/{bid}/accept", headers=helper)[0] == 200
    assigned = wait_for(lambda: [m for m in emails_to(stack, customer["_email"]) if "Claire la aiuterà"
                                 in json.dumps(m, ensure_ascii=False)])
    text = json.dumps(assigned, ensure_ascii=False)
    assert "arriva verso le" in text and "Valutazione 4.8 su 5 (4 recensioni)" in text

    # when the helper departs, then she gets an SMS; when the job is done, the completion mail with the time
    assert api.call("POST", f"/v1/bookings/{bid}/depart", headers=helper)[0] == 200
    wait_for(lambda: [m for m in sms_to(stack, phone) if "Claire sta venendo" in json.dumps(m, ensure_ascii=False)])
    assert api.call("POST", f"/v1/bookings/{bid}/start", headers=helper)[0] == 200
    assert api.call("POST", f"/v1/bookings/{bid}/complete", {"minutes_worked": 50}, helper)[0] == 200
    receipt = wait_for(lambda: [m for m in emails_to(stack, customer["_email"]) if "Tempo di lavoro: 50 minuti"
                                in json.dumps(m, ensure_ascii=False)])
    assert "Al massimo CHF 250.00" in json.dumps(receipt, ensure_ascii=False)

    # then, all settled, each (event, recipient, channel) went out once
    pump.wait_idle(timeout=30)
    rows = log_rows(bid)
    sent = sorted((r.event_type, r.recipient_role, r.channel) for r in rows if r.status == "sent")
    assert sent == sorted([
        ("booking_received", "customer", "email"), ("booking_received", "customer", "sms"),
        ("offer", "helper", "push"),
        ("helper_assigned", "customer", "email"), ("helper_assigned", "customer", "sms"),
        ("helper_on_the_way", "customer", "email"), ("helper_on_the_way", "customer", "sms"),
        ("booking_completed", "customer", "email"), ("payment_receipt", "customer", "email"),
        ("review_request", "customer", "email")])  # from reviews, through the same queue
    assert all(int(r.attempts) == 1 for r in rows)
    review_mail = json.dumps(emails_to(stack, customer["_email"]), ensure_ascii=False)
    assert f"/review/{bid}#token=" in review_mail
    assert len([m for m in emails_to(stack, customer["_email"]) if "Abbiamo ricevuto" in
                json.dumps(m, ensure_ascii=False)]) == 1

    # and in the booking's messages the customer sees theirs, the helper theirs, ops all
    status, mine, _ = api.call("GET", f"/v1/bookings/{bid}/messages", headers=customer)
    assert status == 200 and {m["to"] for m in mine["items"]} == {"customer"} and len(mine["items"]) == 9
    assert all("@" not in (m["address"] or "") or "***" in m["address"] for m in mine["items"])
    status, theirs, _ = api.call("GET", f"/v1/bookings/{bid}/messages", headers=helper)
    assert [(m["event"], m["channel"]) for m in theirs["items"]] == [("offer", "push")]
    ops = signin("ops@crowdfix.local", "ops")
    assert len(api.call("GET", f"/v1/bookings/{bid}/messages", headers=ops)[1]["items"]) == 10


def test_customer_cancel_after_assignment_tells_the_helper(api, signin, pump, stack, push_service):
    # given a German helper subscribed to push who accepted an English customer's booking
    hid, hemail = make_helper("de")
    helper = signin(hemail, "helper")
    sub, _ = subscribe(api, push_service, helper)
    customer = signin()
    bid = api.call("POST", "/v1/bookings", booking_body(preferred_helper_id=hid, language="en"), customer)[1][
        "booking_id"]
    wait_for(lambda: pushes_for(push_service, sub), what="the offer pushed")
    assert api.call("POST", f"/v1/bookings/{bid}/accept", headers=helper)[0] == 200
    # when the customer cancels
    assert api.call("POST", f"/v1/bookings/{bid}/cancel", {"reason": "fixed it"}, customer)[0] == 200
    # then the helper is pushed in German that they need not go, and she gets her confirmation
    cancel = wait_for(lambda: [p for p in pushes_for(push_service, sub)
                               if p.get("payload", {}).get("title", "").startswith("Auftrag storniert")])
    assert "müssen nicht hingehen" in cancel[0]["payload"]["body"]
    wait_for(lambda: [m for m in emails_to(stack, customer["_email"]) if "Cancelled (" in json.dumps(m)])
    # the helper also gets it by e-mail (the table says push, SMS, e-mail)
    wait_for(lambda: [m for m in emails_to(stack, hemail) if "Auftrag storniert" in json.dumps(m, ensure_ascii=False)])


def test_unmatched_booking_tells_customer_and_ops(stack, push_service):
    from chalicelib.services.notification_delivery import deliver
    from chalicelib.services.notifications import events_for_transition

    # given a booking that went through three rounds
    booking = {"booking_id": f"b_nt{uuid.uuid4().hex[:10]}", "tenant_id": "crowdfix", "customer_id": "c_x",
               "category": "tv", "mode": "onsite", "location": {"postcode": "8004", "city": "Zürich"},
               "dispatch_round": 3}
    # when it is unmatched, then the customer and ops are to be told
    events = events_for_transition(booking, {"transition": "unmatch", "rounds": 3, "v": 7}, None)
    roles = {(e, r["role"]) for e, r, _ in events}
    assert ("no_helper_found", "customer") in roles and ("no_helper_found", "ops") in roles
    ops_event = next(ev for ev in events if ev[1]["role"] == "ops")
    msg = {"event_type": "no_helper_found", "event_id": "t#" + booking["booking_id"],
           "booking_id": booking["booking_id"], "tenant_id": "crowdfix", "recipient": ops_event[1],
           "data": ops_event[2]}
    # and ops' e-mail, in German, says which booking found nobody after 3 rounds
    assert deliver(msg) == [{"channel": "email", "status": "sent"}]
    mail = json.dumps(emails_to(stack, ops_event[1]["id"])[-1], ensure_ascii=False)
    assert "Keine Vermittlung" in mail and "nach 3 Runden" in mail and booking["booking_id"] in mail


def test_duplicate_events_send_once(stack, pump, push_service):
    from chalicelib.services.notifications import enqueue_notification

    # given an Italian helper
    hid, hemail = make_helper("it")
    # when one payout notification is enqueued three times
    for _ in range(3):  # e.g. the payments capability retrying its own step
        enqueue_notification("payout_sent", None, {"role": "helper", "id": hid}, {"amount": 4250, "currency": "CHF"},
                             tenant_id="crowdfix", event_id=f"payout#{hid}#1")
    # then one e-mail went out, sent once
    wait_for(lambda: emails_to(stack, hemail), what="the payout e-mail")
    pump.wait_idle(timeout=30)
    mails = emails_to(stack, hemail)
    assert len(mails) == 1 and "Pagamento in arrivo: CHF 42.50" in json.dumps(mails, ensure_ascii=False)
    rows = log_rows(f"recipient#helper#{hid}")
    assert [(r.channel, r.status, int(r.attempts)) for r in rows] == [("email", "sent", 1)]
    # once-only comes from those claims alone: the consumer keeps no per-message guard records
    from chalicelib.models.idempotency import IdempotencyRecord
    assert not list(IdempotencyRecord.scan(IdempotencyRecord.key.startswith("evt#notifications#"), limit=1, page_size=1000))


def test_failing_channel_is_retried_with_backoff_then_kept_in_the_failure_store(stack, pump, push_service, monkeypatch):
    from chalicelib.queues import NOTIFICATIONS
    from chalicelib.services import notification_delivery as svc
    from chalicelib.services.notifications import enqueue_notification

    # given SES down for one helper's address
    hid, hemail = make_helper("de")
    real = svc.SENDERS["email"]

    def flaky(target, rendered, tenant):
        if target["to"] == hemail:
            raise ConnectionError("SES is down")
        return real(target, rendered, tenant)

    monkeypatch.setitem(svc.SENDERS, "email", flaky)
    # when a notification for them is enqueued
    event_id = f"payout#{hid}#dlq"
    enqueue_notification("payout_sent", None, {"role": "helper", "id": hid}, {"amount": 100, "currency": "CHF"},
                         tenant_id="crowdfix", event_id=event_id)
    from chalicelib.services.failures import list_failures

    def in_failure_store():
        # after its last try the message is not dropped into a dead-letter queue but kept, with
        # its reason, in the failure store that ops see and replay
        return [f for f in list_failures(None, "open", limit=200)
                if f.kind == "notifications" and json.loads(f.payload).get("event_id") == event_id]

    # then after its last try it is kept in the failure store, the log saying why
    [failed] = wait_for(in_failure_store, timeout=90, what="the failure store entry")
    assert failed.attempts == NOTIFICATIONS.max_receive_count and "push failed" not in failed.error
    assert "DeliveryFailed" in failed.error
    row = log_rows(f"recipient#helper#{hid}")[0]
    assert row.status == "failed" and int(row.attempts) == NOTIFICATIONS.max_receive_count
    assert "SES is down" in row.error and not emails_to(stack, hemail)


def test_expired_push_subscription_is_removed(api, signin, stack, push_service):
    from chalicelib.services.notification_delivery import deliver

    # given a helper's push subscription the push service says is gone
    hid, hemail = make_helper("en")
    helper = signin(hemail, "helper")
    sub, view = subscribe(api, push_service, helper)
    push_service.mark_gone(sub["endpoint"].rsplit("/", 1)[1])
    msg = {"event_type": "offer_withdrawn", "event_id": f"t#{hid}", "booking_id": f"b_nt{hid[4:]}",
           "tenant_id": "crowdfix", "recipient": {"role": "helper", "id": hid}, "data": {"area": "8001 Zürich"}}
    # when a message is delivered, then the push answers 410 and the subscription is removed
    assert deliver(msg) == [{"channel": "push", "status": "gone"}]
    assert [p["status"] for p in pushes_for(push_service, sub)] == [410]
    assert api.call("GET", "/v1/push/subscriptions", headers=helper)[1]["items"] == []
    # and the next message has no channel left
    assert deliver(msg) == [{"channel": "none", "status": "undeliverable"}]


@pytest.mark.parametrize("on_call,expected,pushed", [(False, "skipped", 0), (True, "sent", 1)])
def test_quiet_hours_hold_back_push_unless_on_call(api, signin, stack, push_service, on_call, expected, pushed):
    from datetime import datetime, timedelta, timezone

    from chalicelib.services.notification_delivery import deliver

    # given a helper (on call or not) subscribed to push, whose quiet hours are now
    now = datetime.now(timezone.utc)
    quiet = {"start": (now - timedelta(hours=1)).strftime("%H:%M"), "end": (now + timedelta(hours=1)).strftime("%H:%M"),
             "tz": "UTC"}
    hid, hemail = make_helper("en", on_call=on_call)
    helper = signin(hemail, "helper")
    sub, _ = subscribe(api, push_service, helper)
    assert api.call("PUT", "/v1/me/notification-settings", {"quiet_hours": quiet}, helper)[0] == 200
    # when a message for them is delivered
    msg = {"event_type": "offer_withdrawn", "event_id": f"t#{hid}", "booking_id": f"b_nt{hid[4:]}",
           "tenant_id": "crowdfix", "recipient": {"role": "helper", "id": hid}, "data": {}}
    # then the push is held back, unless they are on call
    assert deliver(msg, now=now) == [{"channel": "push", "status": expected}]
    assert len(pushes_for(push_service, sub)) == pushed


def test_the_vapid_public_key_is_served(api, stack, push_service):
    import base64
    # when a browser asks for the key to subscribe with, then it is an uncompressed P-256 point
    status, key, _ = api.call("GET", "/v1/push/vapid-public-key")
    assert status == 200 and len(base64.urlsafe_b64decode(key["public_key"] + "==")) == 65


def test_a_push_subscription_must_be_the_push_services_and_carry_its_keys(api, signin, stack, push_service):
    # given a signed-in helper and a subscription of the push service
    _, hemail = make_helper("de")
    helper = signin(hemail, "helper")
    sub = push_service.subscribe()
    # when the endpoint is another host, or the keys are missing, then 422 naming it; without sign-in 401
    status, problem, _ = api.call("POST", "/v1/push/subscriptions",
                                  {**sub, "endpoint": "https://evil.example/steal"}, helper)
    assert status == 422 and problem["field"] == "endpoint"
    status, problem, _ = api.call("POST", "/v1/push/subscriptions", {"endpoint": sub["endpoint"]}, helper)
    assert status == 422 and problem["field"] == "keys"
    assert api.call("POST", "/v1/push/subscriptions", sub)[0] == 401


def test_a_push_subscription_is_kept_once_and_removed_only_by_its_owner(api, signin, stack, push_service):
    # given a helper's subscription
    _, hemail = make_helper("de")
    helper = signin(hemail, "helper")
    sub = push_service.subscribe()
    status, view, _ = api.call("POST", "/v1/push/subscriptions", sub, helper)
    assert status == 201
    # when the same device subscribes again, then it is the same subscription
    assert api.call("POST", "/v1/push/subscriptions", sub, helper)[0] == 200
    # when someone else deletes it, then it does not exist for them; its owner deletes it
    assert api.call("DELETE", f"/v1/push/subscriptions/{view['subscription_id']}", headers=signin())[0] == 404
    assert api.call("DELETE", f"/v1/push/subscriptions/{view['subscription_id']}", headers=helper)[0] == 200
    assert api.call("GET", "/v1/push/subscriptions", headers=helper)[1]["items"] == []


@pytest.mark.parametrize("settings,field", [
    ({"sms": True, "phone": "12"}, "phone"), ({"sms": True}, "phone"),
    ({"quiet_hours": {"start": "22:00", "end": "06:00"}}, "quiet_hours"),
])
def test_malformed_notification_settings_are_422_naming_the_field(api, signin, stack, settings, field):
    # when a customer turns SMS on without a usable number, or gives quiet hours without a time zone
    status, problem, _ = api.call("PUT", "/v1/me/notification-settings", settings, signin())
    # then it is 422 naming the field
    assert status == 422 and problem["field"] == field


def test_messages_of_someone_elses_booking_are_not_found(api, signin, stack):
    # given a customer's booking, and another customer
    owner, stranger = signin(), signin()
    bid = api.call("POST", "/v1/bookings", booking_body(mode="remote", location=None), owner)[1]["booking_id"]
    # when each reads its messages, then it is not found for the stranger; a malformed id is 422
    assert api.call("GET", f"/v1/bookings/{bid}/messages", headers=stranger)[0] == 404
    assert api.call("GET", f"/v1/bookings/{bid}/messages", headers=owner)[0] == 200
    assert api.call("GET", "/v1/bookings/nope/messages", headers=owner)[0] == 422


def test_failed_send_hides_the_message_for_the_backoff(stack, push_service, monkeypatch):
    """The consumer itself delays a failed message's next try (its visibility), growing with each
    receive: here the message received with visibility 0 must stay hidden afterwards."""
    from chalicelib.aws import client
    from chalicelib.services import notification_delivery as svc

    # a private queue of its own (the record names it, as Lambda's do): nothing else in the process
    # is redirected, so the session's pump keeps delivering everyone else's messages where they belong
    # given a message on a queue of its own whose e-mail will time out
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=f"crowdfix-local-backoff-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    monkeypatch.setenv("CROWDFIX_NOTIFY_RETRY_BASE_SECONDS", "60")
    monkeypatch.setenv("CROWDFIX_NOTIFY_RETRY_MAX_SECONDS", "900")
    hid, hemail = make_helper("de")
    monkeypatch.setitem(svc.SENDERS, "email", lambda *a: (_ for _ in ()).throw(TimeoutError("SES timed out")))
    msg = {"v": 1, "event_type": "payout_sent", "event_id": f"t#{hid}", "booking_id": None, "tenant_id": "crowdfix",
           "recipient": {"role": "helper", "id": hid}, "data": {"amount": 1, "currency": "CHF"}}
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(msg))
    got = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0, AttributeNames=["All"])["Messages"][0]
    record = {"messageId": got["MessageId"], "receiptHandle": got["ReceiptHandle"], "body": got["Body"],
              "attributes": got["Attributes"], "eventSourceARN": arn}
    from chalicelib.handlers.notifications import on_notification

    # when the consumer handles it and fails
    result = on_notification({"Records": [record]})
    # then it reports the item failed and the message stays hidden for the back-off
    assert result == {"batchItemFailures": [{"itemIdentifier": got["MessageId"]}]}
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages") is None
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert svc.retry_delay(1) == 60 and svc.retry_delay(3) == 240 and svc.retry_delay(10) == 900
    sqs.delete_queue(QueueUrl=url)
