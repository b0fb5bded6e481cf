"""The booking state machine, written as data.

A booking changes state only through :func:`plan_transition` + the one write path in
``chalicelib.services.transitions.apply_transition`` (conditional on state and version, appending
to the booking's history). ``effects`` name what happens after the write, each named for what it
does; ``chalicelib.effects.EFFECTS`` maps every name to the one function that does it (a test checks
the two agree). The bookings stream handler runs them as separate units of work, so an effect
never runs unless the state change was committed, and one failing effect never blocks another.
``timers`` name the clocks a transition starts (``TIMERS``: which transition each fires, in which
state, after which tenant setting); they run as units of work too (``services/timers.py``).

States::

    (new, card) awaiting_payment --(card held)--> requested
    (new, invoice) ------------------------------> requested
    awaiting_payment --(never paid within the payment window, or cancelled)--> cancelled
    requested -> offered -> assigned -> en_route -> started -> completed
        \\           \\          \\           \\
         +-----------+----------+-----------+--> cancelled
    requested/offered --(no helper after the last round)--> unmatched
    assigned/en_route --(helper cancels)--> requested   (found again; that helper is not asked again)
"""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.errors import Forbidden, InvalidTransition

AWAITING_PAYMENT = "awaiting_payment"
REQUESTED = "requested"
OFFERED = "offered"
ASSIGNED = "assigned"
EN_ROUTE = "en_route"
STARTED = "started"
COMPLETED = "completed"
CANCELLED = "cancelled"
UNMATCHED = "unmatched"

ALL_STATES = (AWAITING_PAYMENT, REQUESTED, OFFERED, ASSIGNED, EN_ROUTE, STARTED, COMPLETED, CANCELLED, UNMATCHED)
TERMINAL_STATES = frozenset({COMPLETED, CANCELLED, UNMATCHED})
OPEN_STATES = frozenset(ALL_STATES) - TERMINAL_STATES

# Actors. "system" is the platform itself (stream and queue handlers, time-outs).
CUSTOMER, HELPER, OPS, PARTNER, SYSTEM = "customer", "helper", "ops", "partner", "system"


@dataclass(frozen=True)
class Transition:
    name: str
    actors: frozenset[str]
    from_states: frozenset[str]
    to_state: str
    effects: tuple[str, ...] = ()
    description: str = ""
    timers: tuple[str, ...] = ()  # clocks this transition starts (``TIMERS``)


def _t(name, actors, from_states, to_state, effects=(), description="", timers=()):
    return Transition(name, frozenset(actors), frozenset(from_states), to_state, tuple(effects), description,
                      tuple(timers))


@dataclass(frozen=True)
class Timer:
    """A clock of the machine. When it runs out and the booking is still ``while_in``, the platform
    applies ``fires``; if the booking moved on, the clock does nothing. Its length is the tenant
    policy value ``setting`` (in ``unit``). ``per`` says whose clock it is: the booking's own (started
    by the transitions that name it, ``services/timers.py``), or each offer's (it ends at the offer's
    ``expires_at``, set from the same setting when the offer is made; ``handlers/events.py``)."""
    name: str
    fires: str
    while_in: str
    setting: str
    unit: str = "minutes"
    per: str = "booking"

    def seconds(self, policy: dict) -> float:
        value = float(policy[self.setting])
        return value * 60 if self.unit == "minutes" else value


TRANSITIONS: dict[str, Transition] = {t.name: t for t in [
    _t("request", {CUSTOMER, PARTNER}, {None}, REQUESTED,
       ("dispatch", "notify", "partner_webhook", "count_attribution"),
       "A customer (or a partner for its customer) asks for help and nothing has to be held first "
       "(the tenant bills by invoice, or takes no card)."),
    _t("request_with_card", {CUSTOMER, PARTNER}, {None}, AWAITING_PAYMENT,
       ("send_payment_link", "partner_webhook", "count_attribution"),
       "A booking that is paid by card: nobody is offered it until the card hold succeeded (a partner's "
       "customer gets a payment link).",
       timers=("payment_window",)),
    _t("hold_card", {CUSTOMER}, {AWAITING_PAYMENT}, REQUESTED, ("dispatch", "notify"),
       "The card hold succeeded: now the booking is matched."),
    _t("expire_payment", {SYSTEM}, {AWAITING_PAYMENT}, CANCELLED, ("cancel_payment", "notify", "partner_webhook"),
       "No card was held within the payment window (``payment_window_minutes``): nothing was charged."),
    _t("offer", {SYSTEM}, {REQUESTED, OFFERED}, OFFERED, ("notify", "partner_webhook"),
       "Offers went out to one or more helpers (one dispatch round).", timers=("offer_answer",)),
    _t("accept", {HELPER}, {OFFERED}, ASSIGNED,
       ("withdraw_other_offers", "mark_helper_busy", "notify", "partner_webhook"),
       "A helper with an open offer takes the job; exactly one wins."),
    _t("decline", {HELPER}, {OFFERED}, OFFERED, ("dispatch_next_round",),
       "A helper says no to an offer; when no offer is open any more, the next round goes out."),
    _t("expire", {SYSTEM}, {OFFERED}, OFFERED, ("dispatch_next_round",),
       "An offer ran out of time unanswered."),
    _t("unmatch", {SYSTEM}, {REQUESTED, OFFERED}, UNMATCHED, ("withdraw_other_offers", "notify", "partner_webhook"),
       "No helper was found after the last round."),
    _t("depart", {HELPER}, {ASSIGNED}, EN_ROUTE, ("notify", "partner_webhook"), "The helper is on the way."),
    _t("start", {HELPER}, {ASSIGNED, EN_ROUTE}, STARTED, ("notify", "partner_webhook"), "The helper has started."),
    _t("complete", {HELPER}, {STARTED}, COMPLETED,
       ("settle", "free_helper", "notify", "partner_webhook", "request_review", "draw_spot_check",
        "count_attribution"),
       "The helper is done and reports the minutes worked."),
    _t("cancel_by_customer", {CUSTOMER, PARTNER}, {AWAITING_PAYMENT, REQUESTED, OFFERED, ASSIGNED, EN_ROUTE}, CANCELLED,
       ("withdraw_other_offers", "free_helper", "cancel_payment", "notify", "partner_webhook"),
       "The customer no longer needs help."),
    _t("cancel_by_helper", {HELPER}, {ASSIGNED, EN_ROUTE}, REQUESTED,
       ("dispatch", "free_helper", "count_no_show", "notify", "partner_webhook"),
       "The assigned helper cannot come; the booking is matched again without them."),
    _t("cancel_by_ops", {OPS}, OPEN_STATES, CANCELLED,
       ("withdraw_other_offers", "free_helper", "cancel_payment", "notify", "partner_webhook"),
       "Operations cancel the booking."),
]}


TIMERS: dict[str, Timer] = {t.name: t for t in [
    Timer("payment_window", fires="expire_payment", while_in=AWAITING_PAYMENT, setting="payment_window_minutes"),
    Timer("offer_answer", fires="expire", while_in=OFFERED, setting="offer_expiry_seconds", unit="seconds",
          per="offer"),
]}


def timer_unit_key(booking_id: str, version, timer: str) -> str:
    """The name of the unit that starts ``timer`` for the transition that made ``version``."""
    return f"timer#{booking_id}#v{version}#{timer}"


def creation_transition(needs_card_hold: bool) -> str:
    """The transition that creates a booking: card bookings wait for their hold, others go on."""
    return "request_with_card" if needs_card_hold else "request"


def needs_card_hold(billing_model: str | None, payments_configured: bool) -> bool:
    """A booking waits for a card hold when its tenant bills the customer by card (the default)
    and card payments are set up; a partner billed by invoice has no card to hold."""
    return payments_configured and (billing_model or "card") == "card"


def effect_unit_key(booking_id: str, version, effect: str) -> str:
    """The name of one unit of work: one effect of the transition that made ``version``."""
    return f"effect#{booking_id}#v{version}#{effect}"


def plan_transition(current_state: str | None, name: str, actor: str) -> Transition:
    """Return the transition ``name`` if ``actor`` may apply it in ``current_state``.

    Raises ``Forbidden`` for a role that may never apply it and ``InvalidTransition`` when the
    booking is in a state the transition does not start from.
    """
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise InvalidTransition(f"unknown transition {name!r}")
    if actor not in transition.actors:
        raise Forbidden(f"a {actor} may not {name.replace('_', ' ')} a booking")
    if current_state not in transition.from_states:
        raise InvalidTransition(
            f"cannot {name.replace('_', ' ')} a booking that is {current_state or 'new'}",
            extra={"state": current_state})
    return transition


def transitions_table() -> list[dict]:
    """The machine as plain rows (for docs and the API)."""
    return [{"name": t.name, "actors": sorted(t.actors),
             "from": sorted(s or "(new)" for s in t.from_states), "to": t.to_state,
             "effects": list(t.effects), "timers": list(t.timers), "description": t.description}
            for t in TRANSITIONS.values()]
