"""Side effects of booking transitions, run by the bookings stream handler after the state change
has been committed.

Each transition names its effects (``domain.booking_states``). Capabilities register what an
effect does with ``@effect("name")``; several functions may register the same effect name
(e.g. ``notify`` by notifications and partner webhooks). Every effect function must be idempotent:
streams deliver at least once.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from typing import Callable

from chalicelib.domain.booking_states import TRANSITIONS

log = logging.getLogger(__name__)

EffectFn = Callable[[dict, dict, "dict | None"], None]  # (booking, history entry, old booking)
_registry: dict[str, list[EffectFn]] = defaultdict(list)


def effect(name: str):
    def register(fn: EffectFn) -> EffectFn:
        if fn not in _registry[name]:
            _registry[name].append(fn)
        return fn
    return register


def registered(name: str) -> list[EffectFn]:
    return list(_registry.get(name, ()))


def new_history_entries(new: dict, old: dict | None) -> list[dict]:
    """History entries a stream record added (history is append-only)."""
    seen = len((old or {}).get("history") or [])
    return list((new.get("history") or [])[seen:])


def run_effects(new: dict, old: dict | None) -> None:
    """Run every effect of every transition this change applied, in order."""
    for entry in new_history_entries(new, old):
        transition = TRANSITIONS.get(entry.get("transition"))
        if transition is None:
            log.warning("unknown transition in history: %s", entry.get("transition"))
            continue
        for name in transition.effects:
            for fn in registered(name):
                fn(new, entry, old)
