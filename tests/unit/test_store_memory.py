"""The repository contract (tests/contract/store_contract.py) against the in-memory twins."""
import pytest

from chalicelib.store import memory_repos
from tests.contract.store_contract import (AttributionContract, BookingsContract, InvoiceContract,
                                           NotificationsContract, PaymentsContract, ReplayContract, StoreContract)
from tests.contract.store_contract import ErasureContract, PartnersContract


class MemoryWorld:
    def __init__(self):
        self.repos = memory_repos()

    def given_helper(self, helper):
        self.repos.world.helpers[helper.helper_id] = helper
        self.repos.world.helper_emails[(helper.tenant_id, f"{helper.helper_id}@example.org")] = helper.helper_id

    def given_staff(self, staff):
        self.repos.world.staff[staff.email] = staff

    def given_booking(self, facts):
        self.repos.world.bookings[facts.booking_id] = facts

    def given_payout_account(self, helper):
        self.repos.payout_accounts.rows[helper.helper_id] = helper

    def given_card(self, card):
        self.repos.cards.rows[card.customer_id] = card

    def given_whole_booking(self, booking):
        self.repos.bookings.records[booking.booking_id] = booking

    def given_offer(self, offer):
        self.repos.world.offer_records[(offer.booking_id, offer.helper_id)] = offer

    def given_helper_reach(self, reach):
        self.repos.world.helper_reach[reach.helper_id] = reach

    def given_person(self, person):  # erasure's read of a person's own row
        self.repos.erasure.persons[(person.kind, person.person_id)] = person

    def given_helper_profile(self, profile):
        self.repos.helper_profiles.rows[profile.helper_id] = profile


@pytest.fixture()
def world():
    return MemoryWorld()


class TestMemoryStore(StoreContract, AttributionContract):
    pass


class TestMemoryPayments(PaymentsContract):
    pass


class TestMemoryReplays(ReplayContract):
    pass


class TestMemoryInvoices(InvoiceContract):
    pass


class TestMemoryNotificationsStore(NotificationsContract):
    pass


class TestMemoryPartnersStore(PartnersContract):
    pass


class TestMemoryErasureStore(ErasureContract):
    pass


class TestMemoryBookingsStore(BookingsContract):
    pass


def test_every_aggregate_has_a_twin():
    import dataclasses

    from chalicelib.store import Repos

    r = memory_repos()
    assert [f.name for f in dataclasses.fields(Repos) if f.name != "world" and getattr(r, f.name) is None] == []
