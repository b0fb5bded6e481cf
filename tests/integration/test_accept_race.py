"""Exactly one winner: many helpers accept the same booking at once, on DynamoDB Local (given / when / then)."""
import threading

import pytest

from chalicelib.domain.actors import Actor, SYSTEM_ACTOR
from chalicelib.domain.errors import OfferAlreadyTaken
from chalicelib.domain.schemas import CreateBooking
from tests.stack_fixtures import booking_body

pytestmark = pytest.mark.integration

RACERS = 24


# ---- given ----------------------------------------------------------------------------------------

def _offered_booking_with_offers(helper_ids):
    from chalicelib.models.base import now_iso
    from chalicelib.models.offers import Offer
    from chalicelib.services.bookings import create_booking
    from chalicelib.services.transitions import apply_transition

    from chalicelib.models.tenants import Tenant
    # a tenant billed by invoice: the booking is matched at once (no card hold to wait for)
    Tenant(tenant_id="race-invoice", name="race", locale="de", currency="CHF", branding={},
           settings={"billing_model": "invoice"}, created_at=now_iso()).save()
    customer = Actor("customer", "c_race", "race-invoice")
    booking, _ = create_booking(customer, CreateBooking.model_validate(booking_body(mode="remote", location=None,
                                                                                      payment=None)))
    for h in helper_ids:
        Offer(booking_id=booking.booking_id, helper_id=h, tenant_id="crowdfix", state="open", round=1,
              created_at=now_iso(), expires_at="2999-01-01T00:00:00.000Z").save()
    # dispatch must not interfere: bump the round so the stream's dispatch sees "waiting"
    apply_transition(booking, "offer", SYSTEM_ACTOR, data={"round": 1, "helpers": helper_ids},
                     set_fields=lambda b: {"dispatch_round": 1, "asked_helpers": tuple(helper_ids)})
    return booking.booking_id


@pytest.mark.parametrize("attempt", range(3))
def test_exactly_one_of_many_concurrent_accepts_wins(stack, attempt):
    from chalicelib.models.bookings import Booking
    from chalicelib.models.offers import Offer
    from chalicelib.services.bookings import accept_offer

    # given a booking offered to 24 helpers
    helper_ids = [f"h_racer{attempt}x{i:03d}" for i in range(RACERS)]
    bid = _offered_booking_with_offers(helper_ids)
    barrier = threading.Barrier(RACERS)
    results: dict[str, str] = {}

    def racer(hid):
        barrier.wait()
        try:
            accept_offer(Actor("helper", hid, "crowdfix"), bid)
            results[hid] = "won"
        except OfferAlreadyTaken:
            results[hid] = "409"
        except Exception as exc:  # anything else is a bug
            results[hid] = f"error: {exc!r}"

    # when all of them accept at the same instant
    threads = [threading.Thread(target=racer, args=(h,)) for h in helper_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    # then exactly one won, every other got 409 offer-already-taken, and the booking records one accept
    winners = [h for h, r in results.items() if r == "won"]
    assert len(results) == RACERS
    assert len(winners) == 1, results
    assert all(r == "409" for h, r in results.items() if h not in winners), results
    booking = Booking.get(bid, consistent_read=True)
    assert booking.state == "assigned" and booking.helper_id == winners[0]
    assert [h["transition"] for h in booking.history].count("accept") == 1
    accepted = [o.helper_id for o in Offer.query(bid, consistent_read=True) if o.state == "accepted"]
    assert accepted == winners
