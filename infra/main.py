"""CDK entry point (not ``app.py``: Chalice imports ``app``). Synthesizes the stack of one stage.

    AWS_DEFAULT_REGION=eu-central-1 python infra/main.py            # -> infra/cdk.out/
    npx aws-cdk@2 deploy --app "python infra/main.py" -c stage=prod -c domain=crowdfix.example

Context (``-c key=value``): stage (dev|prod, default dev), domain, certificate_arn (us-east-1 ACM
certificate for the domain on CloudFront), alarm_email.
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
    os.makedirs(HERE / "cdk.out", exist_ok=True)
    os.chdir(HERE)
    app = cdk.App(outdir=outdir or os.environ.get("CDK_OUTDIR") or str(HERE / "cdk.out"),
                  context={k: v for k, v in context.items() if v})
    stage = stage or app.node.try_get_context("stage") or "dev"
    ctx = app.node.try_get_context
    stack = CrowdfixStack(
        app, f"crowdfix-{stage}", stage=stage, domain=ctx("domain"),
        certificate_arn=ctx("certificate_arn"), alarm_email=ctx("alarm_email"),
        env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
                            region=os.environ["AWS_DEFAULT_REGION"]),
        description=f"crowdfix {stage}: API, event handlers, tables, queues, site, alarms")
    assembly = app.synth()
    return stack, assembly


if __name__ == "__main__":
    _, assembly = build()
    print(assembly.directory)
