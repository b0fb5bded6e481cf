"""The effect wiring is one table: every effect the state machine names has exactly one function,
and a failing effect never stops the others of its transition."""
import inspect

import pytest

from chalicelib import effects as registry
from chalicelib.domain.booking_states import TRANSITIONS
from chalicelib.services import effects


def test_the_state_tables_effect_names_are_exactly_the_registrys_keys():
    named = {name for t in TRANSITIONS.values() for name in t.effects}
    assert named == registry.names()


@pytest.mark.parametrize("name", sorted({name for t in TRANSITIONS.values() for name in t.effects}))
def test_every_effect_resolves_to_a_function_of_booking_entry_old(name):
    fn = registry.resolve(name)
    assert callable(fn)
    assert list(inspect.signature(fn).parameters)[:3] == ["booking", "entry", "old"]


def _booking(*entries):
    return {"booking_id": "b_1", "tenant_id": "crowdfix", "history": list(entries)}


def test_one_failing_effect_is_handed_over_and_the_others_still_run(monkeypatch):
    ran, handed = [], []

    def fake(name):
        def fn(booking, entry, old):
            if name == "settle":
                raise RuntimeError("stripe is down")
            ran.append(name)
        return fn
    monkeypatch.setattr(registry, "resolve", fake)
    monkeypatch.setattr(effects, "hand_over", lambda name, new, entry, old, exc=None: handed.append((name, str(exc))))
    old = _booking({"transition": "request", "v": 1})
    new = _booking({"transition": "request", "v": 1}, {"transition": "complete", "v": 2})

    keys = effects.run_effects(new, old)

    assert handed == [("settle", "stripe is down")]
    assert ran == [e for e in TRANSITIONS["complete"].effects if e != "settle"]
    assert keys == ["effect#b_1#v2#settle"]


def test_a_failed_hand_over_fails_the_record_so_the_stream_delivers_it_again(monkeypatch):
    def boom(name):
        def fn(booking, entry, old):
            raise RuntimeError("effect failed")
        return fn

    def no_queue(*a, **k):
        raise ConnectionError("SQS unreachable")
    monkeypatch.setattr(registry, "resolve", boom)
    monkeypatch.setattr(effects, "hand_over", no_queue)
    with pytest.raises(ConnectionError):
        effects.run_effects(_booking({"transition": "depart", "v": 5}), _booking())


def test_unit_messages_carry_the_images_unless_too_big():
    entry = {"transition": "complete", "v": 3}
    small = effects.unit_message("settle", {"booking_id": "b_1", "history": [entry]}, entry, None)
    assert small["new"]["booking_id"] == "b_1" and small["effect"] == "settle" and small["v"] == 3
    big = effects.unit_message("settle", {"booking_id": "b_1", "blob": "x" * 300_000}, entry, None)
    assert big["new"] is None and big["booking_id"] == "b_1"
