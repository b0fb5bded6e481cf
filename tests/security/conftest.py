"""Shared fixtures of the security tests."""
import pytest



@pytest.fixture()
def resolver():
    """A stub resolver for the outbound module (nothing leaves the machine), reset afterwards."""
    from chalicelib.adapters import outbound
    from tests.security.listeners import StubResolver

    stub = StubResolver()
    outbound.set_resolver(stub)
    yield stub
    outbound.set_resolver(None)
    outbound.set_tls_context(None)
