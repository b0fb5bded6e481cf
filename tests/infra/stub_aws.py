#!/usr/bin/env python3
"""A stand-in for the ``aws`` command line (tests put it on PATH as ``aws``): the few calls
scripts/deploy_preflight.py makes, with SSM parameters kept as files in ``$STUB_DIR/ssm`` and every
command line appended to ``$STUB_DIR/calls.log``. Knobs: STUB_CONCURRENCY, STUB_SES_PRODUCTION,
STUB_SMS_LIMIT, STUB_SSM_DENY=1 (reads are refused)."""
import json
import os
import sys
import urllib.parse
from pathlib import Path

args = sys.argv[1:]
root = Path(os.environ["STUB_DIR"])
store = root / "ssm"
store.mkdir(parents=True, exist_ok=True)
with open(root / "calls.log", "a") as log:
    log.write(json.dumps(args) + "\n")


def opt(name):
    return args[args.index(name) + 1] if name in args else None


def param_file(name):
    return store / urllib.parse.quote(name, safe="")


cmd = tuple(args[:2])
if cmd == ("ssm", "get-parameter"):
    if os.environ.get("STUB_SSM_DENY") == "1":
        sys.exit("An error occurred (AccessDeniedException) when calling the GetParameter operation: denied")
    if not param_file(opt("--name")).exists():
        print("An error occurred (ParameterNotFound) when calling the GetParameter operation: ", file=sys.stderr)
        sys.exit(254)
    print(opt("--name"))
elif cmd == ("ssm", "put-parameter"):
    value = opt("--value")
    assert value.startswith("file://"), "secret values must not be passed on the command line"
    # secrets are SecureStrings; only the public publishable keys are Strings (CloudFormation resolves them)
    assert opt("--type") == ("String" if opt("--name").endswith("publishable-key") else "SecureString")
    assert "--overwrite" in args
    param_file(opt("--name")).write_text(Path(value[len("file://"):]).read_text())
elif cmd == ("lambda", "get-account-settings"):
    print(os.environ.get("STUB_CONCURRENCY", "1000"))
elif cmd == ("sesv2", "get-account"):
    print(os.environ.get("STUB_SES_PRODUCTION", "True"))
elif cmd == ("sns", "get-sms-attributes"):
    print(os.environ.get("STUB_SMS_LIMIT", "100"))
else:
    sys.exit(f"stub aws: unsupported call {args}")
