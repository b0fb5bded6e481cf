"""Issue 16, item 1 on the paths that use the outbound module: Web Push (pywebpush posts through
``adapters.outbound``), partner webhook delivery (``webhooks._post``) and endpoint creation."""
from __future__ import annotations

import os

import pytest

from chalicelib.adapters import outbound
from tests.security.listeners import Listener, LocalCA

BYPASS = "https://127.0.0.1\\@fcm.googleapis.com/fcm/send/abc"


@pytest.fixture()
def vapid():
    if "CROWDFIX_VAPID_PRIVATE_KEY" not in os.environ:
        from chalicelib.adapters.webpush import generate_vapid_private_key
        os.environ["CROWDFIX_VAPID_PRIVATE_KEY"] = generate_vapid_private_key()


@pytest.fixture()
def fcm(resolver, vapid):
    """The local push stand-in behind TLS, answering as fcm.googleapis.com (stub resolver + test CA)."""
    from localdev.pushserver import PushStandIn

    ca = LocalCA()
    stand_in = PushStandIn()
    ctx = ca.server_context("fcm.googleapis.com")
    stand_in._server.socket = ctx.wrap_socket(stand_in._server.socket, server_side=True)
    port = stand_in._server.server_address[1]
    stand_in.url = "https://fcm.googleapis.com"  # endpoints and the VAPID audience it expects
    stand_in.start()
    resolver.table["fcm.googleapis.com"] = [("127.0.0.1", port)]
    outbound.set_tls_context(ca.client_context)
    yield stand_in
    stand_in.stop()


def _send(sub):
    from chalicelib.adapters.webpush import send_push
    return send_push(sub["endpoint"], sub["keys"]["p256dh"], sub["keys"]["auth"], {"title": "Hallo"})


def test_web_push_goes_through_the_outbound_module_to_the_checked_push_host(fcm, resolver):
    sub = fcm.subscribe()
    assert sub["endpoint"].startswith("https://fcm.googleapis.com/push/")
    assert _send(sub) == 201
    got = fcm.messages()
    assert len(got) == 1 and got[0]["payload"] == {"title": "Hallo"} and got[0]["status"] == 201
    assert resolver.calls == [("fcm.googleapis.com", 443)]  # resolved once, by the outbound module


def test_web_push_to_a_push_host_resolving_to_loopback_is_refused_outside_the_local_stage(fcm, monkeypatch):
    from chalicelib.adapters.webpush import PushFailed

    monkeypatch.setattr(outbound, "_local_stage", lambda: False)
    with pytest.raises(PushFailed, match="refused: host resolves to a loopback address"):
        _send(fcm.subscribe())
    assert fcm.messages() == []


def test_the_reported_push_endpoint_bypass_is_refused_everywhere(resolver, vapid):
    from chalicelib.adapters.webpush import PushGone, send_push
    from chalicelib.domain.notification_schemas import push_endpoint_allowed

    local = Listener("127.0.0.1", port=0)
    try:
        for stage in ("prod", "local"):
            assert not push_endpoint_allowed(BYPASS, stage)
            assert not push_endpoint_allowed(f"https://fcm.googleapis.com@127.0.0.1:{local.port}/x", stage)
            assert not push_endpoint_allowed("https://fcm.googleapis.com:8443/x", stage)
        assert push_endpoint_allowed("https://fcm.googleapis.com/fcm/send/abc", "prod")
        assert push_endpoint_allowed("https://wns2-par02p.notify.windows.com/w/?token=x", "prod")
        assert not push_endpoint_allowed("https://notify.windows.com.evil.example/w", "prod")
        with pytest.raises(PushGone):
            send_push(BYPASS.replace("127.0.0.1", f"127.0.0.1:{local.port}"), "k" * 87, "a" * 22, {"t": 1})
        with pytest.raises(PushGone):  # a stored endpoint on another host is never called
            send_push("https://evil.example/push", "k" * 87, "a" * 22, {"t": 1})
        assert local.connections == 0 and resolver.calls == []
    finally:
        local.close()


def test_webhook_post_does_not_follow_redirects_and_records_a_short_reason(resolver):
    from chalicelib.services.webhooks import _post

    inner = Listener()
    outer = Listener(answer=lambda h: h.reply(302, b"see other", {"Location": inner.url("/internal")}))
    try:
        status, error = _post(outer.url(), "{}", {"content-type": "application/json"})
        assert status == 302 and error == "HTTP 302 (redirects are not followed)"
        assert inner.hits == [] and len(outer.hits) == 1
        status, error = _post("https://169.254.169.254/latest/meta-data", "{}", {})
        assert status is None and error == "refused: cloud metadata address"
        failing = Listener(answer=lambda h: h.reply(500, b"Traceback (most recent call last): secret=abc"))
        try:
            assert _post(failing.url(), "{}", {}) == (500, "HTTP 500")
        finally:
            failing.close()
    finally:
        inner.close()
        outer.close()


@pytest.mark.integration
@pytest.mark.parametrize("url", [
    "https://169.254.169.254/latest/meta-data/", "https://10.0.0.1/hook", "https://192.168.1.10/hook",
    "https://[fd00:ec2::254]/x", "https://metadata.google.internal/computeMetadata/v1/",
    "https://intranet/hook", "https://hooks.partner.example:22/x",
])
def test_webhook_endpoints_on_private_or_metadata_hosts_are_refused_up_front(api, signin, url):
    from tests.integration.partner_fixtures import new_partner

    p = new_partner(api, signin)
    status, problem, _ = api.call("POST", f"/v1/tenants/{p['tenant_id']}/webhooks", {"url": url}, p["h"])
    assert status == 422 and problem["field"] == "url", problem
    assert "cannot be used" in problem["detail"]


@pytest.mark.integration
def test_loopback_webhooks_only_on_the_local_stage(api, signin, monkeypatch):
    from tests.integration.partner_fixtures import new_partner

    p = new_partner(api, signin)
    path = f"/v1/tenants/{p['tenant_id']}/webhooks"
    assert api.call("POST", path, {"url": "http://127.0.0.1:9/hooks"}, p["h"])[0] == 201
    monkeypatch.setattr(outbound, "_local_stage", lambda: False)
    for url in ("http://127.0.0.1:9/hooks", "https://[::1]/hooks", "https://127.0.0.1/hooks"):
        status, problem, _ = api.call("POST", path, {"url": url}, p["h"])
        assert status == 422 and problem["field"] == "url", (url, problem)


@pytest.mark.integration
def test_push_subscription_with_the_bypass_endpoint_is_refused(api, signin):
    helper = signin("helper@crowdfix.local", "helper")
    sub = {"endpoint": BYPASS, "keys": {"p256dh": "B" + "k" * 86, "auth": "a" * 22}}
    status, problem, _ = api.call("POST", "/v1/push/subscriptions", sub, helper)
    assert status == 422 and problem["field"] == "endpoint"
