"""Issue 16, item 1: server-side requests to URLs someone else gave us are safe by construction.

Everything goes through ``chalicelib.adapters.outbound``: local listeners on 127.0.0.x, a resolver
stub for every host name, a throw-away CA for TLS. Nothing leaves the machine."""
from __future__ import annotations

import pytest

from chalicelib.adapters import outbound
from chalicelib.domain.urls import UrlRefused, address_refusal, parse_url
from tests.security.listeners import Listener, LocalCA, dripping


@pytest.fixture()
def ca():
    return LocalCA()


# --- the one parse ------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "https://127.0.0.1\\@fcm.googleapis.com/fcm/send/x",   # the reported bypass
    "https://fcm.googleapis.com@127.0.0.1/x",
    "https://user:pw@hooks.partner.example/x",
    "https://127.1/x", "https://0x7f.0.0.1/x", "https://2130706433/x", "https://0177.0.0.1/x",
    "https://hooks.partner.example /x", "https://hooks.partner.example/\tx", "https://hööks.example/x",
    "https://hooks.partner.example/x#frag", "ftp://hooks.partner.example/x", "//hooks.partner.example/x",
    "https://[::1/x", "https://hooks.partner.example:99999/x", "https://hooks.partner.example:44a/x",
    "https://%31%32%37.0.0.1/x", "https:///x",
])
def test_ambiguous_urls_are_refused_by_the_one_parse(url):
    with pytest.raises(UrlRefused):
        parse_url(url)


def test_the_parse_gives_host_port_and_path_once():
    t = parse_url("https://Hooks.Partner.example:8443/in/box?x=1")
    assert (t.scheme, t.host, t.port, t.path) == ("https", "hooks.partner.example", 8443, "/in/box?x=1")
    assert parse_url("https://[2a00:1450::1]/p").host == "2a00:1450::1"


@pytest.mark.parametrize("address,why", [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"),
    ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
    ("10.0.0.1", "private"), ("192.168.1.1", "private"), ("172.16.0.1", "private"), ("fd12::1", "private"),
    ("169.254.169.254", "metadata"), ("fd00:ec2::254", "metadata"), ("169.254.1.1", "link-local"),
    ("fe80::1", "link-local"), ("100.64.0.1", "public"), ("0.0.0.0", ""), ("224.0.0.1", ""),
    ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
])
def test_non_public_addresses_are_refused(address, why):
    reason = address_refusal(address)
    assert reason and why in reason


def test_public_addresses_pass_and_loopback_only_when_allowed():
    assert address_refusal("8.8.8.8") is None and address_refusal("2a00:1450:4001::1") is None
    assert address_refusal("127.0.0.1", allow_loopback=True) is None
    assert address_refusal("10.0.0.1", allow_loopback=True)  # local stage: loopback only, not private


# --- refusing before sending -----------------------------------------------------------------------

def test_a_host_that_resolves_to_a_private_or_loopback_address_is_never_contacted(resolver):
    target = Listener()
    try:
        resolver.table.update({"hooks.evil.example": [target.host], "mixed.evil.example": ["93.184.215.14", "10.0.0.7"],
                               "meta.evil.example": ["169.254.169.254"]})
        for host in ("hooks.evil.example", "mixed.evil.example", "meta.evil.example"):
            resp = outbound.request("POST", f"https://{host}:{target.port}/x", body=b"{}", allow_loopback=False)
            assert resp.status is None and resp.reason.startswith("refused: host resolves to a")
        for url in (target.url(scheme="https"), f"https://[::1]:{target.port}/x", "https://169.254.169.254/latest",
                    "https://10.0.0.1/x", "https://metadata.google.internal/x", "https://db/x"):
            resp = outbound.request("POST", url, body=b"{}", allow_loopback=False)
            assert resp.status is None and resp.reason.startswith("refused"), url
        assert target.connections == 0 and target.hits == []
    finally:
        target.close()


def test_the_connection_goes_to_the_checked_address_resolved_once(resolver, ca):
    """DNS rebinding: a second look-up would give another address; there is no second look-up."""
    checked, other = Listener("127.0.0.1", tls=ca.server_context("rebind.partner.example")), None
    try:
        other = Listener("127.0.0.2", port=checked.port, tls=ca.server_context("rebind.partner.example"))
        outbound.set_tls_context(ca.client_context)
        resolver.table["rebind.partner.example"] = lambda n: ["127.0.0.1"] if n == 1 else ["127.0.0.2"]
        resp = outbound.request("POST", f"https://rebind.partner.example:{checked.port}/in", body=b"{}",
                                allow_loopback=True)
        assert resp.status == 200
        assert len(resolver.calls) == 1
        assert len(checked.hits) == 1 and other.hits == [] and other.connections == 0
        assert checked.hits[0]["host"] == f"rebind.partner.example:{checked.port}"
    finally:
        checked.close()
        if other:
            other.close()


def test_redirects_are_never_followed(resolver):
    inner = Listener()
    outer = Listener(answer=lambda h: h.reply(302, b"", {"Location": inner.url("/admin")}))
    try:
        resp = outbound.request("POST", outer.url(), body=b"{}", allow_loopback=True)
        assert resp.status == 302 and not resp.ok and "not followed" in resp.reason
        assert len(outer.hits) == 1 and inner.hits == [] and inner.connections == 0
    finally:
        inner.close()
        outer.close()


def test_tls_verifies_the_host_name_while_connecting_to_the_checked_address(resolver, ca):
    good = Listener(tls=ca.server_context("hooks.partner.example"))
    wrong = Listener(tls=ca.server_context("someone-else.example"))
    try:
        outbound.set_tls_context(ca.client_context)
        resolver.table.update({"hooks.partner.example": [(good.host, good.port)],
                               "hooks2.partner.example": [(wrong.host, wrong.port)]})
        resp = outbound.request("POST", "https://hooks.partner.example/in", body=b"{}", allow_loopback=True)
        assert resp.status == 200 and good.sni == ["hooks.partner.example"]
        assert good.hits[0]["host"] == "hooks.partner.example"
        resp = outbound.request("POST", "https://hooks2.partner.example/in", body=b"{}", allow_loopback=True)
        assert resp.status is None and resp.reason == "TLS certificate not valid for this host"
        assert wrong.hits == []
        outbound.set_tls_context(None)  # the system trust store does not know the test CA
        resp = outbound.request("POST", "https://hooks.partner.example/in", body=b"{}", allow_loopback=True)
        assert resp.status is None and resp.reason == "TLS certificate not valid for this host"
    finally:
        good.close()
        wrong.close()


def test_one_deadline_for_the_whole_exchange_even_when_the_server_drips(resolver):
    slow = Listener(answer=dripping(0.02))
    try:
        resp = outbound.request("POST", slow.url(), body=b"{}", timeout=0.5, allow_loopback=True)
        assert resp.status is None and resp.reason == "timed out"
        assert len(slow.hits) == 1
    finally:
        slow.close()


def test_the_answer_is_read_up_to_a_bound_and_the_reason_is_short(resolver):
    big = Listener(answer=lambda h: h.reply(500, b"x" * 1_000_000 + b"secret stack trace"))
    try:
        resp = outbound.request("POST", big.url(), body=b"{}", max_body=1024, allow_loopback=True)
        assert resp.status == 500 and len(resp.body) == 1024 and resp.reason == "HTTP 500"
    finally:
        big.close()


def test_unresolvable_and_unreachable_hosts_give_short_reasons(resolver):
    assert outbound.request("POST", "https://nowhere.partner.example/x").reason == "host name does not resolve"
    probe = Listener()
    port = probe.port
    probe.close()
    resp = outbound.request("POST", f"http://127.0.0.1:{port}/x", allow_loopback=True)
    assert resp.status is None and resp.reason == "not reachable"
