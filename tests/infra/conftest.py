"""Synthesize once per session, in a subprocess (the stack imports the app with a stage's
environment; the test process keeps its own)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _env():
    return {**os.environ, "AWS_DEFAULT_REGION": "eu-central-1", "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1", "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "1"}


@pytest.fixture(scope="session")
def derived():
    out = subprocess.run([sys.executable, str(ROOT / "infra" / "derive.py"), "prod"], env=_env(),
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout)


ALARM_EMAIL = "ops@crowdfix.example"


def synth(outdir, stage: str = "prod", *context: str, region: str = "eu-central-1"):
    """Run the CDK entry point like `make package` (no gates: tests/infra/test_gates.py runs them)."""
    args = [sys.executable, str(ROOT / "infra" / "main.py"), "-c", f"stage={stage}"]
    for c in context:
        args += ["-c", c]
    return subprocess.run(args, env={**_env(), "AWS_DEFAULT_REGION": region, "CDK_OUTDIR": str(outdir),
                                     "CROWDFIX_LINT": "0"},
                          capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory):
    """(template dict, template path) of the prod stage."""
    pytest.importorskip("aws_cdk", reason="infra tests need infra/requirements.txt: run `make test-infra`")
    outdir = tmp_path_factory.mktemp("cdk")
    proc = synth(outdir, "prod", "domain=crowdfix.example", f"alarm_email={ALARM_EMAIL}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    path = outdir / "crowdfix-prod.template.json"
    return json.loads(path.read_text()), path


@pytest.fixture(scope="session")
def synthesized_edge(synthesized):
    """(template dict, template path) of prod's us-east-1 stack (CloudFront's web ACL)."""
    path = synthesized[1].parent / "crowdfix-prod-edge.template.json"
    return json.loads(path.read_text()), path


@pytest.fixture(scope="session")
def manifest(synthesized):
    """The prod cloud assembly's manifest (stack properties such as termination protection)."""
    return json.loads((synthesized[1].parent / "manifest.json").read_text())


@pytest.fixture(scope="session")
def synthesized_dev(tmp_path_factory):
    """(template dict, template path) of the dev stage (no alarm e-mail: dev does not need one)."""
    pytest.importorskip("aws_cdk", reason="infra tests need infra/requirements.txt: run `make test-infra`")
    outdir = tmp_path_factory.mktemp("cdk-dev")
    proc = synth(outdir, "dev", "domain=dev.crowdfix.example")
    assert proc.returncode == 0, proc.stderr[-3000:]
    path = outdir / "crowdfix-dev.template.json"
    return json.loads(path.read_text()), path
