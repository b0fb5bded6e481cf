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


# --- frame-ancestors per tenant at the edge (AWS: infra/frame_policy.py) --------------------------------

EDGE_KEY = "0b8e6c1a-5d2f-4c3e-9a7b-1f2e3d4c5b6a"


def test_a_signed_grant_names_exactly_the_tenants_origins():
    import time

    now = time.time()
    grant = sec.sign_embed(EDGE_KEY, "acme-shop", ["https://shop.acme.example", "https://b.acme.example"], now)
    query = {"embed": "1", "tenant": "acme-shop", **grant}
    assert sec.embed_frame_ancestors(query, EDGE_KEY, now) == ("https://shop.acme.example", "https://b.acme.example")
    for change in ({"fa": "https://evil.example"}, {"fa": grant["fa"] + " https://evil.example"},
                   {"tenant": "other-shop"}, {"exp": str(int(grant["exp"]) + 86400)}, {"sig": "0" * 64},
                   {"embed": "0"}):
        assert sec.embed_frame_ancestors({**query, **change}, EDGE_KEY, now) == (), change
    assert sec.embed_frame_ancestors(query, "another-deployment", now) == ()
    assert sec.embed_frame_ancestors(query, EDGE_KEY, now + sec.EMBED_VALID_SECONDS + 86400) == ()  # expired
    assert sec.embed_frame_ancestors(query, None, now) == ()


def _run_edge_function(query: str, key: str = EDGE_KEY) -> dict:
    """The CloudFront Function's JavaScript, run by node on a viewer-response event."""
    import subprocess
    import urllib.parse

    from infra import frame_policy

    qs = {k: {"value": urllib.parse.quote_plus(v[0])} for k, v in urllib.parse.parse_qs(query).items()}
    event = {"request": {"method": "GET", "uri": "/index.html", "querystring": qs, "headers": {}},
             "response": {"statusCode": 200, "headers": {"x-frame-options": {"value": "DENY"}}}}
    script = frame_policy.source(key) + f"\nprocess.stdout.write(JSON.stringify(handler({json.dumps(event)}).headers));\n"
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=30, check=True)
    return {k: v["value"] for k, v in json.loads(out.stdout).items()}


def test_the_edge_function_lets_only_signed_origins_frame_the_app():
    import time
    import urllib.parse

    grant = sec.sign_embed(EDGE_KEY, "acme-shop", ["https://shop.acme.example"], time.time())
    signed = urllib.parse.urlencode({"tenant": "acme-shop", "lang": "de", "embed": "1", **grant})
    h = _run_edge_function(signed)
    assert _directives(h["content-security-policy"])["frame-ancestors"] == ["'self'", "https://shop.acme.example"]
    assert "x-frame-options" not in h
    # the same policy as the local web server's, apart from the frame grant
    assert h["content-security-policy"] == sec.app_csp(("https://shop.acme.example",))
    tampered = signed.replace("shop.acme.example", "evil.example")
    expired = urllib.parse.urlencode({"tenant": "acme-shop", "embed": "1", **sec.sign_embed(
        EDGE_KEY, "acme-shop", ["https://shop.acme.example"], time.time() - 3 * 86400)})
    for query in ("", "embed=1&tenant=acme-shop", tampered, expired, signed.replace("embed=1", "embed=0")):
        h = _run_edge_function(query)
        assert _directives(h["content-security-policy"])["frame-ancestors"] == ["'self'"], query
        assert h["x-frame-options"] == "SAMEORIGIN" and h["content-security-policy"] == sec.app_csp()
    # another deployment's key signs nothing here
    assert _directives(_run_edge_function(signed, key="other")["content-security-policy"])["frame-ancestors"] == ["'self'"]


@pytest.mark.integration
def test_the_widget_script_carries_the_tenants_signed_grant(api, signin, monkeypatch):
    import time
    import urllib.parse

    from tests.integration.partner_fixtures import new_partner

    p = new_partner(api, signin)
    tid = p["tenant_id"]
    assert api.call("PATCH", f"/v1/tenants/{tid}", {"widget_origins": ["https://shop.example"]}, p["ops"])[0] == 200
    monkeypatch.setenv("CROWDFIX_CLOUDFRONT_ORIGIN_TOKEN", EDGE_KEY)
    js = api.client.http.get(f"/v1/partners/{tid}/widget.js").body.decode()
    src = json.loads(re.search(r"var cfg = (\{.*?\});", js).group(1))["src"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(src).query)
    assert sec.embed_frame_ancestors(query, EDGE_KEY, time.time()) == ("https://shop.example",)
    assert _directives(_run_edge_function(urllib.parse.urlsplit(src).query)["content-security-policy"])[
        "frame-ancestors"] == ["'self'", "https://shop.example"]
    # locally (no token) the URL carries no grant: the local web server asks the API instead
    monkeypatch.delenv("CROWDFIX_CLOUDFRONT_ORIGIN_TOKEN")
    js = api.client.http.get(f"/v1/partners/{tid}/widget.js").body.decode()
    assert "sig=" not in json.loads(re.search(r"var cfg = (\{.*?\});", js).group(1))["src"]
