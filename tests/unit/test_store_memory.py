"""The repository contract (tests/contract/store_contract.py) against the in-memory twins."""
import pytest

from chalicelib.store import memory_repos
from tests.contract.store_contract import StoreContract


class MemoryWorld:
    def __init__(self):
        self.repos = memory_repos()

    def given_helper(self, helper):
        self.repos.world.helpers[helper.helper_id] = helper

    def given_booking(self, facts):
        self.repos.world.bookings[facts.booking_id] = facts


@pytest.fixture()
def world():
    return MemoryWorld()


class TestMemoryStore(StoreContract):
    pass
