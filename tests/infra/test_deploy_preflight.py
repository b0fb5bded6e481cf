"""scripts/deploy_preflight.py against a stub ``aws`` on PATH: every secret the code reads is made
or the deploy stops before writing anything; the region and the account quota are checked."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

# the preflight reads the reserved concurrency from infra/stack.py (aws-cdk-lib)
pytest.importorskip("aws_cdk", reason="infra tests need infra/requirements.txt: run `make test-infra`")
ROOT = Path(__file__).resolve().parents[2]
LIVE = {"STRIPE_SECRET_KEY": "sk_live_" + "x" * 24, "STRIPE_TEST_SECRET_KEY": "sk_test_" + "z" * 24,
        "STRIPE_WEBHOOK_SECRET": "whsec_" + "y" * 24,
        "STRIPE_PUBLISHABLE_KEY": "pk_live_" + "p" * 24, "STRIPE_TEST_PUBLISHABLE_KEY": "pk_test_" + "q" * 24}


@pytest.fixture
def stub(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    aws = bindir / "aws"
    aws.write_text(f"#!/bin/sh\nexec {sys.executable} {ROOT / 'tests' / 'infra' / 'stub_aws.py'} \"$@\"\n")
    aws.chmod(0o755)
    return tmp_path


def run(stub, stage="prod", **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "CROWDFIX_", "STUB_"))}
    base.update({"PATH": f"{stub / 'bin'}:{os.environ['PATH']}", "STUB_DIR": str(stub),
                 "AWS_DEFAULT_REGION": "eu-central-1"})
    base.update(env)
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "deploy_preflight.py"), stage],
                          capture_output=True, text=True, env=base, cwd=ROOT)


def stored(stub) -> dict[str, str]:
    d = stub / "ssm"
    return {urllib.parse.unquote(p.name): p.read_text() for p in d.iterdir()} if d.exists() else {}


def calls(stub) -> list[list[str]]:
    log = stub / "calls.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_missing_stripe_keys_stop_the_deploy_before_anything_is_written(stub):
    proc = run(stub)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "/crowdfix/prod/stripe-secret-key" in proc.stderr and "/crowdfix/prod/stripe-webhook-secret" in proc.stderr
    assert "export STRIPE_SECRET_KEY=" in proc.stderr and "nothing was written" in proc.stderr
    assert not [c for c in calls(stub) if c[:2] == ["ssm", "put-parameter"]] and not stored(stub)


def test_every_secret_the_code_reads_is_created(stub, derived):
    proc = run(stub, **LIVE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    params = stored(stub)
    wanted = {f"/crowdfix/prod/{s.lower().replace('_', '-')}" for f in derived["functions"] for s in f["secrets"]}
    public = {"/crowdfix/prod/stripe-publishable-key", "/crowdfix/prod/stripe-test-publishable-key"}
    assert wanted | public == set(params) and "/crowdfix/prod/vapid-private-key" in params
    assert params["/crowdfix/prod/stripe-secret-key"] == LIVE["STRIPE_SECRET_KEY"]
    assert len(params["/crowdfix/prod/token-secret"]) >= 48
    vapid = base64.urlsafe_b64decode(params["/crowdfix/prod/vapid-private-key"] + "=")
    assert len(vapid) == 32  # a raw P-256 private key, what webpush.vapid_public_key() expects
    # no secret value on any command line
    text = json.dumps(calls(stub))
    assert not any(v in text for v in params.values())


def test_a_second_deploy_keeps_generated_secrets_and_stored_keys(stub):
    assert run(stub, **LIVE).returncode == 0
    first = stored(stub)
    proc = run(stub)  # no Stripe keys in the environment this time: the stored ones stay
    assert proc.returncode == 0, proc.stderr
    assert stored(stub) == first
    assert "(kept)" in proc.stdout


def test_a_test_key_is_refused_on_prod(stub):
    proc = run(stub, **{**LIVE, "STRIPE_SECRET_KEY": "sk_test_abc"})
    assert proc.returncode == 2 and "sk_live_" in proc.stderr and not stored(stub)


def test_an_unreadable_parameter_is_not_taken_for_a_missing_one(stub):
    proc = run(stub, STUB_SSM_DENY="1", **LIVE)
    assert proc.returncode == 2 and "AccessDenied" in proc.stderr and not stored(stub)


def test_prod_stops_when_the_account_cannot_reserve_its_concurrency(stub):
    proc = run(stub, STUB_CONCURRENCY="10", **LIVE)
    assert proc.returncode == 2 and ">= 155" in proc.stderr and "L-B99A9384" in proc.stderr
    assert not stored(stub)


def test_prod_stops_in_the_ses_sandbox_unless_accepted(stub):
    proc = run(stub, STUB_SES_PRODUCTION="False", **LIVE)
    assert proc.returncode == 2 and "sandbox" in proc.stdout and not stored(stub)
    proc = run(stub, STUB_SES_PRODUCTION="False", CROWDFIX_ACCEPT_SANDBOX="1", **LIVE)
    assert proc.returncode == 0, proc.stderr


def test_a_region_outside_the_eu_is_refused(stub):
    proc = run(stub, AWS_DEFAULT_REGION="us-east-1", **LIVE)
    assert proc.returncode == 2 and "eu-central-1" in proc.stderr and not calls(stub)


@pytest.mark.parametrize("name,value", [("STRIPE_PUBLISHABLE_KEY", None), ("STRIPE_PUBLISHABLE_KEY", "pk_test_" + "p" * 24),
                                        ("STRIPE_TEST_PUBLISHABLE_KEY", None),
                                        ("STRIPE_TEST_PUBLISHABLE_KEY", "pk_live_" + "q" * 24)])
def test_prod_stops_without_the_publishable_keys_of_the_right_mode(stub, name, value):
    # without them the deployed web app's card entry is off: no booking could be held
    env = {k: v for k, v in LIVE.items() if k != name}
    if value:
        env[name] = value
    proc = run(stub, **env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"{name}: " in proc.stderr and not stored(stub)
    assert ("pk_live_" if name == "STRIPE_PUBLISHABLE_KEY" else "pk_test_") in proc.stderr if value else "--type String" in proc.stderr


def test_the_publishable_keys_are_stored_as_plain_strings_and_kept(stub):
    assert run(stub, **LIVE).returncode == 0
    puts = {c[c.index("--name") + 1]: c[c.index("--type") + 1] for c in calls(stub) if c[:2] == ["ssm", "put-parameter"]}
    assert puts["/crowdfix/prod/stripe-publishable-key"] == "String"
    assert puts["/crowdfix/prod/stripe-secret-key"] == "SecureString"
    assert stored(stub)["/crowdfix/prod/stripe-test-publishable-key"] == LIVE["STRIPE_TEST_PUBLISHABLE_KEY"]
