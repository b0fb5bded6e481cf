"""scripts/deploy.sh end to end with stub ``aws`` and ``npx`` on PATH: it stops before CDK when a
secret or the alarm subscriber is missing, runs the gates, and asks for approval of broadening
changes on prod."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("aws_cdk", reason="infra tests need infra/requirements.txt: run `make test-infra`")
pytestmark = pytest.mark.timeout(1200)

ROOT = Path(__file__).resolve().parents[2]
LIVE = {"STRIPE_SECRET_KEY": "sk_live_" + "x" * 24, "STRIPE_TEST_SECRET_KEY": "sk_test_" + "z" * 24,
        "STRIPE_WEBHOOK_SECRET": "whsec_" + "y" * 24,
        "STRIPE_PUBLISHABLE_KEY": "pk_live_" + "p" * 24, "STRIPE_TEST_PUBLISHABLE_KEY": "pk_test_" + "q" * 24}

NPX = """#!/usr/bin/env python3
import json, os, sys
args = sys.argv[1:]
with open(os.path.join(os.environ["STUB_DIR"], "npx.log"), "a") as f:
    f.write(json.dumps(args) + "\\n")
if "--outputs-file" in args:
    stack = next(a for a in args if a.startswith("crowdfix-"))
    with open(args[args.index("--outputs-file") + 1], "w") as f:
        json.dump({stack: {"Url": "https://crowdfix.example", "ApiUrl": "https://x/api/",
                           "SiteBucket": "b", "DistributionId": "d"}}, f)
"""


@pytest.fixture
def stub(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "aws").write_text(f"#!/bin/sh\nexec {sys.executable} {ROOT / 'tests' / 'infra' / 'stub_aws.py'} \"$@\"\n")
    (bindir / "npx").write_text(NPX.replace("/usr/bin/env python3", sys.executable))
    for f in bindir.iterdir():
        f.chmod(0o755)
    return tmp_path


def deploy(stub, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "CROWDFIX_", "STUB_", "ALARM_"))}
    base.update({"PATH": f"{stub / 'bin'}:{os.environ['PATH']}", "STUB_DIR": str(stub), "STAGE": "prod",
                 "DOMAIN": "crowdfix.example", "AWS_DEFAULT_REGION": "eu-central-1",
                 "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"})
    base.update(env)
    return subprocess.run(["bash", str(ROOT / "scripts" / "deploy.sh")], capture_output=True, text=True,
                          env=base, cwd=ROOT)


def npx_calls(stub):
    log = stub / "npx.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_a_missing_secret_stops_the_deploy_before_cdk(stub):
    proc = deploy(stub, ALARM_EMAIL="ops@crowdfix.example")
    assert proc.returncode != 0
    assert "deploy stopped" in proc.stderr and "STRIPE_SECRET_KEY" in proc.stderr
    assert not npx_calls(stub)
    assert not any((stub / "ssm").glob("*"))  # nothing written


def test_prod_without_an_alarm_subscriber_stops_first(stub):
    proc = deploy(stub, **LIVE)
    assert proc.returncode != 0 and "ALARM_EMAIL" in proc.stderr and not npx_calls(stub)
    assert not (stub / "calls.log").exists()  # not even the preflight ran


def test_prod_deploy_runs_preflight_gates_and_asks_for_broadening_approval(stub):
    proc = deploy(stub, ALARM_EMAIL="ops@crowdfix.example", **LIVE)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "cfn-lint: passed" in proc.stdout and "checkov: passed" in proc.stdout
    # every secret the code reads is in SSM: both Stripe keys, the webhook secret, token and VAPID keys;
    # and the two publishable keys the web app's card field takes
    assert sorted(p.name.rsplit("%2F", 1)[-1] for p in (stub / "ssm").iterdir()) == [
        "stripe-publishable-key", "stripe-secret-key", "stripe-test-publishable-key", "stripe-test-secret-key",
        "stripe-webhook-secret", "token-secret", "vapid-private-key"]
    (deploy_args,) = [c for c in npx_calls(stub) if "deploy" in c]
    joined = " ".join(deploy_args)
    assert "--require-approval broadening" in joined and "alarm_email=ops@crowdfix.example" in joined
    assert "site https://crowdfix.example" in proc.stdout
