"""Fixtures that bring crowdfix up on the real local services.

- ``stack``: tables, queues and demo helpers provisioned on DynamoDB Local and moto server, a random
  signing secret, and the app imported with that environment.
- ``pump``: the event pump running the app's stream and queue handlers (session-wide).
- ``client``: ``chalice.test.Client`` for in-process HTTP calls to the app.
- ``signin``: signs a person in through the real e-mail code flow and returns auth headers.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import time
import uuid

import pytest


def wait_for(fn, timeout=30.0, interval=0.2, what="condition"):
    """Poll ``fn`` until it returns something truthy (the pump works asynchronously); return it."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what} not reached in time")


@pytest.fixture(scope="session")
def stack(aws_env, local_services):
    # every secret the app reads, made for this session only (as `make dev` does into .local/)
    os.environ["CROWDFIX_TOKEN_SECRET"] = secrets.token_urlsafe(32)
    os.environ.setdefault("CROWDFIX_STRIPE_SECRET_KEY", "sk_test_" + secrets.token_hex(12))
    os.environ.setdefault("CROWDFIX_STRIPE_TEST_SECRET_KEY", "sk_test_sandbox" + secrets.token_hex(12))
    os.environ.setdefault("CROWDFIX_STRIPE_WEBHOOK_SECRET", "whsec_" + secrets.token_hex(16))
    from localdev.stripe_local import LOCAL_PUBLISHABLE_KEY, LOCAL_TEST_PUBLISHABLE_KEY
    os.environ.setdefault("CROWDFIX_STRIPE_PUBLISHABLE_KEY", LOCAL_PUBLISHABLE_KEY)
    os.environ.setdefault("CROWDFIX_STRIPE_TEST_PUBLISHABLE_KEY", LOCAL_TEST_PUBLISHABLE_KEY)
    if "CROWDFIX_VAPID_PRIVATE_KEY" not in os.environ:
        from chalicelib.adapters.webpush import generate_vapid_private_key
        os.environ["CROWDFIX_VAPID_PRIVATE_KEY"] = generate_vapid_private_key()
    os.environ.setdefault("CROWDFIX_STAGE", "local")
    from chalicelib.aws import reset_clients
    reset_clients()
    from localdev.provision import provision
    from localdev.seed import seed
    provision(visibility_timeout=2)
    info = seed()
    import app as app_module
    return {"app": app_module.app, "services": local_services, "seed": info}


@pytest.fixture(scope="session")
def pump(stack):
    from chalicelib.queues import STREAM_FAILURES
    from localdev.pump import EventPump

    p = EventPump(stack["app"], stream_failure_queue=STREAM_FAILURES.name, poll_wait_seconds=1,
                  failed_visibility_seconds=1)
    p.start()
    yield p
    p.stop()


@pytest.fixture()
def client(stack):
    from chalice.test import Client

    from localdev.chalice_local import patch_route_matcher
    patch_route_matcher()
    with Client(stack["app"], stage_name="local") as c:
        yield c


class Api:
    """Tiny JSON helper over chalice.test.Client."""

    def __init__(self, client):
        self.client = client

    def call(self, method, path, body=None, headers=None):
        h = {"Content-Type": "application/json", **(headers or {})}
        data = json.dumps(body) if body is not None and not isinstance(body, (str, bytes)) else body
        resp = getattr(self.client.http, method.lower())(path, headers=h, body=data)
        try:
            payload = json.loads(resp.body) if resp.body else None
        except ValueError:
            payload = resp.body
        return resp.status_code, payload, resp.headers


@pytest.fixture()
def api(client):
    return Api(client)


def latest_code(services, email: str) -> str:
    from localdev.services import read_sent_emails

    for msg in reversed(read_sent_emails(services.moto_url)):
        if email in json.dumps(msg):
            m = re.search(r"\b(\d{6})\b", json.dumps(msg.get("subject", "")) + json.dumps(msg.get("body", "")))
            if m:
                return m.group(1)
    raise AssertionError(f"no sign-in code was e-mailed to {email}")


@pytest.fixture()
def signin(stack, api):
    def _signin(email: str | None = None, role: str = "customer") -> dict:
        email = email or f"cust-{uuid.uuid4().hex[:10]}@example.org"
        status, _, _ = api.call("POST", "/v1/auth/code", {"email": email, "role": role, "language": "en"})
        assert status == 202
        code = latest_code(stack["services"], email)
        status, body, _ = api.call("POST", "/v1/auth/token", {"email": email, "role": role, "code": code})
        assert status == 200, body
        return {"Authorization": f"Bearer {body['token']}", "_id": body["id"], "_email": email}
    return _signin


def booking_body(**over):
    body = {"category": "printer", "description": "My printer shows error E3 and prints nothing.",
            "mode": "onsite",
            "location": {"lat": 47.3769, "lon": 8.5417, "address": "Bahnhofstrasse 1", "postcode": "8001",
                         "city": "Zürich"},
            "contact": {"name": "Erika Muster", "phone": "+41 44 123 45 67"}, "language": "de",
            # a card booking is offered to nobody until its card is held: hold it in the same request
            "payment": {"payment_method": "pm_card_visa"}}
    body.update(over)
    if body.get("payment") is None:
        body.pop("payment", None)
    return body


def free_port() -> int:
    """A free TCP port on loopback."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def chalice_local(log_path):
    """The API as ``chalice local`` (a subprocess on a free loopback port, the stack's environment),
    up once ``/v1/health`` answers; stopped on exit. Yields ``{"base", "log"}`` (its output in
    ``log_path``)."""
    import subprocess
    import sys
    import urllib.request
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    port = free_port()
    log = open(log_path, "w")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "chalice"), "local", "--host", "127.0.0.1",
                             "--port", str(port), "--stage", "local", "--no-autoreload"],
                            cwd=repo, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/v1/health", timeout=2)
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise AssertionError(Path(log_path).read_text()[-2000:]) from None
                time.sleep(0.3)
        yield {"base": base, "log": Path(log_path)}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
