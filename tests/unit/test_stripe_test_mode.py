"""A sandbox booking's Stripe calls go out with the test-mode key, which must be a test key
(stripe_gateway): a live key configured as the test key is refused, so test money never is live."""
import pytest

from chalicelib import credentials
from chalicelib.adapters import stripe_gateway as gw
from chalicelib.settings import ConfigurationError


@pytest.fixture()
def keys(monkeypatch):
    def set_keys(live, test):
        monkeypatch.setenv("CROWDFIX_STRIPE_SECRET_KEY", live)
        monkeypatch.setenv("CROWDFIX_STRIPE_TEST_SECRET_KEY", test)
        credentials.forget("STRIPE_SECRET_KEY", "STRIPE_TEST_SECRET_KEY")
    yield set_keys
    credentials.forget("STRIPE_SECRET_KEY", "STRIPE_TEST_SECRET_KEY")


def test_a_test_booking_uses_the_test_key_and_a_live_one_the_live_key(keys):
    keys("sk_live_abc", "sk_test_xyz")
    assert gw._secret_key(gw.mode_of("test")) == "sk_test_xyz"
    assert gw._secret_key(gw.mode_of(None)) == "sk_live_abc"


def test_a_live_key_given_as_the_test_key_is_refused(keys):
    keys("sk_live_abc", "sk_live_abc")
    with pytest.raises(ConfigurationError):
        gw._secret_key(gw.TEST)
