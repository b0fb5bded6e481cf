"""CDK entry point (not ``app.py``: Chalice imports ``app``). Synthesizes the stack of one stage.

    AWS_DEFAULT_REGION=eu-central-1 python infra/main.py            # -> infra/cdk.out/
    npx aws-cdk@2 deploy --app "python infra/main.py" -c stage=prod -c domain=crowdfix.example

Context (``-c key=value``): stage (dev|prod, default dev), domain, certificate_arn (us-east-1 ACM
certificate for the domain on CloudFront), alarm_email, per_function_alarms (1: error-rate and
throttle alarms per function instead of for the whole account: use it when the account runs other
functions too; it costs $0.30 per function-month, see ``infra/stack.py``).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def build(stage: str | None = None, outdir: str | None = None, **context):
    import aws_cdk as cdk

    from stack import CrowdfixStack

    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
    # Chalice writes its packages to ./chalice.out; keep them out of the repository root
    outdir = os.path.abspath(outdir or os.environ.get("CDK_OUTDIR") or str(HERE / "cdk.out"))
    os.chdir(HERE)
    app = cdk.App(outdir=outdir,
                  context={k: v for k, v in context.items() if v})
    stage = stage or app.node.try_get_context("stage") or "dev"
    os.environ["CROWDFIX_STAGE"] = stage
    ctx = app.node.try_get_context
    stack = CrowdfixStack(
        app, f"crowdfix-{stage}", stage=stage, domain=ctx("domain"),
        certificate_arn=ctx("certificate_arn"), alarm_email=ctx("alarm_email"),
        per_function_alarms=str(ctx("per_function_alarms") or "") in ("1", "true", "yes"),
        env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
                            region=os.environ["AWS_DEFAULT_REGION"]),
        description=f"crowdfix {stage}: API, event handlers, tables, queues, site, alarms")
    assembly = app.synth()
    return stack, assembly


def lint(template: str) -> int:
    """cfn-lint and checkov (``infra/gates.py``): 1 if either finds a problem or cannot run."""
    import gates

    results = gates.run_all(template)
    for r in results:
        print(r)
        if not r.ok and r.output:
            print("  " + r.output.replace("\n", "\n  "))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    args = sys.argv[1:]
    ctx = {}
    while args:
        a = args.pop(0)
        if a in ("-c", "--context") and args:
            k, _, v = args.pop(0).partition("=")
            ctx[k] = v
    stack, assembly = build(**ctx)
    template = os.path.join(assembly.directory, f"{stack.stack_name}.template.json")
    print(template)
    if os.environ.get("CROWDFIX_LINT", "1") == "1":
        sys.exit(lint(template))
