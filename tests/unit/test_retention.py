"""Data with no reason to stay carries a TTL (epoch seconds in ``ttl``) that DynamoDB deletes it by
(issue 19). Each model writes it with its own horizon, documented in docs/operations.md."""
from __future__ import annotations

import json
import time
import pytest

from chalicelib.models.notification_log import NotificationLog
from chalicelib.models.offers import Offer
from chalicelib.models.partners import WebhookDelivery

DAY = 24 * 3600


def _ttl_written(item) -> int:
    return int(json.loads(item.serialize()["ttl"]["N"]))


@pytest.mark.parametrize("make, days", [
    (lambda: Offer(booking_id="b_1", helper_id="h_1", tenant_id="t", created_at="x", expires_at="y"), 30),
    (lambda: WebhookDelivery(endpoint_id="we_1", message_id="msg_1", tenant_id="t", event_type="booking.created",
                             payload="{}", created_at="x"), 30),
    (lambda: NotificationLog(scope="b_1", key="k", tenant_id="t", event_id="e", event_type="booking.created",
                             recipient_role="customer", recipient_id="c_1", channel="email", status="sent",
                             created_at="x"), 90),
])
def test_a_new_item_expires_after_its_tables_horizon(make, days):
    before = time.time()
    written = _ttl_written(make())
    assert before + days * DAY - 1 <= written <= time.time() + days * DAY + 1


def test_an_item_read_back_keeps_the_expiry_it_was_written_with():
    """Loading a row must not push its expiry out again; a row from before the TTL existed gets the
    horizon from the time it is read (and keeps it once saved)."""
    raw = Offer(booking_id="b_1", helper_id="h_1", tenant_id="t", created_at="x", expires_at="y").serialize()
    raw["ttl"] = {"N": "1000"}
    assert Offer.from_raw_data(raw).ttl.timestamp() == 1000
    del raw["ttl"]
    assert Offer.from_raw_data(raw).ttl.timestamp() >= time.time() + 30 * DAY - 1


def test_the_notification_claim_sets_the_expiry_in_its_update(monkeypatch):
    """The log is written by update (an upsert claim), where model defaults do not apply."""
    from chalicelib.services import notification_delivery

    seen = []
    monkeypatch.setattr(NotificationLog, "update", lambda self, actions, condition=None: seen.append(actions))
    msg = {"event_id": "e1", "event_type": "booking.created", "booking_id": "b_1",
           "recipient": {"role": "customer", "id": "c_1"}}
    before = time.time()
    assert notification_delivery._claim(msg, "t", {"key": "email", "channel": "email"}, "en", "Title")
    ttl = [a for a in seen[0] if "ttl" in str(a)]
    assert len(ttl) == 1
    value = int(json.loads(ttl[0].values[1].value["N"]))
    assert before + 90 * DAY - 1 <= value <= time.time() + 90 * DAY + 1
