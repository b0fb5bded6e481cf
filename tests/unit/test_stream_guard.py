"""The bookings stream claims a redelivery guard only for records that run a unit (issue 19.8: a
claim is two writes): a write beside the state machine and a REMOVE run nothing and claim nothing;
a record that applied a transition is claimed, so its redelivery runs nothing again."""
from __future__ import annotations

import pytest

from chalicelib.handlers import events
from chalicelib.handlers.batch import process_stream
from chalicelib.store import memory_repos, using


def _image(history: list[dict], **extra) -> dict:
    from chalicelib.models.bookings import Booking

    return Booking(booking_id="b_guard", tenant_id="crowdfix", customer_id="c_1", category="printer",
                   description="blank pages", mode="onsite", state=extra.pop("state", "requested"),
                   history=history, created_at="2026-12-02T10:00:00Z", updated_at="2026-12-02T10:00:00Z",
                   **extra).serialize()


def _record(event_id: str, new: dict | None, old: dict | None, name: str = "MODIFY") -> dict:
    data = {"SequenceNumber": event_id, "Keys": {"booking_id": {"S": "b_guard"}}}
    if new is not None:
        data["NewImage"] = new
    if old is not None:
        data["OldImage"] = old
    return {"eventID": event_id, "eventName": name, "dynamodb": data}


REQUESTED = [{"transition": "request", "v": 1, "at": "2026-12-02T10:00:00Z"}]
ACCEPTED = REQUESTED + [{"transition": "accept", "v": 2, "at": "2026-12-02T10:01:00Z", "helper_id": "h_1"}]


def test_only_a_record_that_applied_a_transition_runs_units():
    applied = _record("1", _image(ACCEPTED, state="accepted"), _image(REQUESTED))
    beside = _record("2", _image(ACCEPTED, state="accepted", minutes_worked=30), _image(ACCEPTED, state="accepted"))
    removed = _record("3", None, _image(ACCEPTED, state="accepted"), name="REMOVE")
    assert events.runs_units(applied) is True
    assert events.runs_units(beside) is False
    assert events.runs_units(removed) is False


@pytest.mark.parametrize("needs, claimed", [(False, {}), (True, {"evt#bookings#r1": "done"})])
def test_a_record_is_claimed_only_when_the_guard_says_it_needs_it(needs, claimed):
    repos = memory_repos()
    ran = []
    with using(repos):
        for _ in range(2):  # delivered twice
            result = process_stream("bookings", {"Records": [_record("r1", _image(REQUESTED), None, "INSERT")]},
                                    lambda r: ran.append(r["eventID"]), guard=lambda r: needs)
            assert result == {"batchItemFailures": []}
    assert {k: v["state"] for k, v in repos.world.claims.items()} == claimed
    assert ran == (["r1"] if needs else ["r1", "r1"])  # unguarded: it must be replay-safe by itself
