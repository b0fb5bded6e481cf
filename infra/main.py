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

    from edge import EDGE_REGION, CrowdfixEdgeStack
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
    account = os.environ.get("CDK_DEFAULT_ACCOUNT")
    edge = None
    if stage == "prod":
        # CloudFront's web ACL can only live in us-east-1 (rules only, no data): infra/edge.py
        edge = CrowdfixEdgeStack(app, f"crowdfix-{stage}-edge", stage=stage, cross_region_references=True,
                                 env=cdk.Environment(account=account, region=EDGE_REGION),
                                 description=f"crowdfix {stage}: CloudFront web ACL (us-east-1 by AWS's rule)")
    stack = CrowdfixStack(
        app, f"crowdfix-{stage}", stage=stage, domain=ctx("domain"),
        certificate_arn=ctx("certificate_arn"), alarm_email=ctx("alarm_email"),
        per_function_alarms=str(ctx("per_function_alarms") or "") in ("1", "true", "yes"),
        cdn_web_acl_arn=edge.web_acl.attr_arn if edge else None, cross_region_references=edge is not None,
        env=cdk.Environment(account=account, region=os.environ["AWS_DEFAULT_REGION"]),
        description=f"crowdfix {stage}: API, event handlers, tables, queues, site, alarms")
    # the cross-region reference to the edge stack's web ACL makes prod depend on it: `cdk deploy
    # crowdfix-prod` deploys crowdfix-prod-edge first
    assembly = app.synth()
    return stack, assembly


def lint(*templates: str) -> int:
    """cfn-lint and checkov (``infra/gates.py``) on each template: 1 if any finds a problem or
    cannot run."""
    import gates

    failed = False
    for template in templates:
        print(template)
        for r in gates.run_all(template):
            print(f"  {r}")
            if not r.ok:
                failed = True
                if r.output:
                    print("    " + r.output.replace("\n", "\n    "))
    return 1 if failed else 0


if __name__ == "__main__":
    args = sys.argv[1:]
    ctx = {}
    while args:
        a = args.pop(0)
        if a in ("-c", "--context") and args:
            k, _, v = args.pop(0).partition("=")
            ctx[k] = v
    stack, assembly = build(**ctx)
    templates = [os.path.join(assembly.directory, f"{s.stack_name}.template.json") for s in assembly.stacks]
    print("\n".join(templates))
    if os.environ.get("CROWDFIX_LINT", "1") == "1":
        sys.exit(lint(*templates))
