"""The HTTP edge: every route of the app is declared (method, path, who may call, input types and a
response model), the OpenAPI document is generated from those declarations, and a declaration
checks its input before the view runs."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from chalice import Blueprint, Chalice
from chalice.test import Client

import app as app_module
from chalicelib.http import PUBLIC, ROUTES, Edge, Reply, signed_in
from chalicelib.http import problems
from chalicelib.http import types as t
from chalicelib.http.edge import declaration_of, model, undeclared_routes

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------------------------------------
# the app's routes

def test_every_route_of_the_app_is_declared_with_a_response_model():
    assert undeclared_routes(app_module.app) == []
    for path, entries in app_module.app.routes.items():
        for method in entries:
            route = declaration_of(app_module.app, path, method)
            assert route.response, f"{method} {path} has no response model"
            if route.json_response:
                assert model(route.response).model_json_schema()["type"] == "object"


def test_a_route_registered_without_a_declaration_is_listed():
    # given an app with one declared route and one made with plain Chalice
    bp = Blueprint(__name__)
    api = Edge(bp, tag="test")

    @api.get("/declared", response="Health")
    def declared(call):
        return {"ok": True}

    @bp.route("/bare", methods=["GET"])
    def bare():
        return {}

    app = Chalice(app_name="edge-test")
    app.register_blueprint(bp)
    # then the bare one is named, the declared one is not
    assert undeclared_routes(app) == ["GET /bare"]
    ROUTES.remove(declared.route)


def test_every_model_a_declaration_names_exists():
    for route in ROUTES:
        for ref in filter(None, (route.body, route.query_model, route.response if route.json_response else None)):
            assert hasattr(model(ref), "model_json_schema"), f"{route.view}: {ref}"


def test_the_failure_statuses_of_the_query_are_the_failure_stores():
    from chalicelib.handlers.ops import FAILURE_STATUSES
    from chalicelib.services.failures import STATUSES
    assert FAILURE_STATUSES == STATUSES


# ---------------------------------------------------------------------------------------------
# the generated OpenAPI document

def _operations(doc):
    return {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}


def test_the_document_has_one_operation_per_route_of_the_app():
    from chalicelib.http.openapi import build
    doc = build()
    routes = {(m, p) for p, entries in app_module.app.routes.items() for m in entries if p != "/{proxy+}"}
    assert _operations(doc) == routes
    assert doc["openapi"] == "3.1.0"
    json.dumps(doc)


def test_the_document_is_valid_openapi_3_1():
    from openapi_spec_validator import validate
    from chalicelib.http.openapi import build
    validate(build())


def test_bodies_responses_parameters_and_security_come_from_the_declarations():
    from chalicelib.http.openapi import build
    doc = build()
    schemas = doc["components"]["schemas"]

    def schema(ref):
        return schemas[ref["$ref"].rsplit("/", 1)[-1]]

    op = doc["paths"]["/v1/partner/bookings"]["post"]
    body = schema(op["requestBody"]["content"]["application/json"]["schema"])
    assert body["properties"]["external_ref"]["maxLength"] == 64  # straight from PartnerCreateBooking
    assert "customer" in body["required"]
    assert {"201", "200", "401", "429"} <= op["responses"].keys()
    assert {p["name"]: p["in"] for p in op["parameters"]} == {"Idempotency-Key": "header"}
    assert {"apiKeyHeader": []} in op["security"]

    listing = doc["paths"]["/v1/bookings"]["get"]
    limit = next(p for p in listing["parameters"] if p["name"] == "limit")
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
    assert listing["security"] == [{"bearerAuth": []}]
    out = schema(listing["responses"]["200"]["content"]["application/json"]["schema"])
    assert set(out["required"]) == {"items", "next_cursor"}

    tenant = doc["paths"]["/v1/tenants/{tenant_id}/statement"]["get"]["parameters"][0]
    assert tenant["schema"]["pattern"] == t.TenantId.schema["pattern"]
    from chalicelib.domain.partners import CreateTenant
    assert CreateTenant.model_json_schema()["properties"]["tenant_id"]["pattern"] == tenant["schema"]["pattern"]
    assert "security" not in doc["paths"]["/v1/health"]["get"]


def test_the_document_is_built_on_first_request_not_at_import():
    code = ("import app, sys; assert 'chalicelib.http.openapi' not in sys.modules; "
            "assert 'chalicelib.http.models' not in sys.modules and 'pydantic' not in sys.modules; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "eu-central-1"})
    assert out.stdout.strip() == "ok", out.stderr


# ---------------------------------------------------------------------------------------------
# what a declaration checks before the view runs

@pytest.fixture(scope="module")
def client():
    bp = Blueprint(__name__)
    api = Edge(bp, tag="test")
    seen = {}

    @api.get("/v1/things/{booking_id}", query={"limit": t.limit(20, 50), "state": t.one_of(("a", "b"))},
             headers={"Idempotency-Key": t.IdempotencyKey}, response="Health")
    def thing(call, booking_id):
        seen.update(booking_id=booking_id, query=call.query, headers=call.headers)
        return Reply({"ok": True}, status=203)

    @api.post("/v1/things", body="schemas:CancelBooking", response="Health", status=201)
    def create(call):
        seen.update(body=call.body)
        return {"ok": True}

    @api.get("/v1/mine", auth=signed_in("ops"), response="Health")
    def mine(call):
        return {"ok": True}

    @api.put("/v1/picture", raw_body=("image/png",), response="Health")
    def picture(call):
        seen.update(raw=call.request.raw_body)
        return {"ok": True}

    app = Chalice(app_name="edge-test")
    app.register_blueprint(bp)
    problems.install(app)
    with Client(app) as c:
        yield c, seen
    for view in (thing, create, mine, picture):
        ROUTES.remove(view.route)


def _problem(resp, status, field=None):
    body = json.loads(resp.body)
    assert resp.status_code == status, body
    assert resp.headers["Content-Type"] == "application/problem+json"
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body.get("field") == field
    return body


def test_valid_input_reaches_the_view_typed_and_defaulted(client):
    c, seen = client
    resp = c.http.get("/v1/things/b_abc123?state=a", headers={"Idempotency-Key": "k1"})
    assert resp.status_code == 203 and json.loads(resp.body) == {"ok": True}
    assert seen["booking_id"] == "b_abc123"
    assert seen["query"] == {"limit": 20, "state": "a"} and seen["headers"] == {"Idempotency-Key": "k1"}


@pytest.mark.parametrize("url,headers,field", [
    ("/v1/things/not-an-id", {}, "booking_id"),
    ("/v1/things/b_abc123?limit=abc", {}, "limit"),
    ("/v1/things/b_abc123?limit=51", {}, "limit"),
    ("/v1/things/b_abc123?state=c", {}, "state"),
    ("/v1/things/b_abc123", {"Idempotency-Key": "x" * 256}, "Idempotency-Key"),
])
def test_bad_path_query_or_header_values_are_a_422_naming_the_field(client, url, headers, field):
    c, _ = client
    _problem(c.http.get(url, headers=headers), 422, field)


def test_the_body_is_validated_by_its_model(client):
    c, seen = client
    json_headers = {"Content-Type": "application/json"}
    _problem(c.http.post("/v1/things", body="not json", headers=json_headers), 400, "body")
    _problem(c.http.post("/v1/things", body=json.dumps({"reason": "x" * 10000}), headers=json_headers), 422, "reason")
    resp = c.http.post("/v1/things", body=json.dumps({"reason": "moved"}), headers=json_headers)
    assert resp.status_code == 201 and seen["body"].reason == "moved"


def test_a_raw_body_of_a_declared_media_type_reaches_the_view(client):
    c, seen = client
    resp = c.http.put("/v1/picture", body=b"\x89PNG...", headers={"Content-Type": "image/png"})
    assert resp.status_code == 200 and seen["raw"] == b"\x89PNG..."
    assert c.http.put("/v1/picture", body=b"{}", headers={"Content-Type": "application/json"}).status_code == 415


def test_who_may_call_is_checked_first(client):
    c, _ = client
    body = _problem(c.http.get("/v1/mine"), 401)
    assert "sign in" in body["detail"]
    assert PUBLIC.security == ()


# ---------------------------------------------------------------------------------------------
# lazy module handles

def test_a_lazy_module_is_imported_on_first_use_only():
    code = ("import sys; from chalicelib.lazy import lazy; m = lazy('chalicelib.domain.pricing'); "
            "before = 'chalicelib.domain.pricing' in sys.modules; m.__name__; "
            "print(before, 'chalicelib.domain.pricing' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "eu-central-1"})
    assert out.stdout.split() == ["False", "True"], out.stderr


def test_the_reference_page_renders_every_operation_of_the_generated_document():
    # a route with a non-JSON body (the helper's photo) once broke /v1/docs with a 500
    from chalicelib.domain.pages import reference_page
    from chalicelib.http.openapi import build
    doc = build()
    html = reference_page(doc)
    assert all(path in html for path in doc["paths"]) and "image/png" in html
