"""Cold start: ``import app`` plus the first request, in fresh processes, against the local stack.

Beside it, in the same run, the baseline every Python Lambda using DynamoDB pays:
``import boto3; boto3.client("dynamodb")``. Median of N runs each (default 15), interleaved so
machine noise hits both alike. The first request is a signed-in customer reading a booking
(API Gateway proxy event -> ``app.app(event, context)``, as Lambda calls it): it verifies the token
and reads DynamoDB Local.

    make bench-cold-start          # or: .venv/bin/python bench/cold_start.py --runs 15

Last line: {"metric": "cold_start_ratio", "value": ..., "unit": "x baseline", "goal": "<= 1.3", ...};
``value`` is the ratio of wall medians. ``cpu_ratio`` is the same for CPU time (user + system of the
child processes), which a loaded machine moves less; ``load_average_1min`` is taken before and after
the timed runs: compare runs made at similar load.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

APP_CHILD = r"""
import json, os, sys, time
t0 = time.perf_counter()
sys.path.insert(0, os.environ["CF_ROOT"])
import app
t1 = time.perf_counter()
event = {
  "resource": "/v1/bookings/{booking_id}", "path": "/v1/bookings/" + os.environ["CF_BOOKING"], "httpMethod": "GET",
  "headers": {"Authorization": "Bearer " + os.environ["CF_TOKEN"], "Host": "localhost"},
  "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
  "pathParameters": {"booking_id": os.environ["CF_BOOKING"]}, "stageVariables": None, "body": None,
  "isBase64Encoded": False,
  "requestContext": {"resourcePath": "/v1/bookings/{booking_id}", "httpMethod": "GET", "stage": "local",
                     "requestId": "bench", "identity": {"sourceIp": "127.0.0.1"}},
}
class Ctx:
    function_name = "crowdfix-api"; aws_request_id = "bench"; memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:eu-central-1:000000000000:function:crowdfix-api"
    def get_remaining_time_in_millis(self): return 10000
resp = app.app(event, Ctx())
t2 = time.perf_counter()
assert resp["statusCode"] == 200, resp
print(json.dumps({"import": t1 - t0, "request": t2 - t1, "stripe": "stripe" in sys.modules,
                  "boto3": "boto3" in sys.modules}))
"""

BASE_CHILD = r"""
import time
t0 = time.perf_counter()
import boto3
boto3.client("dynamodb")
print(time.perf_counter() - t0)
"""


def timed(cmd: list[str], env: dict) -> tuple[float, str, float]:
    """Wall seconds, stdout and CPU seconds (user + system) of one fresh process."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, out, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--profile", action="store_true",
                    help="also run the app child once under -X importtime and print its 25 slowest imports")
    args = ap.parse_args()

    from localdev.services import LocalServices

    with tempfile.TemporaryDirectory() as logs, LocalServices(log_dir=logs) as services:
        env = {**os.environ, **services.env(), "CROWDFIX_TOKEN_SECRET": secrets.token_urlsafe(32),
               "CF_ROOT": str(ROOT), "PYTHONDONTWRITEBYTECODE": "0"}
        os.environ.update(env)
        from chalicelib.domain.actors import Actor
        from chalicelib.domain import tokens
        from chalicelib.domain.schemas import CreateBooking
        from chalicelib.services.bookings import create_booking
        from localdev.provision import provision
        from localdev.seed import seed

        print("provisioning the local stack ...", file=sys.stderr)
        provision()
        seed()
        customer = Actor("customer", "c_bench0001", "crowdfix")
        booking, _ = create_booking(customer, CreateBooking.model_validate(
            {"category": "printer", "description": "bench booking", "mode": "remote", "contact": {"name": "Bench"}}))
        env["CF_BOOKING"] = booking.booking_id
        env["CF_TOKEN"] = tokens.issue(env["CROWDFIX_TOKEN_SECRET"], role="customer", subject=customer.id,
                                       tenant="crowdfix", ttl_seconds=3600)
        # warm the OS page cache and .pyc files once for both, so neither pays first-disk-read alone
        timed([sys.executable, "-c", APP_CHILD], env)
        timed([sys.executable, "-c", BASE_CHILD], env)

        if args.profile:
            prof = subprocess.run([sys.executable, "-X", "importtime", "-c", APP_CHILD], env=env,
                                  capture_output=True, text=True, check=True).stderr
            raw = ROOT / ".local" / "cold_start_importtime.txt"
            raw.parent.mkdir(exist_ok=True)
            raw.write_text(prof)
            rows = []
            for line in prof.splitlines():
                m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (.*)$", line)
                if m:
                    rows.append((int(m.group(1)), int(m.group(2)), m.group(3)))
            print("slowest imports by own time (us self | cumulative | module):", file=sys.stderr)
            for own, cum, mod in sorted(rows, reverse=True)[:25]:
                print(f"  {own:>8} | {cum:>8} | {mod}", file=sys.stderr)
            print(f"  total modules imported: {len(rows)}; the whole tree: {raw}", file=sys.stderr)

        app_wall, base_wall, app_cpu, base_cpu, inner = [], [], [], [], []
        load_before = os.getloadavg()[0]
        for i in range(args.runs):
            w, out, cpu = timed([sys.executable, "-c", APP_CHILD], env)
            app_wall.append(w)
            app_cpu.append(cpu)
            inner.append(json.loads(out.strip().splitlines()[-1]))
            w, _, cpu = timed([sys.executable, "-c", BASE_CHILD], env)
            base_wall.append(w)
            base_cpu.append(cpu)
            print(f"run {i + 1}/{args.runs}: app {app_wall[-1]:.3f}s  baseline {base_wall[-1]:.3f}s "
                  f"(cpu {app_cpu[-1]:.3f}s / {base_cpu[-1]:.3f}s)", file=sys.stderr)
        load_after = os.getloadavg()[0]

    app_med, base_med = statistics.median(app_wall), statistics.median(base_wall)
    result = {
        "metric": "cold_start_ratio", "value": round(app_med / base_med, 3), "unit": "x baseline",
        "goal": "<= 1.3 and stripe not imported by import app",
        "app_median_s": round(app_med, 3), "baseline_median_s": round(base_med, 3),
        "app_import_median_s": round(statistics.median(r["import"] for r in inner), 3),
        "first_request_median_s": round(statistics.median(r["request"] for r in inner), 3),
        "stripe_imported": any(r["stripe"] for r in inner), "runs": args.runs,
        # CPU (user + system) of the same processes: what the wall ratio is made of, less moved by load
        "cpu_ratio": round(statistics.median(app_cpu) / statistics.median(base_cpu), 3),
        "app_cpu_median_s": round(statistics.median(app_cpu), 3),
        "baseline_cpu_median_s": round(statistics.median(base_cpu), 3),
        "load_average_1min": [round(load_before, 2), round(load_after, 2)],
        "baseline": 'python -c \'import boto3; boto3.client("dynamodb")\' (fresh process, wall)',
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
