"""Pure partner rules: API keys, token bucket, Standard Webhooks signatures, back-off, quotes,
commission, tenant settings, the OpenAPI document and the partner pages."""
import json
import re

import pytest

from chalicelib.domain import partners as dp


def test_api_key_is_shown_once_and_stored_as_hash_with_visible_prefix():
    secret, prefix, digest = dp.new_api_key("live")
    assert re.match(r"^cfx_live_[A-Za-z0-9]{8}_[A-Za-z0-9]{32}$", secret)
    assert secret.startswith(prefix) and prefix.startswith("cfx_live_") and len(prefix) == 17
    assert digest == dp.hash_api_key(secret) and len(digest) == 64 and secret not in digest
    assert dp.looks_like_api_key(secret)
    assert not dp.looks_like_api_key(secret + "x") and not dp.looks_like_api_key("cfx_prod_" + secret[9:])
    assert dp.new_api_key("test")[0].startswith("cfx_test_")
    assert dp.new_api_key("live")[0] != secret


def test_token_bucket_allows_a_burst_then_refills_at_the_rate():
    tokens, t = 3.0, 100.0
    allowed = []
    for _ in range(5):
        ok, tokens, wait = dp.take_token(tokens, t, t, rate=2.0, burst=3)
        allowed.append(ok)
    assert allowed == [True, True, True, False, False]
    assert wait == pytest.approx(0.5)
    ok, tokens, _ = dp.take_token(tokens, t, t + 0.5, rate=2.0, burst=3)
    assert ok
    ok, tokens, _ = dp.take_token(0.0, t, t + 1000, rate=2.0, burst=3)
    assert ok and tokens == pytest.approx(2.0)  # capped at burst, minus the one taken


def test_webhook_signature_verifies_with_the_standardwebhooks_library():
    from standardwebhooks.webhooks import Webhook

    secret = dp.new_webhook_secret()
    body = json.dumps({"type": "booking.created", "data": {"booking_id": "b_x"}})
    import time
    ts = int(time.time())
    headers = dp.webhook_headers(secret, "msg_abc", ts, body)
    assert Webhook(secret).verify(body, headers) == json.loads(body)
    from standardwebhooks.webhooks import WebhookVerificationError
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("b_x", "b_y"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(dp.new_webhook_secret()).verify(body, headers)


def test_backoff_doubles_and_stops_after_three_days():
    assert [dp.backoff_seconds(a) for a in range(1, 6)] == [30, 60, 120, 240, 480]
    assert dp.backoff_seconds(30) == 12 * 3600
    first, now, attempt = 0.0, 0.0, 1
    while True:
        delay = dp.next_attempt_delay(attempt, first, now)
        if delay is None:
            break
        now += delay
        attempt += 1
    assert now <= dp.MAX_DELIVERY_SECONDS and now > 2 * 24 * 3600
    assert 12 <= attempt <= 20


def test_the_partner_tariff_defaults_are_the_pricing_policys():
    from chalicelib.domain.pricing import PARTNER_TARIFF_DEFAULTS
    defaults = dp.PricingPolicy().model_dump()
    assert {k: defaults[k] for k in PARTNER_TARIFF_DEFAULTS} == PARTNER_TARIFF_DEFAULTS


def test_commission_rounds_down_to_whole_minor_units():
    assert dp.commission_minor(12345, 10) == 1234
    assert dp.commission_minor(0, 50) == 0


def test_tenant_settings_merge_sections_and_feed_dispatch_policy():
    s = dp.tenant_settings_from(dp.CreateTenant(tenant_id="acme-tel", name="Acme",
                                                matching=dp.MatchingSettings(max_rounds=5), helper_pool="both"))
    assert s["helper_pool"] == "both" and s["max_rounds"] == 5 and s["matching"]["max_rounds"] == 5
    s2 = dp.tenant_settings_from(dp.UpdateTenant(billing_model="invoice"), s)
    assert s2["billing_model"] == "invoice" and s2["helper_pool"] == "both"


@pytest.mark.parametrize("bad", [{"tenant_id": "A", "name": "x"}, {"tenant_id": "acme", "name": ""},
                                 {"tenant_id": "acme", "name": "x", "branding": {"primary": "red"}},
                                 {"tenant_id": "acme", "name": "x", "currency": "XXX"},
                                 {"tenant_id": "acme", "name": "x", "billing_model": "cash"}])
def test_create_tenant_rejects_bad_fields(bad):
    from pydantic import ValidationError
    with pytest.raises(ValidationError):
        dp.CreateTenant.model_validate(bad)


def _tenant(**over):
    t = {"tenant_id": "acme-tel", "name": "Acme <Tel>", "locale": "en", "currency": "CHF",
         "branding": dp.Branding(primary="#112233").model_dump(mode="json"),
         "landing": dp.LandingCopy(headline="Help & more <script>", hotline="+41 44 000 00 00").model_dump(mode="json")}
    t.update(over)
    return t


def test_landing_page_is_branded_accessible_and_escapes_partner_text():
    from chalicelib.domain.pages import landing_page
    html = landing_page(_tenant(), "https://app.crowdfix.example")
    assert '<html lang="en">' in html and "--primary: #112233" in html
    assert "<script>" not in html and "Help &amp; more &lt;script&gt;" in html and "Acme &lt;Tel&gt;" in html
    assert 'href="https://app.crowdfix.example/?tenant=acme-tel&amp;lang=en' in html
    # the partner's hotline is dialled through /call, which counts the press first (17.7)
    assert 'href="/v1/partners/acme-tel/call"' in html and "+41 44 000 00 00" in html
    assert 'class="skip"' in html and "<main id=\"main\">" in html
    # a campaign's local number, and the campaign carried into the booking link and the call
    html = landing_page(_tenant(landing={**_tenant()["landing"], "campaign_hotlines": {"winter": "+41 31 111 11 11"}}),
                        "https://app.crowdfix.example", {"utm_campaign": "winter", "affiliate_code": "shop7"})
    assert "+41 31 111 11 11" in html and "+41 44 000 00 00" not in html
    assert 'href="/v1/partners/acme-tel/call?utm_campaign=winter&amp;affiliate_code=shop7"' in html
    assert "&amp;utm_campaign=winter&amp;affiliate_code=shop7" in html


def test_widget_script_embeds_the_app_with_tenant_and_colours():
    from chalicelib.domain.pages import widget_script
    js = widget_script(_tenant(name="Acme </script><b>"), "https://app.crowdfix.example/")
    cfg = json.loads(re.search(r"var cfg = (.*);\n", js).group(1).replace("<\\/", "</"))
    assert cfg["src"].startswith("https://app.crowdfix.example/?tenant=acme-tel") and "embed=1" in cfg["src"]
    assert "primary=%23112233" in cfg["src"] and cfg["origin"] == "https://app.crowdfix.example"
    assert "</script>" not in js
