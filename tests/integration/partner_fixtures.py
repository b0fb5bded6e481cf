"""Helpers for partner tests: a fresh partner tenant with an API key, made through the HTTP API as
platform ops (the demo ops account)."""
from __future__ import annotations

import uuid

from tests.stack_fixtures import booking_body

OPS_EMAIL = "ops@crowdfix.local"




def new_partner(api, signin, *, pool="crowd", environment="live", rate_limit=None, **tenant_fields):
    """A tenant and one API key: live by default (real dispatch, messages sent); ``environment="test"``
    for the sandbox (simulated helpers, messages recorded, docs/partners.md)."""
    ops = signin(OPS_EMAIL, "ops")
    tenant_id = "p-" + uuid.uuid4().hex[:10]
    body = {"tenant_id": tenant_id, "name": f"Partner {tenant_id}", "locale": "en", "currency": "CHF",
            "helper_pool": pool, "billing_model": "invoice",
            "branding": {"primary": "#aa0044", "accent": "#ffcc00"}, **tenant_fields}
    status, tenant, _ = api.call("POST", "/v1/tenants", body, ops)
    assert status == 201, tenant
    key_body = {"name": "backend", "environment": environment, **({"rate_limit": rate_limit} if rate_limit else {})}
    status, key, _ = api.call("POST", f"/v1/tenants/{tenant_id}/api-keys", key_body, ops)
    assert status == 201, key
    return {"tenant_id": tenant_id, "ops": ops, "key": key["secret"], "key_id": key["key_id"],
            "h": {"X-Api-Key": key["secret"]}}


def partner_booking(external_ref=None, email=None, **over):
    body = booking_body(**{"payment": None, **over})  # a partner holds no card
    body["customer"] = {"email": email or f"pc-{uuid.uuid4().hex[:8]}@example.org", "name": "Hans Kunde"}
    body["external_ref"] = external_ref or f"ORD-{uuid.uuid4().hex[:8]}"
    return body
