"""Cold start is what a customer feels at night: `import app` registers routes and nothing heavy.

Handlers import their services, pydantic schemas and AWS clients inside the route functions, so a
request pays only for what it uses (a booking read never loads pydantic). These checks fail as soon
as someone adds a heavy top-level import to a module `app.py` reaches, or a module the first signed-in
booking read does not use to that read's path (``bench/cold_start.py`` times it).
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ["stripe", "pydantic", "pynamodb", "botocore", "boto3", "h3", "aws_lambda_powertools", "pywebpush"]


def _run(code: str):
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "eu-central-1"})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def _modules_after(code: str) -> set[str]:
    return set(_run(code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"))


# The bench's first request (a signed-in customer reads a booking: API Gateway event -> app.app), here
# against the in-memory store and for a booking that is not there (404): the same token check, edge,
# services and views. Prints the status and the modules the request itself imported.
FIRST_REQUEST = r"""
import json, os, sys
os.environ["CROWDFIX_TOKEN_SECRET"] = "cold-start-test-signing-key-of-enough-length"
import app
from chalicelib.domain import tokens
from chalicelib.store import memory_repos, using
repos = memory_repos()
token = tokens.issue(os.environ["CROWDFIX_TOKEN_SECRET"], role="customer", subject="c_cold0001",
                     tenant="crowdfix", ttl_seconds=600)
bid = "b_" + "0" * 26
event = {"resource": "/v1/bookings/{booking_id}", "path": "/v1/bookings/" + bid, "httpMethod": "GET",
         "headers": {"Authorization": "Bearer " + token, "Host": "localhost"}, "multiValueHeaders": {},
         "queryStringParameters": None, "multiValueQueryStringParameters": None,
         "pathParameters": {"booking_id": bid}, "stageVariables": None, "body": None, "isBase64Encoded": False,
         "requestContext": {"resourcePath": "/v1/bookings/{booking_id}", "httpMethod": "GET", "stage": "local",
                            "requestId": "cold", "identity": {"sourceIp": "127.0.0.1"}}}
before = set(sys.modules)
with using(repos):
    resp = app.app(event, None)
print(json.dumps({"status": resp["statusCode"], "loaded": sorted(set(sys.modules) - before)}))
"""


def test_import_app_loads_no_heavy_library():
    loaded = _modules_after("import app")
    assert not [m for m in HEAVY if m in loaded]
    assert not [m for m in loaded if m.startswith("chalicelib.services")], "services load on first use"


def test_booking_read_path_does_not_load_pydantic():
    # what GET /v1/bookings/{id} imports: the bookings service, views and token checks
    loaded = _modules_after("import app, chalicelib.services.bookings, chalicelib.services.views, "
                            "chalicelib.http.edge, chalicelib.http.cursors")
    assert "pydantic" not in loaded and "stripe" not in loaded


def test_the_first_booking_read_checks_the_token_without_the_sign_in_service():
    # a bearer token is checked with chalicelib.domain.tokens alone: chalicelib.services.auth brings the
    # sign-in code and people stores, their records (frozen dataclasses) and the e-mail adapter (~4 ms)
    first = _run(FIRST_REQUEST)
    assert first["status"] == 404
    loaded = set(first["loaded"])
    assert "chalicelib.services.bookings" in loaded and "chalicelib.services.views" in loaded  # it did run
    unused = ["chalicelib.services.auth", "chalicelib.store.signin", "chalicelib.store.people",
              "chalicelib.adapters.email", "pydantic", "stripe", "aws_lambda_powertools", "boto3"]
    assert [m for m in unused if m in loaded] == []


def test_the_bearer_check_names_the_tokens_actor_and_refuses_bad_tokens(monkeypatch):
    # chalicelib.http.auth checks tokens without the auth service (above)
    from chalicelib.domain import tokens
    from chalicelib.domain.actors import Actor
    from chalicelib.domain.errors import Unauthenticated
    from chalicelib.http import auth as http_auth

    secret = "cold-start-test-signing-key-of-enough-length"
    monkeypatch.setenv("CROWDFIX_TOKEN_SECRET", secret)
    monkeypatch.setattr("chalicelib.credentials._cache", {})
    good = tokens.issue(secret, role="helper", subject="h_cold0001", tenant="acme", ttl_seconds=600)
    assert http_auth.actor_from_token(good) == Actor(role="helper", id="h_cold0001", tenant_id="acme")
    for bad in (good[:-2] + "AA", tokens.issue("another-key-of-enough-length-xxxxxx", role="helper",
                                               subject="h_cold0001", tenant="acme", ttl_seconds=600),
                tokens.issue(secret, role="helper", subject="h_cold0001", tenant="acme", ttl_seconds=-1)):
        with pytest.raises(Unauthenticated):
            http_auth.actor_from_token(bad)


def test_import_app_freezes_what_it_made_and_leaves_the_collector_on():
    # app.py keeps the cycle collector off while it loads, then gc.freeze(): otherwise a full collection
    # walks every module, class and route during the first request (~30 ms)
    enabled, frozen = _run("import gc, json, app; print(json.dumps([gc.isenabled(), gc.get_freeze_count()]))")
    assert enabled is True
    assert frozen > 10_000


def test_a_record_loads_only_its_own_aggregates_module():
    # a frozen dataclass costs ~1 ms to create: reading a customer must not create the other 27 records
    loaded = _modules_after("from chalicelib.store.records import CustomerRecord, replace")
    records = {m for m in loaded if m.startswith("chalicelib.store.records.")}
    assert records == {"chalicelib.store.records.people"}


def test_every_record_name_resolves():
    loaded = _modules_after("import chalicelib.store.records as r\n"
                            "missing = [n for n in r.__all__ if not hasattr(r, n)]\nassert not missing, missing")
    assert "chalicelib.store.records.payments" in loaded
