"""Checks and secrets before ``cdk deploy`` (run by scripts/deploy.sh; every AWS call goes through the
``aws`` command line, so tests put a stub ``aws`` on PATH).

    .venv/bin/python scripts/deploy_preflight.py prod

1. The region is one crowdfix deploys to (eu-central-1 / eu-central-2).
2. The account's Lambda concurrency covers what the stage reserves plus the 100 AWS keeps unreserved.
3. Every secret the code reads (``get_secret("NAME")``, found by infra/derive.py) is in SSM Parameter
   Store, or is created now: generated ones once (never rotated by a deploy), the others from the
   environment variable of the same name. A secret that is neither stops the deploy *before anything
   is written*, with the parameter name and how to set it.
4. Go-live state that no template can set (SES sandbox, SMS spend limit) is reported; on prod it
   stops the deploy unless ``CROWDFIX_ACCEPT_SANDBOX=1`` (first deploy before go-live).
"""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "infra"))

ALLOWED_REGIONS = ("eu-central-1", "eu-central-2")
UNRESERVED_MINIMUM = 100  # Lambda refuses reservations that leave less than this unreserved


def _generate_token_secret() -> str:
    return secrets.token_urlsafe(48)


def _generate_vapid_private_key() -> str:
    from chalicelib.adapters.webpush import generate_vapid_private_key

    return generate_vapid_private_key()


# made here once per stage and kept: rotating the token secret signs everybody out, rotating the
# VAPID key drops every push subscription
GENERATED = {"TOKEN_SECRET": _generate_token_secret, "VAPID_PRIVATE_KEY": _generate_vapid_private_key}
# what a value given in the environment must look like, per stage (a test key on prod is refused)
PREFIXES = {
    # the sandbox's key is a test key on every stage: a test booking never moves live money
    "prod": {"STRIPE_SECRET_KEY": ("sk_live_", "rk_live_"), "STRIPE_TEST_SECRET_KEY": ("sk_test_", "rk_test_"),
             "STRIPE_WEBHOOK_SECRET": ("whsec_",),
             "STRIPE_PUBLISHABLE_KEY": ("pk_live_",), "STRIPE_TEST_PUBLISHABLE_KEY": ("pk_test_",)},
    "dev": {"STRIPE_SECRET_KEY": ("sk_test_", "rk_test_"), "STRIPE_TEST_SECRET_KEY": ("sk_test_", "rk_test_"),
            "STRIPE_WEBHOOK_SECRET": ("whsec_",),
            "STRIPE_PUBLISHABLE_KEY": ("pk_test_",), "STRIPE_TEST_PUBLISHABLE_KEY": ("pk_test_",)},
}


class Stop(Exception):
    """The deploy must not go on; the message says why and what to do."""


def aws(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["aws", *args], capture_output=True, text=True)


def check_region() -> str:
    region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or ""
    if region not in ALLOWED_REGIONS:
        raise Stop(f"region {region or '(not set)'}: crowdfix deploys to {' or '.join(ALLOWED_REGIONS)} only "
                   f"(EU data residency); set AWS_DEFAULT_REGION=eu-central-1")
    return region


def required_concurrency(stage: str, functions) -> int:
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    from stack import RESERVED_CONCURRENCY  # the same numbers the template reserves

    if stage != "prod":
        return 0
    reserved = sum(RESERVED_CONCURRENCY.get(f.kind, 0) for f in functions)
    return reserved + UNRESERVED_MINIMUM


def check_concurrency(need: int) -> str:
    if not need:
        return "no reserved concurrency on this stage"
    proc = aws("lambda", "get-account-settings", "--query", "AccountLimit.ConcurrentExecutions", "--output", "text")
    if proc.returncode != 0:
        raise Stop(f"cannot read the Lambda concurrency quota: {proc.stderr.strip()}")
    have = int(float(proc.stdout.strip()))
    if have < need:
        raise Stop(f"the account's Lambda concurrency is {have}; this stage reserves {need - UNRESERVED_MINIMUM} "
                   f"and Lambda keeps {UNRESERVED_MINIMUM} unreserved, so it needs >= {need}: request an increase "
                   f"(Service Quotas, AWS Lambda, 'Concurrent executions', code L-B99A9384)")
    return f"Lambda concurrency {have} >= {need}"


def _exists(name: str) -> bool:
    proc = aws("ssm", "get-parameter", "--name", name, "--query", "Parameter.Name", "--output", "text")
    if proc.returncode == 0:
        return True
    if "ParameterNotFound" in proc.stderr:
        return False
    # never treat "cannot tell" as "missing": that would overwrite a kept secret
    raise Stop(f"cannot read SSM parameter {name}: {proc.stderr.strip()}")


def _put(name: str, value: str, kind: str = "SecureString") -> None:
    # the value goes through a private file, never on a command line (visible in the process list)
    fd, path = tempfile.mkstemp(prefix="crowdfix-secret-")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(value)
        proc = aws("ssm", "put-parameter", "--name", name, "--type", kind, "--overwrite",
                   "--value", f"file://{path}")
    finally:
        os.unlink(path)
    if proc.returncode != 0:
        raise Stop(f"cannot write SSM parameter {name}: {proc.stderr.strip()}")


def plan_secrets(stage: str, names: dict[str, str], environ: dict[str, str]) -> list[tuple[str, str, str]]:
    """(secret, parameter, action) for each secret; action: keep | generate | set. Raises ``Stop``
    listing every secret that can be neither found nor made."""
    plan, missing = [], []
    for secret, param in sorted(names.items()):
        given = environ.get(secret)
        if given:
            prefixes = PREFIXES.get(stage, {}).get(secret)
            if prefixes and not given.startswith(prefixes):
                missing.append(f"{secret}: the value given does not start with {' or '.join(prefixes)} "
                               f"(the {stage} stage takes {'live' if stage == 'prod' else 'test'} keys)")
                continue
            plan.append((secret, param, "set"))
        elif _exists(param):
            plan.append((secret, param, "keep"))
        elif secret in GENERATED:
            plan.append((secret, param, "generate"))
        else:
            kind = "String" if secret.endswith("PUBLISHABLE_KEY") else "SecureString"
            missing.append(f"{secret}: SSM parameter {param} does not exist; export {secret}=... for this "
                           f"deploy (it is stored there), or create it: aws ssm put-parameter --name {param} "
                           f"--type {kind} --value ...")
    if missing:
        raise Stop("secrets the code reads are not set, nothing was written:\n  " + "\n  ".join(missing))
    return plan


def apply_secrets(plan, environ) -> None:
    from derive import PUBLIC_CONFIG

    for secret, param, action in plan:
        if action == "set":
            # public configuration (the publishable keys) is a String, which CloudFormation resolves
            _put(param, environ[secret], "String" if secret in PUBLIC_CONFIG else "SecureString")
        elif action == "generate":
            _put(param, GENERATED[secret]())
        print(f"  secret {secret}: {param} ({'kept' if action == 'keep' else action})")


def check_go_live(stage: str) -> list[str]:
    notes = []
    ses = aws("sesv2", "get-account", "--query", "ProductionAccessEnabled", "--output", "text")
    if ses.returncode == 0 and ses.stdout.strip().lower() != "true":
        notes.append("SES is in its sandbox: mail reaches verified addresses only (request production access)")
    sms = aws("sns", "get-sms-attributes", "--attributes", "MonthlySpendLimit", "--query",
              "attributes.MonthlySpendLimit", "--output", "text")
    if sms.returncode == 0:
        try:
            limit = float(sms.stdout.strip())
        except ValueError:
            limit = 1.0  # not set: the default of USD 1 a month
        if limit <= 1:
            notes.append(f"the SMS spend limit is USD {limit:g} a month (about 10-20 SMS): raise it "
                         f"(SNS > Text messaging, after a support case for the limit)")
    return notes


def main(argv: list[str]) -> int:
    stage = argv[0] if argv else os.environ.get("STAGE", "prod")
    try:
        region = check_region()
        import derive

        derive.load_code(stage, region)
        fns = derive.functions(__import__("app").app)
        table_specs = derive.tables()
        queue_infos, failure = derive.queues()
        derive.assign_access(fns, table_specs, queue_infos + [failure])
        env = derive.stage_environment(stage)
        print(f"preflight {stage} in {region}")
        print("  " + check_concurrency(required_concurrency(stage, fns)))
        names = {s: derive.secret_param(stage, s, env) for f in fns for s in f.secrets}
        names.update({s: derive.secret_param(stage, s, env) for s in derive.PUBLIC_CONFIG})
        plan = plan_secrets(stage, names, dict(os.environ))
        notes = check_go_live(stage)
        for n in notes:
            print(f"  go-live: {n}")
        if notes and stage == "prod" and os.environ.get("CROWDFIX_ACCEPT_SANDBOX") != "1":
            raise Stop("prod is not ready for customers (above); deploy anyway with CROWDFIX_ACCEPT_SANDBOX=1 "
                       "(before go-live), see docs/deployment.md")
        apply_secrets(plan, os.environ)
    except Stop as exc:
        print(f"deploy stopped: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
