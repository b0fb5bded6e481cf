"""A bounded load run against the local stack: many customers at once, over real HTTP.

    make load                           # or: .venv/bin/python bench/load.py --users 50 --seconds 300

A fresh local stack (DynamoDB Local, moto, localstripe), the API as ``make dev`` runs it
(``chalice local``, one process) and the event pump in its own process (``python -m localdev.pump``:
4 pollers per queue, 4 lanes per stream shard; ``--pump-args`` to change). First one user alone
(``--baseline-seconds``), then ``--users`` at once for ``--seconds``; each user is a signed-in
customer who looks for helpers, books (with an Idempotency-Key), reads the booking and the list,
and cancels some. Measured per route: count, p50, p95, errors, 5xx; the dispatch lag of every
booking (its ``request`` -> the first transition out of "requested": offered, unmatched or
cancelled; the stream plus the pump plus matching), from the times in the booking's own history, and
the work queue's depth.

Last line: {"metric": "load_create_booking_p95_ratio", "value": p95 at N users / p95 at 1 user,
"unit": "x", "goal": "<= 4", "5xx": ..., "5xx_goal": 0, ...}. The goal is for this machine's one
local API process (Lambda scales per request in AWS; locally every user shares two cores).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def say(msg: str) -> None:
    print(f"[load] {msg}", file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(round(q * (len(values) - 1))))] * 1000, 1)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.server_errors: dict[str, int] = defaultdict(int)
        self.statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.lag: list[float] = []
        self.undispatched = 0

    def add(self, route: str, seconds: float, status: int) -> None:
        with self.lock:
            self.latency[route].append(seconds)
            self.statuses[route][status] += 1
            if status >= 400 and status != 404:
                self.errors[route] += 1
            if status >= 500:
                self.server_errors[route] += 1

    def summary(self) -> dict:
        return {r: {"count": len(v), "p50_ms": pct(v, 0.5), "p95_ms": pct(v, 0.95), "errors": self.errors[r],
                    "5xx": self.server_errors[r], "statuses": dict(self.statuses[r])}
                for r, v in sorted(self.latency.items())}


def user_loop(base: str, token: str, stats: Stats, stop: threading.Event, rng: random.Random, lag_sample: list):
    import requests

    session = requests.Session()
    h = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(route, method, path, body=None, headers=None):
        t0 = time.perf_counter()
        try:
            r = session.request(method, base + path, headers={**h, **(headers or {})},
                                data=json.dumps(body) if body is not None else None, timeout=60)
            status = r.status_code
        except requests.RequestException:
            r, status = None, 599
        stats.add(route, time.perf_counter() - t0, status)
        return r

    while not stop.is_set():
        lat, lon = 47.3769 + rng.uniform(-0.03, 0.03), 8.5417 + rng.uniform(-0.03, 0.03)
        call("discover", "GET", f"/v1/discover?lat={lat:.5f}&lon={lon:.5f}&category=printer&mode=onsite&limit=5")
        body = {"category": "printer", "description": "Load test: the printer prints nothing", "mode": "onsite",
                "location": {"lat": lat, "lon": lon, "address": "Teststrasse 1", "postcode": "8001", "city": "Zürich"},
                "contact": {"name": "Last Kunde", "phone": "+41 44 000 00 00"}, "language": "de"}
        r = call("create_booking", "POST", "/v1/bookings", body, {"Idempotency-Key": uuid.uuid4().hex})
        if r is not None and r.status_code == 201:
            bid = r.json()["booking_id"]
            created = time.monotonic()
            lag_sample.append((bid, created))
            # the card hold, as every customer gives it: only a held booking is offered to helpers
            call("hold_card", "POST", f"/v1/bookings/{bid}/payment", {"payment_method": "pm_card_visa"})
            call("get_booking", "GET", f"/v1/bookings/{bid}")
            call("list_bookings", "GET", "/v1/bookings?limit=10")
            if rng.random() < 0.3:
                call("cancel_booking", "POST", f"/v1/bookings/{bid}/cancel", {"reason": "load test"})
        stop.wait(rng.uniform(0.5, 1.5))  # think time


def dispatch_lags(bookings: list[tuple[str, float]], settle_seconds: float = 120) -> tuple[list[float], int]:
    """Dispatch lag of each booking: from entering "requested" (its card held) to the first transition
    that took it out of "requested" (offered, unmatched or cancelled), read from the booking's own
    history (server-side times, so a slow reader does not add to it). Waits up to ``settle_seconds``
    for bookings still requested; returns (lags in seconds, how many were still requested after that)."""
    from datetime import datetime

    from chalicelib.models.bookings import Booking

    def at(entry) -> float:
        return datetime.fromisoformat(str(entry["at"]).replace("Z", "+00:00")).timestamp()

    lags: list[float] = []
    waiting = [bid for bid, _ in bookings]
    deadline = time.monotonic() + settle_seconds
    while waiting:
        still = []
        for bid in waiting:
            history = [dict(e) for e in (Booking.get(bid, consistent_read=True).history or [])]
            left = next((e for e in history if e.get("from") == "requested"), None)
            if left is None:
                still.append(bid)
            else:
                # from the moment it became dispatchable (created without a card, or its card held)
                entered = next((e for e in history if e.get("to") == "requested"), history[0])
                lags.append(at(left) - at(entered))
        waiting = still
        if not waiting or time.monotonic() > deadline:
            break
        time.sleep(2)
    return lags, len(waiting)


def run_phase(base: str, tokens: list[str], seconds: float, seed: int) -> tuple[Stats, list[int]]:
    from chalicelib.aws import client
    from chalicelib.queues import WORK

    stats, stop, lag_sample = Stats(), threading.Event(), []
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=WORK.name)["QueueUrl"]
    threads = [threading.Thread(target=user_loop, args=(base, t, stats, stop, random.Random(seed + i), lag_sample),
                                daemon=True) for i, t in enumerate(tokens)]
    for t in threads:
        t.start()
    depth: list[int] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        depth.append(int(attrs["ApproximateNumberOfMessages"]))
        time.sleep(min(5.0, max(0.0, end - time.monotonic())))
        done = sum(len(v) for v in stats.latency.values())
        say(f"{len(tokens)} user(s): {done} requests, {sum(stats.server_errors.values())} 5xx, queue depth {depth[-1]}")
    stop.set()
    for t in threads:
        t.join(timeout=70)
    stats.lag, stats.undispatched = dispatch_lags(lag_sample)
    return stats, depth


def main(argv=None) -> int:
    import signal

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--baseline-seconds", type=float, default=60)
    parser.add_argument("--pump-args", default="", help='extra options of `python -m localdev.pump`, e.g. '
                        '"--queue-workers 1 --parallelization-factor 1" (one worker per source, as before)')
    args = parser.parse_args(argv)
    pump_args = args.pump_args.split()

    from localdev.services import LocalServices

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    logs = Path(tempfile.mkdtemp(prefix="load-logs-"))
    services = LocalServices(log_dir=logs, start_timeout=120)
    services.start()
    procs: list[subprocess.Popen] = []
    try:
        from localdev.__main__ import free_port, wait_http
        from localdev.stripe_local import LOCAL_PUBLISHABLE_KEY
        from chalicelib.adapters.webpush import generate_vapid_private_key

        env = {**os.environ, **services.env(), "CROWDFIX_STAGE": "local", "LOG_LEVEL": "WARNING",
               "CROWDFIX_TOKEN_SECRET": secrets.token_urlsafe(32),
               "CROWDFIX_STRIPE_SECRET_KEY": "sk_test_" + secrets.token_hex(12),
               "CROWDFIX_STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_hex(16),
               "CROWDFIX_STRIPE_PUBLISHABLE_KEY": LOCAL_PUBLISHABLE_KEY,
               "CROWDFIX_VAPID_PRIVATE_KEY": generate_vapid_private_key(), "PYTHONUNBUFFERED": "1"}
        os.environ.update(env)
        from localdev.provision import provision
        from localdev.seed import seed
        provision()
        seed()
        port = free_port()
        api = subprocess.Popen([sys.executable, "-m", "localdev.chalice_local", "--stage", "local", "--host",
                                "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=open(logs / "api.log", "ab"), stderr=subprocess.STDOUT)
        procs.append(api)
        procs.append(subprocess.Popen([sys.executable, "-m", "localdev.pump", *pump_args], cwd=ROOT, env=env,
                                      stdout=open(logs / "pump.log", "ab"), stderr=subprocess.STDOUT))
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/v1/health", proc=api)

        from chalicelib.domain import tokens as tk
        from chalicelib.services.auth import ensure_customer

        def token(n: int) -> str:
            c = ensure_customer("crowdfix", f"load{n}@example.org", name=f"Load {n}", language="de")
            return tk.issue(env["CROWDFIX_TOKEN_SECRET"], role="customer", subject=c.customer_id, tenant="crowdfix",
                            ttl_seconds=3600)
        user_tokens = [token(n) for n in range(args.users)]

        say(f"1 user for {args.baseline_seconds:.0f} s (logs in {logs})")
        one, _ = run_phase(base, user_tokens[:1], args.baseline_seconds, seed=1)
        say(f"{args.users} users for {args.seconds:.0f} s")
        many, depth = run_phase(base, user_tokens, args.seconds, seed=100)

        p95_one = pct(one.latency["create_booking"], 0.95)
        p95_many = pct(many.latency["create_booking"], 0.95)
        total = sum(len(v) for v in many.latency.values())
        errors = sum(many.errors.values())
        five = sum(many.server_errors.values()) + sum(one.server_errors.values())
        ratio = round(p95_many / p95_one, 2) if p95_one and p95_many else None
        say(json.dumps({"one_user": one.summary(), "many_users": many.summary()}, indent=1))
        print(json.dumps({
            "metric": "load_create_booking_p95_ratio", "value": ratio, "unit": "x", "goal": "<= 4",
            "5xx": five, "5xx_goal": 0, "users": args.users, "seconds": args.seconds,
            "create_booking_p95_ms": {"1_user": p95_one, f"{args.users}_users": p95_many},
            "requests": total, "requests_per_second": round(total / args.seconds, 1),
            "error_rate": round(errors / total, 4) if total else None,
            "routes": {r: {k: v for k, v in s.items() if k != "statuses"} for r, s in many.summary().items()},
            "dispatch_lag_ms": {"p50": pct(many.lag, 0.5), "p95": pct(many.lag, 0.95), "samples": len(many.lag),
                                "still_requested_2_min_after": many.undispatched},
            "pump": " ".join(["python -m localdev.pump", *pump_args]),
            "work_queue_depth": {"max": max(depth) if depth else None,
                                 "median": statistics.median(depth) if depth else None},
        }))
        return 0
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        services.stop()


if __name__ == "__main__":
    sys.exit(main())
