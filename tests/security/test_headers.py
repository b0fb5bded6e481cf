"""Issue 16, item 6: security headers locally — the web app (localdev/webserver.py), the API's
HTML pages (reference docs, partner landing pages) and its JSON answers."""
from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import threading
import urllib.request

import pytest

from chalicelib.domain import headers as sec
from tests.security.listeners import Listener


def _directives(csp: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in csp.split(";")) if d}


def test_the_app_policy_allows_only_our_origin_and_stripes_documented_sources():
    d = _directives(sec.app_csp())
    allowed = {"'self'", "'none'", "data:", "https://js.stripe.com", "https://*.js.stripe.com",
               "https://hooks.stripe.com", "https://api.stripe.com"}
    assert {s for sources in d.values() for s in sources} <= allowed
    assert d["script-src"] == ["'self'", "https://js.stripe.com", "https://*.js.stripe.com"]
    assert d["frame-ancestors"] == ["'self'"] and d["object-src"] == ["'none'"] and d["base-uri"] == ["'self'"]
    assert "unsafe" not in sec.app_csp()
    assert _directives(sec.app_csp(("https://shop.example",)))["frame-ancestors"] == ["'self'", "https://shop.example"]


def test_server_rendered_pages_allow_their_inline_styles_by_hash_and_no_script():
    html = '<html><head><style>body{color:red}</style></head><body><img src="https://cdn.partner.example/l.png"></body></html>'
    d = _directives(sec.page_csp(html))
    digest = base64.b64encode(hashlib.sha256(b"body{color:red}").digest()).decode()
    assert d["style-src"] == ["'self'", f"'sha256-{digest}'"]
    assert d["default-src"] == ["'none'"] and "script-src" not in d  # falls back to 'none'
    assert d["img-src"] == ["'self'", "data:", "https://cdn.partner.example"]
    assert d["frame-ancestors"] == ["'none'"]


# --- the local web server ---------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def web(tmp_path, monkeypatch):
    from localdev.webserver import serve

    (tmp_path / "index.html").write_text("<!doctype html><title>crowdfix</title><script type=module src=/a.js></script>")
    (tmp_path / "a.js").write_text("console.log(1)")

    def answer(h):
        m = re.match(r"^/v1/partners/([a-z0-9-]+)/frame-ancestors$", h.path)
        if m and m.group(1) == "acme-shop":
            return h.reply(200, json.dumps({"origins": ["https://shop.acme.example"]}).encode(),
                           {"Content-Type": "application/json"})
        return h.reply(404, b'{"status":404}', {"Content-Type": "application/problem+json"})

    api = Listener(answer=answer)
    monkeypatch.setenv("CROWDFIX_STRIPE_JS_URL", "http://127.0.0.1:8420/js.stripe.com/v3/")
    server = serve(_free_port(), f"http://127.0.0.1:{api.port}", tmp_path)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", api
    server.shutdown()
    server.server_close()
    api.close()


def _get(url):
    with urllib.request.urlopen(url, timeout=5) as resp:
        return {k.lower(): v for k, v in resp.headers.items()}


def test_the_web_app_is_served_with_the_policy(web):
    base, _ = web
    for path in ("/", "/helper", "/a.js"):
        h = _get(base + path)
        d = _directives(h["content-security-policy"])
        assert d["frame-ancestors"] == ["'self'"] and h["x-frame-options"] == "SAMEORIGIN"
        assert "http://127.0.0.1:8420" in d["script-src"]  # the local Stripe stand-in, from the environment
        assert h["strict-transport-security"].startswith("max-age=") and "includeSubDomains" in h["strict-transport-security"]
        assert h["referrer-policy"] == "strict-origin-when-cross-origin"
        assert "camera=()" in h["permissions-policy"] and "microphone=()" in h["permissions-policy"]
        assert h["x-content-type-options"] == "nosniff"


def test_only_the_tenants_registered_origins_may_frame_its_embedded_flow(web):
    base, api = web
    d = _directives(_get(base + "/?embed=1&tenant=acme-shop&lang=de")["content-security-policy"])
    assert d["frame-ancestors"] == ["'self'", "https://shop.acme.example"]
    for path in ("/?embed=1&tenant=other-shop", "/?tenant=acme-shop", "/?embed=1&tenant=../../etc"):
        h = _get(base + path)
        assert _directives(h["content-security-policy"])["frame-ancestors"] == ["'self'"], path
    assert [hit["path"] for hit in api.hits] == ["/v1/partners/acme-shop/frame-ancestors",
                                                   "/v1/partners/other-shop/frame-ancestors"]


# --- the API's pages and answers ----------------------------------------------------------------------

@pytest.mark.integration
@pytest.mark.parametrize("path", ["/v1/docs", "/v1/partners/crowdfix/landing"])
def test_the_apis_html_pages_carry_a_strict_policy(api, path):
    status, body, headers = api.call("GET", path)
    assert status == 200
    body = body.decode() if isinstance(body, bytes) else body
    d = _directives(headers["Content-Security-Policy"])
    assert d["default-src"] == ["'none'"] and d["frame-ancestors"] == ["'none'"]
    for style in re.findall(r"<style[^>]*>(.*?)</style>", body, re.DOTALL):
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in d["style-src"]
    assert "<script" not in body.lower()
    assert headers["X-Frame-Options"] == "DENY" and headers["Strict-Transport-Security"].startswith("max-age=")
    assert headers["Referrer-Policy"] and headers["Permissions-Policy"]


@pytest.mark.integration
def test_json_answers_cannot_run_as_a_page(api):
    status, _, headers = api.call("GET", "/v1/health")
    assert status == 200 and headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.integration
def test_a_tenant_registers_the_origins_of_its_widget_pages(api, signin):
    from tests.integration.partner_fixtures import new_partner

    p = new_partner(api, signin)
    path = f"/v1/tenants/{p['tenant_id']}"
    for bad in (["http://shop.example"], ["https://shop.example/path"], ["*"], ["https://*.example"],
                ["https://a@shop.example"], ["javascript:alert(1)"]):
        status, problem, _ = api.call("PATCH", path, {"widget_origins": bad}, p["ops"])
        assert status == 422 and problem["field"].startswith("widget_origins"), (bad, problem)
    status, tenant, _ = api.call("PATCH", path, {"widget_origins": ["https://Shop.Example", "https://shop.example"]},
                                 p["ops"])
    assert status == 200 and tenant["widget_origins"] == ["https://shop.example"]
    status, body, _ = api.call("GET", f"/v1/partners/{p['tenant_id']}/frame-ancestors")
    assert status == 200 and body["origins"] == ["https://shop.example"]
