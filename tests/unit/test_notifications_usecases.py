"""Notifications as use cases against the in-memory store: no JVM, no network.

Which channels a message goes out on (the routing table narrowed by what the person has and chose),
quiet hours, exactly-once per channel across redeliveries, retries of a failed channel only, an
expired push subscription, and the settings a person reads and saves. The channel senders are
replaced by recorders; the same repositories run on DynamoDB Local in
tests/integration/test_store_dynamo.py (the contract) and the whole path over the queue in
tests/integration/test_notifications.py.
"""
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.notification_schemas import NotificationSettings, PushSubscriptionIn
from chalicelib.services import notification_delivery as delivery
from chalicelib.services import notification_messages, notification_settings
from chalicelib.store import memory_repos, using
from chalicelib.store.records import (BookingFacts, CustomerRecord, HelperReach, NotificationPrefsRecord,
                                      PhoneVerificationRecord, PushSubscriptionRecord)

TENANT = "crowdfix"
NOON = datetime(2026, 12, 2, 11, 0, tzinfo=timezone.utc)  # 12:00 in Zurich
NIGHT = datetime(2026, 12, 2, 22, 0, tzinfo=timezone.utc)  # 23:00 in Zurich: helpers' quiet hours
PHONE = "+41791234567"


@pytest.fixture()
def store(monkeypatch):
    from chalicelib.services import tenants

    monkeypatch.setattr(tenants, "get_tenant", lambda tenant_id: SimpleNamespace(
        name="crowdfix", branding=None, locale="de", currency="CHF"))
    with using(memory_repos()) as r:
        yield r


@pytest.fixture()
def sent(monkeypatch):
    """What each channel was asked to send: ``[(channel, to)]``."""
    out: list[tuple[str, str]] = []

    def recorder(channel):
        def send(target, rendered, tenant):
            assert rendered["title"] and rendered["text"]
            out.append((channel, target.get("to") or target["sub"].endpoint))
            return f"{channel}-{len(out)}"
        return send

    for channel in ("email", "sms", "push"):
        monkeypatch.setitem(delivery.SENDERS, channel, recorder(channel))
    return out


# ---- given ---------------------------------------------------------------------------------------

def given_customer(store, customer_id="c_erika", email="erika@example.org", phone=PHONE, language="fr"):
    store.world.customers[customer_id] = CustomerRecord(customer_id=customer_id, tenant_id=TENANT, email=email,
                                                        created_at="2026-12-01T10:00:00.000Z", phone=phone,
                                                        language=language)
    return Actor("customer", customer_id, TENANT)


def given_helper(store, helper_id="h_anna", on_call=False, phone=PHONE):
    store.world.helper_reach[helper_id] = HelperReach(helper_id=helper_id, tenant_id=TENANT, status="active",
                                                      first_name="Anna", email=f"{helper_id}@example.org",
                                                      phone=phone, languages=("de",), on_call=on_call,
                                                      lat=47.37, lon=8.54)
    return Actor("helper", helper_id, TENANT)


def given_prefs(store, actor, **over):
    values = dict(owner=f"{actor.role}#{actor.id}", tenant_id=TENANT, updated_at="2026-12-01T10:00:00.000Z")
    values.update(over)
    store.world.notification_prefs[values["owner"]] = NotificationPrefsRecord(**values)


def given_verified_phone(store, actor, phone=PHONE):
    key = f"phone#{actor.role}#{actor.id}"
    store.world.phones[key] = PhoneVerificationRecord(key=key, verified_phone=phone, verified_at=1.0)


def given_push_subscription(store, actor, n="a"):
    sub = PushSubscriptionRecord(owner=f"{actor.role}#{actor.id}", subscription_id=f"ps_{n}", tenant_id=TENANT,
                                 endpoint=f"https://push.example.org/{n}", p256dh="k" * 87, auth="a" * 22,
                                 created_at="2026-12-01T10:00:00.000Z", device="Phone")
    store.world.push_subscriptions[(sub.owner, sub.subscription_id)] = sub
    return sub


def given_booking(store, booking_id="b_1", customer_id="c_erika", helper_id=None, language="fr"):
    store.world.bookings[booking_id] = BookingFacts(booking_id=booking_id, tenant_id=TENANT, customer_id=customer_id,
                                                    state="requested", updated_at="2026-12-02T10:00:00.000Z",
                                                    helper_id=helper_id, language=language)


def message(event_type, actor, booking_id="b_1", event_id=None, **data):
    return {"v": 1, "event_type": event_type, "event_id": event_id or f"{booking_id}#v1#{event_type}",
            "booking_id": booking_id, "tenant_id": TENANT, "recipient": {"role": actor.role, "id": actor.id},
            "language": None, "data": {"category": "printer", "ref": "ABC123", **data}}


def statuses(outcomes) -> dict[str, str]:
    return {o["channel"]: o["status"] for o in outcomes}


# ---- channel choice ------------------------------------------------------------------------------

def test_a_customer_without_sms_gets_her_message_by_e_mail_only(store, sent):
    erika = given_customer(store)
    given_booking(store)
    outcomes = delivery.deliver(message("booking_received", erika), now=NOON)
    assert statuses(outcomes) == {"email": "sent"}
    assert sent == [("email", "erika@example.org")]


def test_sms_goes_only_to_a_number_she_verified(store, sent):
    erika = given_customer(store)
    given_booking(store)
    given_prefs(store, erika, sms=True, phone=PHONE)
    assert statuses(delivery.deliver(message("booking_received", erika, event_id="e-unverified"), now=NOON)) == \
        {"email": "sent"}
    given_verified_phone(store, erika)
    assert statuses(delivery.deliver(message("booking_received", erika, event_id="e-verified"), now=NOON)) == \
        {"email": "sent", "sms": "sent"}
    assert ("sms", PHONE) in sent


def test_e_mail_switched_off_and_no_other_channel_is_recorded_undeliverable(store, sent):
    erika = given_customer(store)
    given_booking(store)
    given_prefs(store, erika, email=False)
    assert delivery.deliver(message("booking_received", erika), now=NOON) == \
        [{"channel": "none", "status": "undeliverable"}]
    assert sent == []
    (row,) = store.notification_log.for_scope("b_1")
    assert (row.status, row.error) == ("undeliverable", "no usable channel for this recipient")


def test_each_registered_browser_gets_a_push(store, sent):
    anna = given_helper(store)
    given_booking(store, helper_id="h_anna")
    given_push_subscription(store, anna, "a")
    given_push_subscription(store, anna, "b")
    outcomes = delivery.deliver(message("offer_withdrawn", anna), now=NOON)
    assert [o["status"] for o in outcomes] == ["sent", "sent"]
    assert sorted(to for _, to in sent) == ["https://push.example.org/a", "https://push.example.org/b"]


def test_in_quiet_hours_a_helper_is_not_interrupted_but_still_gets_the_e_mail(store, sent):
    anna = given_helper(store)
    given_booking(store, helper_id="h_anna")
    given_push_subscription(store, anna)
    outcomes = delivery.deliver(message("cancelled_by_customer", anna, reason="changed plans"), now=NIGHT)
    assert statuses(outcomes) == {"push": "skipped", "email": "sent"}
    assert sent == [("email", "h_anna@example.org")]


def test_a_helper_on_call_is_reached_at_night(store, sent):
    anna = given_helper(store, on_call=True)
    given_booking(store, helper_id="h_anna")
    given_push_subscription(store, anna)
    outcomes = delivery.deliver(message("cancelled_by_customer", anna, reason="changed plans"), now=NIGHT)
    assert statuses(outcomes) == {"push": "sent", "email": "sent"}


def test_her_own_quiet_hours_replace_the_default(store, sent):
    anna = given_helper(store)
    given_booking(store, helper_id="h_anna")
    given_push_subscription(store, anna)
    given_prefs(store, anna, quiet_hours={"start": "23:30", "end": "06:00", "tz": "Europe/Zurich"})
    outcomes = delivery.deliver(message("offer_withdrawn", anna), now=NIGHT)  # 23:00: not quiet for her
    assert statuses(outcomes) == {"push": "sent"}


# ---- exactly once, retries, expired subscriptions -----------------------------------------------

def test_a_redelivered_message_sends_nothing_again(store, sent):
    erika = given_customer(store)
    given_booking(store)
    msg = message("booking_received", erika)
    delivery.deliver(msg, now=NOON)
    assert statuses(delivery.deliver(msg, now=NOON)) == {"email": "already-done"}
    assert sent == [("email", "erika@example.org")]


def test_a_failed_channel_asks_for_a_retry_which_repeats_only_that_channel(store, sent, monkeypatch):
    erika = given_customer(store)
    given_booking(store)
    given_prefs(store, erika, sms=True, phone=PHONE)
    given_verified_phone(store, erika)
    real_sms = delivery.SENDERS["sms"]
    monkeypatch.setitem(delivery.SENDERS, "sms", lambda *a: (_ for _ in ()).throw(ConnectionError("SNS is down")))
    msg = message("booking_received", erika)
    with pytest.raises(delivery.DeliveryFailed):
        delivery.deliver(msg, now=NOON)
    monkeypatch.setitem(delivery.SENDERS, "sms", real_sms)
    assert statuses(delivery.deliver(msg, now=NOON)) == {"email": "already-done", "sms": "sent"}
    assert [c for c, _ in sent] == ["email", "sms"]
    rows = {r.channel: r for r in store.notification_log.for_scope("b_1")}
    assert (rows["sms"].status, rows["sms"].attempts, rows["email"].attempts) == ("sent", 2, 1)


def test_an_expired_push_subscription_is_removed(store, sent, monkeypatch):
    from chalicelib.adapters.webpush import PushGone

    anna = given_helper(store)
    given_booking(store, helper_id="h_anna")
    given_push_subscription(store, anna)
    monkeypatch.setitem(delivery.SENDERS, "push", lambda *a: (_ for _ in ()).throw(PushGone("410 Gone")))
    assert statuses(delivery.deliver(message("offer_withdrawn", anna), now=NOON)) == {"push": "gone"}
    assert store.push_subscriptions.for_owner("helper#h_anna") == []


def test_a_message_about_an_unknown_booking_without_tenant_is_not_found(store, sent):
    erika = given_customer(store)
    msg = {**message("booking_received", erika, booking_id="b_missing"), "tenant_id": None}
    with pytest.raises(NotFound):
        delivery.deliver(msg, now=NOON)


# ---- a booking's messages ------------------------------------------------------------------------

def test_each_person_sees_only_their_own_messages_and_ops_see_all(store, sent):
    erika = given_customer(store)
    anna = given_helper(store)
    given_booking(store, helper_id="h_anna")
    delivery.deliver(message("booking_received", erika), now=NOON)
    delivery.deliver(message("cancelled_by_customer", anna, reason="changed plans"), now=NOON)
    booking = SimpleNamespace(booking_id="b_1")
    assert [m["to"] for m in notification_messages.messages_for(erika, booking)] == ["customer"]
    assert {m["to"] for m in notification_messages.messages_for(Actor("ops", "o_1", TENANT), booking)} == \
        {"customer", "helper"}
    assert {m["address"] for m in notification_messages.messages_for(Actor("ops", "o_1", TENANT), booking)} == \
        {"e***@example.org", "h***@example.org"}  # masked: never the whole address


# ---- settings ------------------------------------------------------------------------------------

def test_a_helper_without_settings_reads_the_defaults_with_quiet_hours(store):
    anna = given_helper(store)
    assert notification_settings.get_prefs(anna) == {
        "email": True, "sms": False, "phone": None, "phone_verified": False, "language": None,
        "quiet_hours": {"start": "21:00", "end": "07:00", "tz": "Europe/Zurich"}}
    assert "quiet_hours" not in notification_settings.get_prefs(given_customer(store))


def test_saved_settings_read_back_and_say_whether_the_phone_is_verified(store):
    anna = given_helper(store)
    given_verified_phone(store, anna)
    got = notification_settings.save_prefs(anna, NotificationSettings(
        email=False, sms=True, phone=PHONE, language="it", quiet_hours={"start": "22:00", "end": "06:00"}))
    assert got == {"email": False, "sms": True, "phone": PHONE, "phone_verified": True, "language": "it",
                   "quiet_hours": {"start": "22:00", "end": "06:00", "tz": "Europe/Zurich"}}


def test_sms_without_any_number_is_refused_with_what_to_do(store):
    erika = given_customer(store, phone=None)
    with pytest.raises(ValidationFailed) as err:
        notification_settings.save_prefs(erika, NotificationSettings(sms=True))
    assert err.value.field == "phone"
    assert store.notification_prefs.get("customer#c_erika") is None


def test_quiet_hours_are_for_helpers_only(store):
    erika = given_customer(store)
    with pytest.raises(ValidationFailed):
        notification_settings.save_prefs(erika, NotificationSettings(quiet_hours={"start": "22:00", "end": "06:00"}))


def test_a_browser_registers_once_and_can_be_removed(store):
    anna = given_helper(store)
    body = PushSubscriptionIn(endpoint="https://fcm.googleapis.com/fcm/send/abc123",
                              keys={"p256dh": "B" * 87, "auth": "a" * 22}, device="Phone")
    view, created = notification_settings.register_subscription(anna, body)
    again, created_again = notification_settings.register_subscription(anna, body)
    assert (created, created_again) == (True, False)
    assert view["subscription_id"] == again["subscription_id"] and view["push_service"] == "fcm.googleapis.com"
    assert [s["subscription_id"] for s in notification_settings.list_subscriptions(anna)] == [view["subscription_id"]]
    notification_settings.delete_subscription(anna, view["subscription_id"])
    assert notification_settings.list_subscriptions(anna) == []
    with pytest.raises(NotFound):
        notification_settings.delete_subscription(anna, view["subscription_id"])
