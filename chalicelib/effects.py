"""Effect name -> the one function that does it.

The booking state machine (``chalicelib.domain.booking_states``) names, for every transition, the
effects that follow it; this table says which function does each. It is the whole wiring: no
decorators spread over modules, no imports for their side effects. ``tests/unit/test_effects_registry.py``
checks that the names the state table uses are exactly the keys here and that each resolves to a
function.

Every effect function takes ``(booking, history entry, old booking)`` (plain dicts from the
stream record) and must be idempotent: a unit of work can run again after a crash or a replay.
"""
from __future__ import annotations

from typing import Callable

EffectFn = Callable[[dict, dict, "dict | None"], None]


def _table() -> dict[str, EffectFn]:
    """The registry itself (imported on first use: the modules below are the stream handler's,
    not the API's cold start). Written as plain imports so that ``infra/derive.py``'s import graph
    sees what the bookings stream handler reaches and grants exactly that."""
    from chalicelib.services import attribution, dispatch, matching, notifications, payments, reviews, webhooks
    from chalicelib.services import billing, payment_links

    return {
        # matching and dispatch
        "dispatch": dispatch.dispatch_effect,
        "dispatch_next_round": dispatch.dispatch_effect,
        "withdraw_other_offers": dispatch.withdraw_effect,
        "mark_helper_busy": matching.mark_helper_busy,
        "free_helper": matching.free_helper,
        # money
        "settle": billing.settle_effect,  # by invoice, or the card (payments.settle_booking)
        "cancel_payment": payments.cancel_payment_effect,
        "send_payment_link": payment_links.send_payment_link,
        # telling people
        "notify": notifications.notify_transition,
        "partner_webhook": webhooks.publish_booking_event,
        # reviews and quality
        "request_review": reviews.ask_for_review,
        "draw_spot_check": reviews.draw_spot_check,
        "count_no_show": reviews.count_no_show,
        # attribution per tenant, affiliate code and campaign (bookings started, completed)
        "count_attribution": attribution.count_effect,
    }


_resolved: dict[str, EffectFn] = {}


def names() -> set[str]:
    """Every effect name the registry knows."""
    _load()
    return set(_resolved)


def _load() -> None:
    if not _resolved:
        _resolved.update(_table())


def resolve(name: str) -> EffectFn:
    """The function of effect ``name`` (KeyError for a name that is not in the table)."""
    _load()
    return _resolved[name]
