"""Given / when / then for integration tests that walk a booking over HTTP on the real local services.

An integration test reads as a story: one behaviour, its set-up named by ``given_*`` helpers, the act
by ``when_*``, and assertions that say what should be true. A failing line then says what broke:
``given_an_offered_booking`` failing means dispatch did not run, not "KeyError: 'booking_id'".

    def test_a_helper_who_declines_is_never_asked_again(api, signin, pump):
        # given a booking offered to a first round of helpers
        booking = given_an_offered_booking(api, signin, category="computer")
        # when every helper of that round declines
        for helper_id in booking.offered_to:
            when_helper_answers(api, signin, booking.id, helper_id, "decline")
        # then the next round goes to others
        ...

Fixtures (``api``, ``signin``, ``pump``, ``stack``) come from tests/stack_fixtures.py; these helpers take
them as arguments so a test's signature still lists what it runs on.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from tests.stack_fixtures import booking_body, wait_for


@dataclass
class Booking:
    """A booking made in a story: its id, who booked it, and (once dispatched) the helpers offered it."""

    id: str
    customer: dict
    view: dict
    offered_to: list[str] = field(default_factory=list)
    helper_id: str | None = None
    helper: dict | None = None

    @property
    def path(self) -> str:
        return f"/v1/bookings/{self.id}"


# ---- who ---------------------------------------------------------------------------------------------

def given_a_customer(signin, email: str | None = None) -> dict:
    """A customer signed in with an e-mailed code: her request headers (``_id``, ``_email`` beside)."""
    return signin(email)


def given_ops(signin) -> dict:
    return signin("ops@crowdfix.local", "ops")


def helper_email(helper_id: str) -> str:
    from chalicelib.models.helpers import Helper
    return Helper.get(helper_id).email


def skill_of(helper_id: str) -> str:
    """One category the helper offers (the first by name)."""
    from chalicelib.models.helpers import Helper
    return sorted(Helper.get(helper_id).skills.as_dict())[0]


def signed_in_helper(signin, helper_id: str) -> dict:
    """The helper ``helper_id`` signed in (seeded helpers and test-made ones alike)."""
    return signin(helper_email(helper_id), "helper")


# ---- bookings ----------------------------------------------------------------------------------------

def given_a_booking(api, signin=None, *, customer: dict | None = None, **over) -> Booking:
    """A booking made over ``POST /v1/bookings`` (``over`` changes the default printer booking in Zürich,
    card held in the same request). Either ``customer`` headers or ``signin`` to make a new customer."""
    customer = customer or given_a_customer(signin)
    status, view, headers = api.call("POST", "/v1/bookings", booking_body(**over), customer)
    assert status == 201, f"the booking was not created: {status} {view}"
    return Booking(id=view["booking_id"], customer=customer, view=view)


def given_an_offered_booking(api, signin=None, *, customer: dict | None = None, timeout: float = 30,
                             **over) -> Booking:
    """A booking the pump has dispatched: ``offered_to`` lists the helpers of its first round."""
    booking = given_a_booking(api, signin, customer=customer, **over)
    booking.view = wait_for_state(api, booking, "offered", timeout=timeout)
    booking.offered_to = [o.helper_id for o in offers_of(booking.id)]
    assert booking.offered_to, f"booking {booking.id} is offered but has no offers"
    return booking


def given_an_assigned_booking(api, signin, *, customer: dict | None = None, **over) -> Booking:
    """A booking its first offered helper accepted: ``helper_id`` / ``helper`` (headers) set."""
    booking = given_an_offered_booking(api, signin, customer=customer, **over)
    helper_id = booking.offered_to[0]
    status, view = when_helper_answers(api, signin, booking, helper_id, "accept")
    assert status == 200, f"the helper could not accept: {status} {view}"
    booking.view = view
    return booking


def given_a_completed_booking(api, signin, *, minutes_worked: int = 50, customer: dict | None = None,
                              **over) -> Booking:
    """A booking its helper departed for, started and completed after ``minutes_worked`` minutes."""
    booking = given_an_assigned_booking(api, signin, customer=customer, **over)
    booking.view = when_helper_does_the_job(api, booking, minutes_worked=minutes_worked)
    return booking


# ---- acts --------------------------------------------------------------------------------------------

def when_helper_answers(api, signin, booking: Booking | str, helper_id: str, answer: str) -> tuple[int, dict]:
    """The helper accepts or declines the offer: ``(status, body)``. On accept the booking records them."""
    bid = booking.id if isinstance(booking, Booking) else booking
    helper = signed_in_helper(signin, helper_id)
    status, body, _ = api.call("POST", f"/v1/bookings/{bid}/{answer}", headers=helper)
    if isinstance(booking, Booking) and answer == "accept" and status == 200:
        booking.helper_id, booking.helper = helper_id, helper
    return status, body


def when_helper_does_the_job(api, booking: Booking, *, minutes_worked: int = 50) -> dict:
    """depart, start, complete as the assigned helper; the completed view."""
    for step in ("depart", "start"):
        status, body, _ = api.call("POST", f"{booking.path}/{step}", headers=booking.helper)
        assert status == 200, f"{step} failed: {status} {body}"
    status, body, _ = api.call("POST", f"{booking.path}/complete", {"minutes_worked": minutes_worked}, booking.helper)
    assert status == 200, f"complete failed: {status} {body}"
    return body


def when_cancelled_by(api, booking: Booking, who: dict, reason: str = "") -> tuple[int, dict]:
    status, body, _ = api.call("POST", f"{booking.path}/cancel", {"reason": reason} if reason else {}, who)
    return status, body


# ---- reading back ------------------------------------------------------------------------------------

def booking_as_seen_by(api, booking: Booking | str, who: dict) -> tuple[int, dict]:
    bid = booking.id if isinstance(booking, Booking) else booking
    status, body, _ = api.call("GET", f"/v1/bookings/{bid}", headers=who)
    return status, body


def wait_for_state(api, booking: Booking, *states: str, timeout: float = 30, who: dict | None = None) -> dict:
    """Wait until the booking (as its customer, or ``who``, sees it) is in one of ``states``; its view."""
    who = who or booking.customer

    def seen():
        status, view = booking_as_seen_by(api, booking, who)
        return view if status == 200 and view["state"] in states else None
    return wait_for(seen, timeout=timeout, what=f"booking {booking.id} to be {' or '.join(states)}")


def offers_of(booking_id: str) -> list:
    """The booking's offer items, read consistently."""
    from chalicelib.models.offers import Offer
    return list(Offer.query(booking_id, consistent_read=True))


def timeline_steps(view: dict) -> list[str]:
    return [s["step"] for s in view["timeline"]]
