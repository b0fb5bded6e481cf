"""The two gates a synthesized template must pass before it is deployed: cfn-lint and checkov.

    python infra/gates.py infra/cdk.out/crowdfix-prod.template.json     # exit 0 = both passed

Each gate fails when its tool finds a problem *and* when the tool did not run properly (not
installed, crashed, parsed nothing): a gate that cannot run must never read as "no findings".
(The first version ran ``python -m cfnlint``, which exits 1 "No module named cfnlint.__main__", and
read that as "no errors": the lint had never run.)

checkov lives in its own virtualenv (``.venv/checkov``, from ``infra/requirements-checkov.txt``):
it pins boto3 1.35 and packaging 23, which would downgrade what the app's tests run on.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Checks skipped for the whole template, each reviewed. Skips that hold for some resources only are
# set on those resources in infra/stack.py (``Metadata.checkov.skip``, with a comment each) so that
# a new resource of the same type is checked again.
CHECKOV_SKIPS = {
    "CKV_AWS_117": "Lambda in a VPC: the functions reach only AWS APIs, Stripe and push services; a VPC "
                   "adds NAT gateways or endpoints (~$7-32 a month each) and cold-start time, and "
                   "protects nothing here (no private resource to reach).",
    "CKV_AWS_173": "Lambda environment encrypted with a CMK: the environment holds names only (SSM "
                   "parameter names, table and stream ARNs); secrets are SSM SecureStrings read at run "
                   "time (tests/infra asserts no secret value is in the template).",
    "CKV_AWS_158": "Log groups with a CMK: CloudWatch Logs encrypts at rest with its own keys; log lines "
                   "carry ids, never card data or secrets. Revisit with the KMS key policy for "
                   "logs.<region>.amazonaws.com if logs ever hold personal data.",
    "CKV_AWS_27": "SQS with a KMS key: queues use SSE-SQS (encrypted at rest, no key cost); messages "
                  "carry ids and kinds, the personal data stays in the tables.",
    "CKV_AWS_26": "SNS alarm topic with a KMS key: alarm notifications carry alarm names and metrics only.",
    "CKV_AWS_120": "API Gateway caching: responses are per caller (tokens); a cache cluster bills per "
                   "hour at zero traffic.",
}

# Lambda functions CDK itself adds at synthesis (after any construct or aspect could set Metadata on
# them): logical-id prefix -> the reviewed checks they are excused from, and why.
CDK_GENERATED_SKIPS = {
    "CustomCrossRegionExport": ({"CKV_AWS_115", "CKV_AWS_116"},
                                "CDK's cross-region reference handlers (the CloudFront web ACL's ARN from "
                                "us-east-1): run only during a deploy, by CloudFormation, synchronously"),
}


def _excused(check_id: str, resource: str) -> bool:
    logical_id = resource.split(".", 1)[-1]
    return any(logical_id.startswith(prefix) and check_id in ids
               for prefix, (ids, _) in CDK_GENERATED_SKIPS.items())


@dataclass
class GateResult:
    name: str
    ok: bool
    summary: str
    output: str = ""

    def __str__(self) -> str:
        return f"{self.name}: {'passed' if self.ok else 'FAILED'} ({self.summary})"


def _tool(name: str, env_var: str, venvs: tuple[Path, ...]) -> str | None:
    if os.environ.get(env_var):
        return os.environ[env_var]
    for venv in venvs:
        candidate = venv / "bin" / name
        if candidate.exists():
            return str(candidate)
    return shutil.which(name)


SAM_TRANSFORM = "AWS::Serverless-2016-10-31"


def sam_transformed(template: str | Path, out_dir: str | Path) -> Path:
    """The template as CloudFormation runs it: Chalice's SAM resources (functions, their
    ``AutoPublishAlias`` and ``DeploymentPreference``) through SAM's own transform, offline. cfn-lint
    (1.x) checks SAM templates against SAM's schemas without transforming them, and reads the
    ``<Function>.Alias`` references SAM resolves as unknown attributes; the transformed template
    has the real aliases, versions and deployment groups to check. Raises if the transform fails."""
    import logging

    from samtranslator.translator.transform import transform

    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # feature-toggle notices, not findings

    class NoManagedPolicies:  # every function names its own role: nothing to look up in IAM
        def load(self):
            return {}

    data = json.loads(Path(template).read_text())
    if SAM_TRANSFORM not in json.dumps(data.get("Transform", "")):
        return Path(template)
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
    out = Path(out_dir) / (Path(template).stem + ".transformed.json")
    out.write_text(json.dumps(transform(data, {}, NoManagedPolicies()), indent=1))
    return out


def cfn_lint(template: str | Path) -> GateResult:
    """cfn-lint through its console entry point, on the SAM-transformed template. Exit code bits: 2
    errors, 4 warnings, 8 informational; 1 (or anything else) means cfn-lint itself failed. Fails on
    errors, on 1, and when the SAM transform fails."""
    import tempfile

    exe = _tool("cfn-lint", "CROWDFIX_CFN_LINT", (Path(sys.executable).parent.parent,))
    if not exe:
        return GateResult("cfn-lint", False, "cfn-lint is not installed: run `make infra-setup`")
    tmp = tempfile.mkdtemp(prefix="crowdfix-lint-")
    try:
        template = sam_transformed(template, tmp)
    except ImportError:
        return GateResult("cfn-lint", False, "aws-sam-translator is not installed: run `make infra-setup`")
    except Exception as exc:  # noqa: BLE001 — an invalid SAM resource is a finding, whatever its type
        return GateResult("cfn-lint", False, f"the SAM transform failed: {type(exc).__name__}: {str(exc)[:500]}")
    proc = subprocess.run([exe, "--format", "parseable", "--", str(template)],
                          capture_output=True, text=True)
    shutil.rmtree(tmp, ignore_errors=True)
    rc, out = proc.returncode, (proc.stdout + proc.stderr).strip()
    if rc & 1 or rc & ~0b1111:
        return GateResult("cfn-lint", False, f"cfn-lint did not run (exit {rc})", out)
    errors = [line for line in proc.stdout.splitlines() if ":E" in line]
    if rc & 2:
        return GateResult("cfn-lint", False, f"{len(errors)} error(s) (exit {rc})", out)
    return GateResult("cfn-lint", True, f"no errors (exit {rc}{', warnings' if rc & 4 else ''})", out)


def checkov(template: str | Path) -> GateResult:
    """checkov's CloudFormation checks, minus ``CHECKOV_SKIPS`` and the resources' own reviewed
    skips. Fails on any failed check, on parsing errors and when no check ran."""
    exe = _tool("checkov", "CROWDFIX_CHECKOV", (ROOT / ".venv" / "checkov",))
    if not exe:
        return GateResult("checkov", False, "checkov is not installed: run `make infra-setup`")
    proc = subprocess.run([exe, "--file", str(template), "--framework", "cloudformation", "--output", "json",
                           "--quiet", "--skip-check", ",".join(sorted(CHECKOV_SKIPS))],
                          capture_output=True, text=True)
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        return GateResult("checkov", False, f"checkov did not run (exit {proc.returncode})",
                          (proc.stdout + proc.stderr)[-4000:])
    reports = report if isinstance(report, list) else [report]
    if not reports or any("summary" not in r for r in reports):
        return GateResult("checkov", False, "checkov found nothing to check", proc.stdout[-4000:])
    summary = {k: sum(r["summary"].get(k, 0) for r in reports)
               for k in ("passed", "failed", "skipped", "parsing_errors", "resource_count")}
    all_failed = [c for r in reports for c in r.get("results", {}).get("failed_checks", [])]
    excused = [c for c in all_failed if _excused(c["check_id"], c["resource"])]
    failed = [f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in all_failed if c not in excused]
    summary["failed"] -= len(excused)
    text = f"{summary['passed']} passed, {summary['failed']} failed, {summary['skipped']} skipped " \
           f"(resource level), {len(excused)} excused (CDK-generated), {summary['parsing_errors']} parsing errors"
    # checkov exits 1 on any failed check, excused ones included: judge by the report
    ok = not failed and not summary["parsing_errors"] and summary["passed"] > 0 and proc.returncode in (0, 1)
    return GateResult("checkov", ok, text, "\n".join(failed))


def run_all(template: str | Path) -> list[GateResult]:
    return [cfn_lint(template), checkov(template)]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python infra/gates.py TEMPLATE.json", file=sys.stderr)
        return 2
    results = run_all(argv[0])
    for r in results:
        print(r)
        if not r.ok and r.output:
            print("  " + r.output.replace("\n", "\n  "))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
