"""Dispatch: offer a requested booking to suitable helpers, round by round.

Round 1 goes to the customer's chosen helper if there is one, else to the best K candidates.
When no offer of a round is open any more (declined or expired), the next round goes out with a
wider radius, never to a helper already asked. After the last round the booking is unmatched.

Candidate search is behind ``find_candidates`` so that the matching capability can replace it with
the geo index without touching the rounds logic.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Callable

from chalicelib.domain import booking_states as bs
from chalicelib.domain.actors import SYSTEM_ACTOR
from chalicelib.domain.errors import Conflict, InvalidTransition
from chalicelib.services.tenants import tenant_policy
from chalicelib.services.transitions import apply_transition, load_booking
from chalicelib.store.conditions import ConditionFailed
from chalicelib.store.helpers import helpers
from chalicelib.store.offers import offers
from chalicelib.store.records import BookingRecord, NewOffer, OfferRecord

log = logging.getLogger(__name__)


def _ranked_geo_candidates(booking: BookingRecord, *, extra_radius_km: float, exclude: set[str], limit: int) -> list[dict]:
    from chalicelib.services.matching import ranked_candidates

    return ranked_candidates(booking, extra_radius_km=extra_radius_km, exclude=exclude, limit=limit)


# The ranked geo search of the matching capability (services/matching.py).
find_candidates: Callable[..., list[dict]] = _ranked_geo_candidates


def offer_summary(booking: BookingRecord) -> dict:
    """What a helper sees before accepting: never the exact address or the contact."""
    loc = dict(booking.location or {})
    return {"category": booking.category, "description": booking.description[:280], "mode": booking.mode,
            "city": loc.get("city"), "postcode": loc.get("postcode"), "wanted": dict(booking.wanted or {}),
            "language": booking.language, "price_cap": dict(booking.price_cap or {})}


def dispatch_round(booking_id: str) -> str:
    """Send the next round of offers if the booking needs one. Idempotent: returns what it did."""
    booking = load_booking(booking_id)
    if booking.state not in (bs.REQUESTED, bs.OFFERED):
        return "not-needed"
    if booking.state == bs.OFFERED and any(o.state == "open" for o in offers().for_booking(booking_id)):
        return "waiting"
    pol = tenant_policy(booking.tenant_id)
    asked = set(booking.asked_helpers or [])
    widening = list(pol["radius_widening_km"]) or [0]
    round_no = int(booking.dispatch_round or 0)
    while round_no < int(pol["max_rounds"]):
        round_no += 1
        if booking.sandbox == "test":  # a test booking goes to simulated helpers only, never a real one
            from chalicelib.services.sandbox_helpers import simulated_candidates
            candidates = simulated_candidates(booking, exclude=asked, limit=int(pol["offers_per_round"]))
        elif round_no == 1 and booking.preferred_helper_id and booking.preferred_helper_id not in asked:
            candidates = _preferred(booking)
        else:
            extra = widening[min(round_no - 1, len(widening) - 1)]
            candidates = find_candidates(booking, extra_radius_km=extra, exclude=asked,
                                         limit=int(pol["offers_per_round"]))
        if candidates:
            return _send_round(booking, round_no, candidates, int(pol["offer_expiry_seconds"]))
    try:
        apply_transition(booking, "unmatch", SYSTEM_ACTOR, data={"rounds": round_no})
    except (InvalidTransition, Conflict):
        return "not-needed"
    return "unmatched"


def _preferred(booking: BookingRecord) -> list[dict]:
    helper = helpers().reach(booking.preferred_helper_id)
    if helper is None or helper.status != "active":
        return []
    if tenant_policy(booking.tenant_id).get("require_payout_ready") and not helper.payout_ready:
        return []
    return [{"helper": helper, "score": {"preferred": True}}]


def _send_round(booking: BookingRecord, round_no: int, candidates: list[dict], expiry_seconds: int) -> str:
    now = datetime.now(timezone.utc)
    created = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    expires = (now + timedelta(seconds=expiry_seconds)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    summary = offer_summary(booking)
    helper_ids = [c["helper"].helper_id for c in candidates]
    # each offer is counted on its helper (the acceptance rate in ranking) with the offer itself
    new_offers = [NewOffer(OfferRecord(booking_id=booking.booking_id, helper_id=c["helper"].helper_id,
                                       tenant_id=booking.tenant_id, state="open", round=round_no, created_at=created,
                                       expires_at=expires, summary=summary, score=c["score"]))
                  for c in candidates]
    try:
        apply_transition(
            booking, "offer", SYSTEM_ACTOR, data={"round": round_no, "helpers": helper_ids},
            set_fields=lambda b: {"dispatch_round": round_no,
                                  "asked_helpers": tuple(b.asked_helpers or ()) + tuple(helper_ids)},
            also_in_transaction=new_offers)
    except (InvalidTransition, Conflict):
        return "not-needed"
    return f"round-{round_no}"


def withdraw_open_offers(booking_id: str, keep_helper: str | None = None) -> list[str]:
    """Withdraw every still-open offer of a booking (after an accept, a cancel or unmatch)."""
    withdrawn = []
    for offer in offers().for_booking(booking_id):
        if offer.state != "open" or offer.helper_id == keep_helper:
            continue
        try:
            offers().withdraw(booking_id, offer.helper_id)
            withdrawn.append(offer.helper_id)
        except ConditionFailed:  # lost a race with the helper answering: fine either way
            pass
    return withdrawn


def dispatch_effect(booking: dict, entry: dict, old: dict | None) -> None:
    log.info("dispatch %s after %s: %s", booking["booking_id"], entry["transition"],
             dispatch_round(booking["booking_id"]))


def withdraw_effect(booking: dict, entry: dict, old: dict | None) -> None:
    withdraw_open_offers(booking["booking_id"], keep_helper=booking.get("helper_id"))
