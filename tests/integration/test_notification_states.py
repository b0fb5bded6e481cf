"""A notification step that reached a final state stays final, whatever a late attempt reports
(DynamoDB Local, the real conditional writes of services/notification_delivery.py); given / when / then."""
from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest

pytestmark = pytest.mark.integration


# ---- given ----------------------------------------------------------------------------------------

def _helper() -> str:
    from chalicelib.models.base import now_iso
    from chalicelib.models.helpers import Helper

    hid = f"h_ns{uuid.uuid4().hex[:12]}"
    email = f"{hid}@helpers.example.org"
    Helper(helper_id=hid, tenant_id="crowdfix", email=email, email_key=f"crowdfix#{email}", name="Nora Späti",
           first_name="Nora", skills={"printer": 3}, lat=47.38, lon=8.54, city="Zürich", service_radius_km=10,
           hourly_rate=6000, languages=["de"], on_call=True, status="active", tenant_status="crowdfix#active",
           rating_count=0, rating_sum=0, payout_ready=True, created_at=now_iso()).save()
    return hid


def test_a_late_failed_attempt_does_not_undo_a_sent_e_mail(stack, monkeypatch):
    """Given attempt A claimed the e-mail and hangs in SES until its claim went stale, and attempt
    B took over and sent it, when A's send fails after that, then the step stays "sent" and a
    redelivery sends nothing: exactly one successful send."""
    from chalicelib.models.notification_log import NotificationLog
    from chalicelib.services import notification_delivery as svc

    # given a helper's payout e-mail to deliver
    hid = _helper()
    msg = {"v": 1, "event_type": "payout_sent", "event_id": f"late#{hid}", "booking_id": None,
           "tenant_id": "crowdfix", "recipient": {"role": "helper", "id": hid},
           "data": {"amount": 4250, "currency": "CHF"}}
    a_in_ses, b_done = threading.Event(), threading.Event()
    sends: list[str] = []
    late = threading.local()
    real_ses = svc.SENDERS["email"]

    def ses(target, rendered, tenant):
        if hid not in target["to"]:  # someone else's message, sent by the session's pump
            return real_ses(target, rendered, tenant)
        if getattr(late, "attempt", None) == "A":
            a_in_ses.set()
            assert b_done.wait(30)
            sends.append("A failed")
            raise TimeoutError("SES timed out (attempt A, after B had sent)")
        sends.append("B sent")
        return "ses-b"

    real_now = svc._now
    # only in B's thread is A's claim older than STALE_CLAIM_SECONDS (the session pump's own
    # deliveries in other threads see the real clock)
    monkeypatch.setattr(svc, "_now", lambda: real_now() + (timedelta(hours=1) if getattr(late, "attempt", None) == "B"
                                                           else timedelta(0)))
    monkeypatch.setitem(svc.SENDERS, "email", ses)
    outcome_a: list = []

    def attempt_a():
        late.attempt = "A"
        try:
            outcome_a.append(svc.deliver(msg))
        except Exception as exc:  # noqa: BLE001 — what A reports is checked below
            outcome_a.append(exc)

    # when attempt A claims it and hangs in SES, B takes the stale claim over and sends, then A fails
    thread = threading.Thread(target=attempt_a)
    thread.start()
    assert a_in_ses.wait(30)
    late.attempt = "B"
    assert svc.deliver(msg) == [{"channel": "email", "status": "sent"}]
    late.attempt = None
    b_done.set()
    thread.join(30)

    # then the step stays sent by B, A's failure asks for no retry, and a redelivery sends nothing
    (row,) = NotificationLog.query(f"recipient#helper#{hid}", consistent_read=True)
    assert (row.status, row.provider_id) == ("sent", "ses-b")
    assert not isinstance(outcome_a[0], svc.DeliveryFailed)  # A's failure asks for no retry
    assert svc.deliver(msg) == [{"channel": "email", "status": "already-done"}]
    assert sorted(sends) == ["A failed", "B sent"]
