import pytest

from chalicelib.domain import booking_states as bs
from chalicelib.domain.errors import Forbidden, InvalidTransition


def test_request_creates_a_requested_booking():
    assert bs.plan_transition(None, "request", "customer").to_state == bs.REQUESTED


@pytest.mark.parametrize("name,actor,state,to", [
    ("offer", "system", "requested", "offered"),
    ("accept", "helper", "offered", "assigned"),
    ("decline", "helper", "offered", "offered"),
    ("expire", "system", "offered", "offered"),
    ("depart", "helper", "assigned", "en_route"),
    ("start", "helper", "en_route", "started"),
    ("start", "helper", "assigned", "started"),
    ("complete", "helper", "started", "completed"),
    ("cancel_by_customer", "customer", "assigned", "cancelled"),
    ("cancel_by_helper", "helper", "assigned", "requested"),
    ("cancel_by_ops", "ops", "started", "cancelled"),
    ("unmatch", "system", "offered", "unmatched"),
])
def test_allowed_transitions(name, actor, state, to):
    assert bs.plan_transition(state, name, actor).to_state == to


@pytest.mark.parametrize("name,actor", [
    ("accept", "customer"), ("complete", "customer"), ("offer", "helper"), ("cancel_by_ops", "customer"),
    ("cancel_by_customer", "helper"), ("request", "helper"),
])
def test_wrong_actor_is_forbidden(name, actor):
    state = next(iter(s for s in bs.TRANSITIONS[name].from_states))
    with pytest.raises(Forbidden):
        bs.plan_transition(state, name, actor)


@pytest.mark.parametrize("name,actor,state", [
    ("accept", "helper", "assigned"), ("complete", "helper", "assigned"), ("start", "helper", "completed"),
    ("cancel_by_customer", "customer", "completed"), ("cancel_by_customer", "customer", "started"),
    ("cancel_by_ops", "ops", "cancelled"), ("request", "customer", "requested"),
])
def test_wrong_state_is_invalid(name, actor, state):
    with pytest.raises(InvalidTransition):
        bs.plan_transition(state, name, actor)


def test_terminal_states_have_no_way_out():
    for t in bs.TRANSITIONS.values():
        assert not (t.from_states & bs.TERMINAL_STATES), t.name


def test_every_state_is_reachable():
    reached = {None}
    changed = True
    while changed:
        changed = False
        for t in bs.TRANSITIONS.values():
            if t.from_states & reached and t.to_state not in reached:
                reached.add(t.to_state)
                changed = True
    assert set(bs.ALL_STATES) <= reached


def test_table_is_plain_data():
    rows = bs.transitions_table()
    assert {r["name"] for r in rows} >= {"request", "offer", "accept", "decline", "expire", "start", "complete",
                                         "cancel_by_customer", "cancel_by_helper", "cancel_by_ops"}
    assert all(r["actors"] and r["to"] for r in rows)


# --- issue 14: no helper before the money is safe -------------------------------------------

def test_a_card_booking_starts_awaiting_payment_and_an_invoiced_one_is_matched_at_once():
    assert bs.creation_transition(bs.needs_card_hold("card", True)) == "request_with_card"
    assert bs.plan_transition(None, "request_with_card", "customer").to_state == bs.AWAITING_PAYMENT
    assert bs.creation_transition(bs.needs_card_hold("invoice", True)) == "request"
    assert bs.creation_transition(bs.needs_card_hold(None, True)) == "request_with_card"  # card is the default
    assert bs.creation_transition(bs.needs_card_hold("card", False)) == "request"  # no card payments set up


def test_awaiting_payment_is_not_matched_until_the_hold():
    waiting = bs.TRANSITIONS["request_with_card"]
    assert "dispatch" not in waiting.effects and waiting.timers == ("payment_window",)
    held = bs.plan_transition(bs.AWAITING_PAYMENT, "hold_card", "customer")
    assert held.to_state == bs.REQUESTED and "dispatch" in held.effects
    # nothing that offers, accepts or runs a job starts from awaiting_payment
    for name in ("offer", "accept", "decline", "expire", "unmatch", "depart", "start", "complete", "cancel_by_helper"):
        with pytest.raises(InvalidTransition):
            bs.plan_transition(bs.AWAITING_PAYMENT, name, next(iter(bs.TRANSITIONS[name].actors)))


def test_an_unpaid_booking_expires_to_cancelled_and_releases_whatever_is_held():
    t = bs.plan_transition(bs.AWAITING_PAYMENT, "expire_payment", "system")
    assert t.to_state == bs.CANCELLED and "cancel_payment" in t.effects and "dispatch" not in t.effects
    with pytest.raises(Forbidden):
        bs.plan_transition(bs.AWAITING_PAYMENT, "expire_payment", "customer")
    with pytest.raises(InvalidTransition):  # once paid, the payment window no longer applies
        bs.plan_transition(bs.REQUESTED, "expire_payment", "system")


def test_the_customer_may_cancel_while_awaiting_payment_and_a_paid_booking_cannot_be_held_again():
    assert bs.plan_transition(bs.AWAITING_PAYMENT, "cancel_by_customer", "customer").to_state == bs.CANCELLED
    assert bs.plan_transition(bs.AWAITING_PAYMENT, "cancel_by_ops", "ops").to_state == bs.CANCELLED
    with pytest.raises(InvalidTransition):
        bs.plan_transition(bs.REQUESTED, "hold_card", "customer")
    with pytest.raises(Forbidden):
        bs.plan_transition(bs.AWAITING_PAYMENT, "hold_card", "helper")


def test_every_timer_fires_a_system_transition_from_the_state_it_waits_in():
    """Timers are declared in the table: what starts each, what it fires, in which state, how long."""
    from chalicelib.domain.policy import PLATFORM_DEFAULTS

    started = {t for tr in bs.TRANSITIONS.values() for t in tr.timers}
    assert started == set(bs.TIMERS), "a timer nobody starts, or a transition naming an unknown timer"
    for timer in bs.TIMERS.values():
        fires = bs.TRANSITIONS[timer.fires]
        assert "system" in fires.actors and timer.while_in in fires.from_states, timer
        assert timer.setting in PLATFORM_DEFAULTS and timer.seconds(PLATFORM_DEFAULTS) > 0, timer
        assert timer.per in ("booking", "offer")
        # a transition that starts a timer leads into the state the timer waits in
        assert all(tr.to_state == timer.while_in for tr in bs.TRANSITIONS.values() if timer.name in tr.timers)
    assert bs.TIMERS["payment_window"].seconds({"payment_window_minutes": 30}) == 1800
