"""The gates can fail: each passes the real prod template and fails on one broken on purpose, and
fails when its tool cannot run (the first lint gate read cfn-lint's own crash as "no errors")."""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("aws_cdk", reason="infra tests need infra/requirements.txt: run `make test-infra`")
pytestmark = pytest.mark.timeout(1200)

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "infra"))
import gates  # noqa: E402


def _write(tmp_path, name, template) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(template, indent=1))
    return path


def _first(template, rtype):
    return next(k for k, v in template["Resources"].items() if v["Type"] == rtype)


def _tool(tmp_path, name, body) -> str:
    """A stand-in executable that behaves like a broken tool installation."""
    path = tmp_path / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return str(path)


def test_both_gates_pass_on_the_real_prod_template(synthesized):
    results = gates.run_all(synthesized[1])
    assert all(r.ok for r in results), "\n".join(f"{r}\n{r.output}" for r in results)
    lint, ckv = results
    assert "no errors" in lint.summary and " 0 failed" in ckv.summary


@pytest.mark.parametrize("which", ["synthesized_dev", "synthesized_edge"])
def test_both_gates_pass_on_the_real_dev_and_edge_templates(which, request):
    results = gates.run_all(request.getfixturevalue(which)[1])
    assert all(r.ok for r in results), "\n".join(f"{r}\n{r.output}" for r in results)


def test_cfn_lint_fails_on_a_template_broken_on_purpose(synthesized, tmp_path):
    broken = copy.deepcopy(synthesized[0])
    queue = _first(broken, "AWS::SQS::Queue")
    broken["Resources"][queue]["Properties"]["VisibilityTimeout"] = 99999  # > 12 h: SQS refuses it
    result = gates.cfn_lint(_write(tmp_path, "broken.json", broken))
    assert not result.ok and "error" in result.summary
    assert "VisibilityTimeout" in result.output or "43200" in result.output


def test_cfn_lint_fails_on_a_broken_sam_function(synthesized, tmp_path):
    """The lint runs on the template after SAM's transform, so an invalid SAM property fails it too."""
    broken = copy.deepcopy(synthesized[0])
    broken["Resources"]["APIHandler"]["Properties"]["DeploymentPreference"] = {"Enabled": True}  # no Type
    result = gates.cfn_lint(_write(tmp_path, "broken-sam.json", broken))
    assert not result.ok and "SAM transform failed" in result.summary and "Type" in result.summary


def test_cfn_lint_gate_fails_when_cfn_lint_cannot_run(synthesized, tmp_path, monkeypatch):
    # what `python -m cfnlint` did: print an error and exit 1 (bit 2 clear)
    monkeypatch.setenv("CROWDFIX_CFN_LINT", _tool(
        tmp_path, "cfn-lint", "echo 'No module named cfnlint.__main__' >&2; exit 1"))
    result = gates.cfn_lint(synthesized[1])
    assert not result.ok and "did not run" in result.summary


def test_checkov_fails_on_a_template_broken_on_purpose(synthesized, tmp_path):
    broken = copy.deepcopy(synthesized[0])
    table = _first(broken, "AWS::DynamoDB::Table")
    del broken["Resources"][table]["Properties"]["PointInTimeRecoverySpecification"]  # no backups
    result = gates.checkov(_write(tmp_path, "broken.json", broken))
    assert not result.ok
    assert f"CKV_AWS_28 AWS::DynamoDB::Table.{table}" in result.output, result.output


def test_checkov_gate_fails_when_checkov_cannot_run(synthesized, tmp_path, monkeypatch):
    monkeypatch.setenv("CROWDFIX_CHECKOV", _tool(tmp_path, "checkov", "exit 0"))  # prints nothing
    result = gates.checkov(synthesized[1])
    assert not result.ok and "did not run" in result.summary


def test_the_gate_command_exits_non_zero_on_a_finding(synthesized, tmp_path):
    """`make package` / scripts/deploy.sh stop on the exit code of the same code path."""
    broken = copy.deepcopy(synthesized[0])
    broken["Resources"][_first(broken, "AWS::SQS::Queue")]["Properties"]["NoSuchProperty"] = 1
    proc = subprocess.run([sys.executable, str(ROOT / "infra" / "gates.py"), str(_write(tmp_path, "b.json", broken))],
                          capture_output=True, text=True, env={"CROWDFIX_CHECKOV": _tool(tmp_path, "checkov", "exit 0"),
                                                               "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "cfn-lint: FAILED" in proc.stdout


def test_every_checkov_skip_is_reviewed(synthesized, synthesized_dev):
    """Global skips carry a reason; resource skips carry a comment and are of reviewed checks only."""
    assert all(len(reason) > 40 for reason in gates.CHECKOV_SKIPS.values())
    assert all(len(reason) > 40 for _, reason in gates.CDK_GENERATED_SKIPS.values())
    reviewed = {"CKV_AWS_116", "CKV_AWS_115", "CKV_AWS_111", "CKV_AWS_18", "CKV_AWS_68", "CKV_AWS_174",
                "CKV_AWS_119", "CKV_AWS_192"}
    seen = {}
    for tpl in (synthesized[0], synthesized_dev[0]):
        for logical_id, res in tpl["Resources"].items():
            for skip in res.get("Metadata", {}).get("checkov", {}).get("skip", []):
                assert skip["id"] in reviewed, (logical_id, skip)
                assert len(skip["comment"]) > 40, (logical_id, skip)
                seen.setdefault(skip["id"], set()).add(res["Type"])
    prod = {s["id"] for r in synthesized[0]["Resources"].values()
            for s in r.get("Metadata", {}).get("checkov", {}).get("skip", [])}
    # prod tables are checked for their customer-managed key and prod's CDN for its WAF: the
    # dev-only skips are not on prod
    assert "CKV_AWS_119" not in prod and seen["CKV_AWS_119"] == {"AWS::DynamoDB::Table"}
    assert "CKV_AWS_68" not in prod
    # the Lambda DLQ skip is for synchronously invoked functions: the schedule has a real DLQ
    schedule = [r for r in synthesized[0]["Resources"].values()
                if r["Type"] == "AWS::Serverless::Function" and "DeadLetterQueue" in r["Properties"]]
    assert schedule and all("CKV_AWS_116" not in json.dumps(r.get("Metadata", {})) for r in schedule)
