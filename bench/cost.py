"""What 1,000 completed bookings cost on AWS, measured on the local stack.

Scenario (fixed): ``--bookings`` (default 200) bookings by ``--customers`` customers, each through
request -> card hold (``POST /v1/bookings/{id}/payment``, localstripe) -> (dispatch on the bookings
stream: offers) -> accept -> depart -> start -> complete (capture, payout transfer to the helper's
connected account, ledger), over
HTTP with ``chalice.test.Client`` (every call = one API Gateway request + one API Lambda invocation)
and the event pump running the stream / queue handlers in-process (every batch = one Lambda
invocation). Customers and helpers sign in through the real e-mailed-code flow; those calls count.

Counted with botocore event hooks on every client the code creates: AWS requests by service and
operation, and DynamoDB capacity units as DynamoDB Local reports them (``ReturnConsumedCapacity``
is added to every call). Calls the event pump makes for Lambda itself (stream reads: free for
Lambda triggers) are not billed; its SQS receives/deletes are (Lambda's poller pays SQS requests).
Log bytes: what the app logs, plus Lambda's START/END/REPORT lines (~260 bytes per invocation).

Prices: AWS list prices, eu-central-1 (Frankfurt), on-demand, as published in 2025, no free tier:
  API Gateway REST API         $3.70 per million requests (first 333 M)
  Lambda (arm64, as deployed)  $0.20 per million requests, $0.0000133334 per GB-second
                               (x86: $0.0000166667; the architecture is read from infra/stack.py)
  DynamoDB on-demand           $0.7625 per million write request units, $0.1525 per million read
                               request units (after the Nov 2024 price cut); streams read by Lambda: free
  SQS standard                 $0.40 per million requests (64 KB chunks)
  CloudWatch Logs              $0.63 per GB ingested, $0.0324 per GB-month stored
  CloudWatch alarms            $0.10 per standard-resolution metric per month (metric math: per metric)
  CloudWatch dashboards        $3.00 per month each beyond the first 3
  SES                          $0.10 per 1,000 e-mails;  SNS SMS (DE/CH) ~ $0.08 per message
  Stripe (EEA cards)           1.5% + EUR 0.25 per successful charge (reported beside, not in the total)
Lambda duration here is this machine's (x86) in-process wall time of each handler call, at each
function's configured memory (``.chalice/config.json`` prod: API 1024 MB, event handlers 512 MB);
Lambda bills the same wall time rounded up to 1 ms. Every signed event localstripe sends (payment
intents, account updates) is delivered to ``/v1/stripe/webhook`` through the same client, as Stripe
would call the API; each helper is onboarded for payouts (Connect) the first time they take a job.
Stripe's own latency: localstripe answers in about a millisecond, real Stripe in a few hundred; the
time a Lambda waits for Stripe is added at ``--stripe-latency-ms`` (default 400, an assumption, not a
measurement) per Stripe call, at the calling function's memory.

Last stdout line: one JSON object.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import re
import secrets
import statistics
import sys
import threading
import time
import uuid
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PRICES = {
    "apigw_per_request": 3.70 / 1e6,
    "lambda_per_request": 0.20 / 1e6,
    "lambda_per_gb_second": 0.0000133334 if re.search(
        r'^LAMBDA_ARCHITECTURE = "arm64"', (ROOT / "infra" / "stack.py").read_text(), re.M) else 0.0000166667,
    "ddb_per_wru": 0.7625 / 1e6,
    "ddb_per_rru": 0.1525 / 1e6,
    "sqs_per_request": 0.40 / 1e6,
    "logs_per_gb_ingested": 0.63,
    "logs_per_gb_month": 0.0324,
    "alarm_per_metric_month": 0.10,
    "dashboard_month": 3.00,
    "ses_per_email": 0.10 / 1000,
    "sms_per_message": 0.08,
    "stripe_percent": 0.015,
    "stripe_fixed_eur": 0.25,
}


def lambda_memory_gb(stage: str = "prod") -> dict[str, float]:
    """Memory per function as deployed (.chalice/config.json: the stage's default and its
    ``lambda_functions`` overrides): the API keeps 1024 MB for its cold start, the I/O-bound event
    handlers run at 512 MB."""
    cfg = json.loads((ROOT / ".chalice" / "config.json").read_text())
    st = cfg["stages"][stage]
    default = st.get("lambda_memory_size", cfg.get("lambda_memory_size", 128)) / 1024
    per = {name: o["lambda_memory_size"] / 1024 for name, o in st.get("lambda_functions", {}).items()
           if "lambda_memory_size" in o}
    return {"default": default, **per}
LAMBDA_REPORT_BYTES = 260

_ctx = threading.local()


class Meter:
    """AWS requests by (who, service, operation) and DynamoDB capacity, via botocore hooks."""

    def __init__(self):
        self.lock = threading.Lock()
        self.calls: Counter = Counter()
        self.rcu = 0.0
        self.wcu = 0.0
        self.invocations: Counter = Counter()
        self.durations: dict[str, list[float]] = defaultdict(list)
        self.log_bytes = 0
        self.empty_receives = 0
        self.by_table: Counter = Counter()
        self.stripe_calls: Counter = Counter()

    def install(self):
        import botocore.session

        meter = self
        original = botocore.session.Session.create_client

        def create_client(session, service_name, *args, **kwargs):
            client = original(session, service_name, *args, **kwargs)
            client.meta.events.register("provide-client-params.*.*", meter._add_capacity)
            client.meta.events.register("before-call.*.*", meter._before_call)
            client.meta.events.register("after-call.*.*", meter._after_call)
            return client

        botocore.session.Session.create_client = create_client

        from chalicelib.adapters import stripe_gateway

        call_stripe = stripe_gateway._call

        def counted(fn, *args, **kwargs):
            with meter.lock:
                meter.stripe_calls[meter._who()] += 1
            return call_stripe(fn, *args, **kwargs)

        stripe_gateway._call = counted

    def reset(self):
        with self.lock:
            self.calls.clear()
            self.rcu = self.wcu = 0.0
            self.empty_receives = 0
            self.by_table.clear()
            self.stripe_calls.clear()

    @staticmethod
    def _who():
        return getattr(_ctx, "fn", None) or "pump"

    def _add_capacity(self, params, model, **_):
        if "ReturnConsumedCapacity" in model.input_shape.members:
            params.setdefault("ReturnConsumedCapacity", "INDEXES")  # totals + per table and index

    def _before_call(self, model, **_):
        service = model.service_model.service_name
        with self.lock:
            self.calls[(self._who(), service, model.name)] += 1

    def _after_call(self, parsed, model, **_):
        if model.name == "ReceiveMessage" and isinstance(parsed, dict) and not parsed.get("Messages"):
            with self.lock:  # idle long polling: priced in the idle month, not per booking
                self.empty_receives += 1
            return
        used = parsed.get("ConsumedCapacity") if isinstance(parsed, dict) else None
        if not used:
            return
        items = used if isinstance(used, list) else [used]
        write = model.name in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
        units = sum(float(i.get("CapacityUnits", 0)) for i in items)
        with self.lock:
            if write:
                self.wcu += units
            else:
                self.rcu += units
            for i in items:  # where the units go: table itself and each index (what to slim first)
                table = re.sub(r"^crowdfix-[a-z0-9]+-", "", str(i.get("TableName", "?")))
                kind = "write" if write else "read"
                t = i.get("Table") or {}
                self.by_table[(kind, table, "table", model.name)] += float(t.get("CapacityUnits", i.get("CapacityUnits", 0)) if t else i.get("CapacityUnits", 0))
                for index, v in (i.get("GlobalSecondaryIndexes") or {}).items():
                    self.by_table[(kind, table, index, model.name)] += float(v.get("CapacityUnits", 0))

    def timed(self, name, fn, *args, **kwargs):
        _ctx.fn = name
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - started
            _ctx.fn = None
            with self.lock:
                self.invocations[name] += 1
                self.durations[name].append(elapsed)


class _ByteCounter(logging.Handler):
    def __init__(self, meter):
        super().__init__(logging.INFO)
        self.meter = meter
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))

    def emit(self, record):
        if record.name.startswith("localdev"):
            return
        with self.meter.lock:
            self.meter.log_bytes += len(self.format(record)) + 60  # + request id / timestamp prefix


class _StripeEvents:
    """A loopback endpoint registered with localstripe: keeps each signed event until delivered."""

    def __init__(self):
        import http.server

        self.lock = threading.Lock()
        self.pending: list[tuple[bytes, str]] = []
        self.seen: list[bytes] = []
        self.delivered = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    outer.pending.append((body, self.headers.get("Stripe-Signature", "")))
                    outer.seen.append(body)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/stripe"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self) -> list[tuple[bytes, str]]:
        with self.lock:
            out, self.pending = self.pending, []
        return out

    def wait_for(self, *needles: str, timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if any(all(n.encode() in b for n in needles) for b in self.seen):
                    return True
            time.sleep(0.05)
        print(f"no Stripe event with {needles} in {timeout} s", file=sys.stderr)
        return False

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def _paid_bookings() -> dict:
    """What the ledger says was charged and paid out (a priced booking must have been paid)."""
    from chalicelib.models.payments import Payment

    rows = list(Payment.scan())
    return {"captured": sum(1 for p in rows if (p.status or "") == "captured"),
            "paid_out": sum(1 for p in rows if "payout" in ((p.steps.as_dict() if p.steps else {}) or {}))}


def run_scenario(args, meter: Meter) -> dict:
    from localdev.services import LocalServices, read_sent_emails

    services = LocalServices(log_dir=ROOT / ".local" / "bench-cost-logs", start_timeout=120).start()
    try:
        os.environ.update(services.env())
        os.environ["CROWDFIX_TOKEN_SECRET"] = secrets.token_urlsafe(32)
        os.environ.setdefault("CROWDFIX_STAGE", "local")
        os.environ["CROWDFIX_STRIPE_SECRET_KEY"] = "sk_test_bench" + secrets.token_hex(12)
        os.environ["CROWDFIX_STRIPE_WEBHOOK_SECRET"] = "whsec_" + secrets.token_hex(24)
        from localdev.stripe_local import register_webhook

        stripe_events = _StripeEvents()
        register_webhook(services.stripe_url, stripe_events.url, os.environ["CROWDFIX_STRIPE_WEBHOOK_SECRET"],
                         name="bench-cost")
        meter.install()  # before any client exists (pynamodb keeps its connection per model)
        from localdev.provision import provision
        from localdev.seed import seed

        for attempt in range(3):
            try:  # on a loaded machine a CreateTable can time out client-side and succeed server-side
                provision(visibility_timeout=2)
                break
            except Exception as exc:  # noqa: BLE001 - retried: the next pass skips existing tables
                print(f"provisioning attempt {attempt + 1} failed: {exc}", file=sys.stderr)
        seed()
        meter.reset()  # provisioning and seeding are not part of the scenario
        from chalicelib.aws import reset_clients

        reset_clients()
        import app as app_module
        from chalice.test import Client

        from chalicelib.queues import STREAM_FAILURES
        from localdev.pump import EventPump

        app = app_module.app
        originals = dict(app.handler_map)
        for cfg in app.event_sources:  # count and time every Lambda invocation the pump makes
            handler = app.handler_map[cfg.name]
            app.handler_map[cfg.name] = (lambda h, n: lambda event, ctx: meter.timed(n, h, event, ctx))(handler, cfg.name)
        logging.getLogger().addHandler(_ByteCounter(meter))
        logging.getLogger().setLevel(logging.INFO)
        for noisy in ("botocore", "urllib3", "localdev"):
            logging.getLogger(noisy).setLevel(logging.WARNING)

        pump = EventPump(app, stream_failure_queue=STREAM_FAILURES.name, poll_wait_seconds=1,
                         failed_visibility_seconds=1).start()
        client = Client(app, stage_name="local").__enter__()

        def call(method, path, body=None, headers=None, raw=None):
            h = {"Content-Type": "application/json", **(headers or {})}
            resp = meter.timed("api_handler", getattr(client.http, method.lower()), path, headers=h,
                               body=raw if raw is not None else (json.dumps(body) if body is not None else None))
            return resp.status_code, (json.loads(resp.body) if resp.body else None)

        def deliver_stripe_events():
            """Stripe calls the API's webhook with every event: so does the bench, signed as sent."""
            for body, signature in stripe_events.take():
                status, answer = call("POST", "/v1/stripe/webhook", headers={
                    "Stripe-Signature": signature, "Content-Type": "application/json; charset=utf-8"}, raw=body)
                if status != 200:
                    print(f"stripe webhook: {status} {answer}", file=sys.stderr)
                stripe_events.delivered += 1

        def onboard(helper_headers):
            """The helper opens the payout onboarding link; localstripe's account.updated comes back."""
            import urllib.request

            status, link = call("POST", "/v1/helper/payouts/onboarding", {}, helper_headers)
            if status != 201:
                print(f"onboarding: {status} {link}", file=sys.stderr)
                return

            class _NoRedirect(urllib.request.HTTPRedirectHandler):
                def redirect_request(self, *a, **k):
                    return None
            try:
                urllib.request.build_opener(_NoRedirect).open(link["url"], timeout=10).read()
            except Exception:  # noqa: BLE001 - the 302 back to the app is the expected answer
                pass
            stripe_events.wait_for(f'"{link["account_id"]}"', "account.updated")
            deliver_stripe_events()

        def code_for(email):
            for msg in reversed(read_sent_emails(services.moto_url)):
                if email in json.dumps(msg):
                    m = re.search(r"\b(\d{6})\b", json.dumps(msg.get("subject", "")) + json.dumps(msg.get("body", "")))
                    if m:
                        return m.group(1)
            raise RuntimeError(f"no code for {email}")

        def signin(email, role):
            assert call("POST", "/v1/auth/code", {"email": email, "role": role, "language": "en"})[0] == 202
            status, body = call("POST", "/v1/auth/token", {"email": email, "role": role, "code": code_for(email)})
            assert status == 200, body
            return {"Authorization": f"Bearer {body['token']}"}

        from chalicelib.models.helpers import Helper
        from chalicelib.models.offers import Offer

        customers = [signin(f"cost-{uuid.uuid4().hex[:8]}@example.org", "customer") for _ in range(args.customers)]
        helpers: dict[str, dict] = {}
        body = {"category": "printer", "description": "My printer shows error E3 and prints nothing.",
                "mode": "onsite", "language": "de",
                "location": {"lat": 47.3769, "lon": 8.5417, "address": "Bahnhofstrasse 1", "postcode": "8001",
                             "city": "Zürich"},
                "contact": {"name": "Erika Muster", "phone": "+41 44 123 45 67"}}
        completed = 0
        started = time.monotonic()
        for start in range(0, args.bookings, args.batch):
            batch = []
            for i in range(start, min(args.bookings, start + args.batch)):
                who = customers[i % len(customers)]
                status, booking = call("POST", "/v1/bookings", body, who)
                assert status == 201, booking
                bid = booking["booking_id"]
                status, held = call("POST", f"/v1/bookings/{bid}/payment", {"payment_method": "pm_card_visa"}, who)
                assert status in (200, 201) and held.get("status") == "authorised", (status, held)
                batch.append(bid)
            deliver_stripe_events()
            if not pump.wait_idle(timeout=args.idle_timeout):
                print(f"pump did not get idle in {args.idle_timeout} s", file=sys.stderr)
            for bid in batch:
                offers = [o for o in Offer.query(bid, consistent_read=True) if o.state == "open"]
                for offer in offers:
                    if offer.helper_id not in helpers:
                        helpers[offer.helper_id] = signin(Helper.get(offer.helper_id).email, "helper")
                        onboard(helpers[offer.helper_id])
                    status, answer = call("POST", f"/v1/bookings/{bid}/accept", headers=helpers[offer.helper_id])
                    if status == 200:
                        break
                    print(f"accept {bid} by {offer.helper_id}: {status} {answer}", file=sys.stderr)
                else:
                    print(f"{bid}: no open offer accepted ({len(offers)} open)", file=sys.stderr)
                    continue
                h = helpers[offer.helper_id]
                ok = all(call("POST", f"/v1/bookings/{bid}/{step}", b, h)[0] == 200
                         for step, b in (("depart", None), ("start", None), ("complete", {"minutes_worked": 45})))
                completed += ok
            pump.wait_idle(timeout=120)
            deliver_stripe_events()  # capture and transfer events of the settled jobs
            pump.wait_idle(timeout=120)
            print(f"{min(args.bookings, start + args.batch)}/{args.bookings} bookings, {completed} completed, "
                  f"{time.monotonic() - started:.0f}s", file=sys.stderr)
        emails = len(read_sent_emails(services.moto_url))
        paid = _paid_bookings()
        client.__exit__(None, None, None)
        stripe_events.stop()
        pump.stop()
        # scheduled functions run at zero traffic too: time one run of each (not a booking cost)
        from chalice.app import ScheduledEventConfig

        scheduled = {}
        for cfg in app.event_sources:
            if isinstance(cfg, ScheduledEventConfig):
                event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
                         "account": "123456789012", "time": "2026-01-01T00:00:00Z", "region": "eu-central-1",
                         "resources": [], "detail": {}}
                t0 = time.perf_counter()
                originals[cfg.name](event, None)  # unmetered: not part of the bookings' cost
                scheduled[cfg.name] = {"seconds": round(time.perf_counter() - t0, 3),
                                       "per_month": _runs_per_month(cfg.schedule_expression)}
        return {"completed": completed, "emails_in_moto": emails, "helpers_signed_in": len(helpers),
                "stripe_events_delivered": stripe_events.delivered, **paid, "scheduled": scheduled}
    finally:
        services.stop()


def price(meter: Meter, completed: int, stripe_latency_s: float = 0.4) -> dict:
    per = 1000.0 / completed
    calls = meter.calls
    by_service = Counter()
    billed_sqs = 0
    for (who, service, op), n in calls.items():
        if who == "pump" and service == "dynamodbstreams":
            continue  # Lambda's stream reads are free
        if who == "pump" and service == "dynamodb":
            continue  # the pump resolving stream ARNs (DescribeTable): Lambda does not do that
        by_service[service] += n
        if service == "sqs" and op == "ReceiveMessage":
            n -= meter.empty_receives
        if service == "sqs" and op in ("SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage",
                                       "DeleteMessageBatch", "ChangeMessageVisibility"):
            if not (who == "pump" and op in ("GetQueueUrl", "GetQueueAttributes")):
                billed_sqs += n
    api_requests = meter.invocations["api_handler"]
    invocations = sum(meter.invocations.values())
    memory = lambda_memory_gb()
    gb_seconds = sum(sum(d) * memory.get(name, memory["default"]) for name, d in meter.durations.items())
    stripe_wait_gb_s = sum(n * stripe_latency_s * memory.get(who if who != "pump" else "default", memory["default"])
                           for who, n in meter.stripe_calls.items())
    gb_seconds += stripe_wait_gb_s
    log_bytes = meter.log_bytes + invocations * LAMBDA_REPORT_BYTES
    ses = sum(n for (who, s, op), n in calls.items() if s in ("ses", "sesv2") and op.startswith("Send"))
    sms = sum(n for (who, s, op), n in calls.items() if s == "sns" and op == "Publish")
    cost = {
        "api": api_requests * PRICES["apigw_per_request"] * per,
        "compute": (invocations * PRICES["lambda_per_request"] + gb_seconds * PRICES["lambda_per_gb_second"]) * per,
        "database": (meter.wcu * PRICES["ddb_per_wru"] + meter.rcu * PRICES["ddb_per_rru"]) * per,
        "queues": billed_sqs * PRICES["sqs_per_request"] * per,
        "logs": log_bytes / 1e9 * PRICES["logs_per_gb_ingested"] * per,
    }
    return {
        "usd_per_1000_bookings": {k: round(v, 5) for k, v in cost.items()},
        "total_usd_per_1000_bookings": round(sum(cost.values()), 4),
        "beside_the_total_per_1000_bookings": {
            "emails": round(ses * per), "email_usd": round(ses * per * PRICES["ses_per_email"], 4),
            "sms": round(sms * per), "sms_usd": round(sms * per * PRICES["sms_per_message"], 4),
            "stripe": "1.5% + EUR 0.25 per captured booking (EEA cards): e.g. EUR 1.60 on a EUR 90 booking",
        },
        "per_1000_bookings": {
            "api_requests": round(api_requests * per), "lambda_invocations": round(invocations * per),
            "lambda_gb_seconds": round(gb_seconds * per, 1),
            "stripe_calls": round(sum(meter.stripe_calls.values()) * per),
            "lambda_gb_seconds_waiting_for_stripe": round(stripe_wait_gb_s * per, 1),
            "dynamodb_wru": round(meter.wcu * per), "dynamodb_rru": round(meter.rcu * per),
            "sqs_requests": round(billed_sqs * per), "log_kb": round(log_bytes * per / 1024),
            "sqs_empty_receives_not_billed_here": meter.empty_receives,
        },
        "aws_requests_by_service": dict(by_service),
        # capacity units per completed booking by (read/write, table, table-or-index, operation), top 30
        "dynamodb_units_per_booking_top": [
            [" ".join(k), round(v / max(completed, 1), 2)] for k, v in meter.by_table.most_common(30)],
        "invocations_by_function": dict(meter.invocations),
        "median_ms_by_function": {k: round(statistics.median(v) * 1000, 1) for k, v in meter.durations.items()},
    }


def _runs_per_month(expr) -> int:
    """Runs a month of a chalice schedule: a Rate (``Rate(1, unit=Rate.HOURS)``) or a Cron
    (``Cron(0, 3, 1, "*", "?", "*")``: EventBridge's six fields, e.g. the monthly invoices)."""
    unit_minutes = {"MINUTES": 1, "HOURS": 60, "DAYS": 1440}
    text = expr.to_string() if hasattr(expr, "to_string") else str(expr)
    m = re.match(r"rate\((\d+) (minute|hour|day)s?\)", text)
    if m:
        return int(30 * 1440 / (int(m.group(1)) * unit_minutes[m.group(2).upper() + "S"]))
    m = re.match(r"cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$", text)
    if not m:
        raise ValueError(f"cannot price schedule {text!r}")
    minute, hour, dom, month, dow, _year = m.groups()
    per_day = _cron_count(minute, 0, 59) * _cron_count(hour, 0, 23)
    if dom not in ("*", "?"):
        days = _cron_count(dom, 1, 31)  # days of the month named (L, W: one each)
    elif dow not in ("*", "?"):
        days = _cron_count(dow, 1, 7) * 30 / 7
    else:
        days = 30
    months = 1 if month == "*" else _cron_count(month, 1, 12) / 12
    return max(1, round(per_day * days * months))


def _cron_count(field: str, low: int, high: int) -> int:
    """How many values one cron field names (``*``, ``a,b``, ``a-b``, ``*/n``, ``a/n``, ``L``...)."""
    if field in ("*", "?"):
        return high - low + 1
    names = {n: i + 1 for i, n in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}
    names.update({n: i + 1 for i, n in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP",
                                                  "OCT", "NOV", "DEC"))})
    field = re.sub(r"[A-Z]{3}", lambda n: str(names.get(n.group(0), n.group(0))), field.upper())
    total = 0
    for part in field.split(","):
        base, _, step = part.partition("/")
        if base in ("*", "?"):
            start, end = low, high
        elif "-" in base and base.replace("-", "").isdigit():
            start, end = (int(x) for x in base.split("-"))
        elif base.isdigit():
            start, end = int(base), (high if step else int(base))
        else:
            start = end = low  # L, W, 3#2, names: one value
        total += len(range(start, end + 1, int(step) if step else 1))
    return total


def idle_monthly_cost(scheduled: dict | None = None) -> dict:
    """The deployed stack at zero traffic: what bills by the month in the template as
    ``infra/stack.py`` builds it (its tests assert the same counts: ``tests/infra``)."""
    from chalicelib.queues import ALL_QUEUES
    import app as app_module
    from chalice.app import SQSEventConfig

    sqs_consumers = sum(1 for s in app_module.app.event_sources if isinstance(s, SQSEventConfig))
    streams = sum(1 for s in app_module.app.event_sources if type(s).__name__ == "DynamoDBEventConfig")
    # alarm metrics: account-wide Lambda Errors + Invocations (error rate) and Throttles (3), each
    # stream consumer's IteratorAge, per consumed queue its DLQ depth and oldest age, stream failures
    alarm_metrics = 3 + streams + len(ALL_QUEUES) * 2 + 1
    # Lambda's SQS poller long-polls (20 s) with 5 pollers per queue even when idle
    idle_sqs_requests = sqs_consumers * 5 * 3 * 60 * 24 * 30
    memory = lambda_memory_gb()
    runs = sum(s["per_month"] for s in (scheduled or {}).values())
    gb_s = sum(s["per_month"] * s["seconds"] * memory.get(name, memory["default"]) for name, s in (scheduled or {}).items())
    schedule_usd = runs * PRICES["lambda_per_request"] + gb_s * PRICES["lambda_per_gb_second"]
    without = idle_sqs_requests * PRICES["sqs_per_request"] + alarm_metrics * PRICES["alarm_per_metric_month"] + schedule_usd
    # always-free tier: 1 M SQS requests, 10 alarm metrics, 1 M Lambda requests + 400,000 GB-s a month
    with_free = (max(0, idle_sqs_requests - 1_000_000) * PRICES["sqs_per_request"]
                 + max(0, alarm_metrics - 10) * PRICES["alarm_per_metric_month"]
                 + max(0, runs - 1_000_000) * PRICES["lambda_per_request"]
                 + max(0, gb_s - 400_000) * PRICES["lambda_per_gb_second"])
    return {
        "api_database_usd": 0.0,
        "sqs_consumed_queues": sqs_consumers,
        "sqs_idle_polling_requests": idle_sqs_requests,
        "sqs_idle_polling_usd": round(idle_sqs_requests * PRICES["sqs_per_request"], 2),
        "alarm_metrics": alarm_metrics,
        "alarms_usd": round(alarm_metrics * PRICES["alarm_per_metric_month"], 2),
        "scheduled_runs": runs, "scheduled_gb_seconds": round(gb_s, 1), "scheduled_usd": round(schedule_usd, 4),
        "dashboard_usd": 0.0,  # first 3 dashboards of up to 50 metrics free (tests/infra counts them)
        "storage": "DynamoDB $0.306/GB-month + PITR $0.245/GB-month, S3 $0.0245/GB-month, logs $0.0324/GB-month",
        "note": ("no NAT gateway, no provisioned capacity, no database instance, no container: at zero traffic "
                 "only the alarms, Lambda's polling of the one work queue and the hourly hold renewal "
                 "run, each inside AWS's always-free tier"),
        "total_usd_without_free_tier": round(without, 2),
        "total_usd_with_free_tier": round(with_free, 2),
    }


def package_sizes() -> dict:
    """Zipped function code and requirements layer as Chalice builds them (its cache, or a fresh
    ``chalice package``), and what dominates each."""
    deployments = ROOT / ".chalice" / "deployments"
    found = sorted(deployments.glob("appcode-*.zip"), key=lambda p: p.stat().st_mtime) if deployments.exists() else []
    layers = sorted(deployments.glob("managed-layer-*.zip"), key=lambda p: p.stat().st_mtime) if deployments.exists() else []
    if not found or not layers:
        import subprocess
        import tempfile

        out = tempfile.mkdtemp()
        subprocess.run([str(ROOT / ".venv" / "bin" / "chalice"), "package", "--stage", "dev", out], cwd=ROOT,
                       check=True, env={**os.environ, "AWS_DEFAULT_REGION": "eu-central-1"},
                       stdout=subprocess.DEVNULL)
        found, layers = [Path(out) / "deployment.zip"], [Path(out) / "layer-deployment.zip"]

    def top(path: Path, depth: int) -> list:
        sizes = Counter()
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                parts = info.filename.split("/")
                sizes["/".join(parts[:depth]) if len(parts) > depth else parts[0]] += info.compress_size
        return [[k, round(v / 1e6, 2)] for k, v in sizes.most_common(5)]

    return {
        "function_zip_mb": round(found[-1].stat().st_size / 1e6, 3),
        "layer_zip_mb": round(layers[-1].stat().st_size / 1e6, 2),
        "function_top_mb": top(found[-1], 2),
        "layer_top_mb": top(layers[-1], 5),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bookings", type=int, default=200)
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--idle-timeout", type=float, default=600)
    parser.add_argument("--stripe-latency-ms", type=float, default=400,
                        help="time a Lambda waits per Stripe call in AWS (assumed; localstripe answers in ~1 ms)")
    args = parser.parse_args()
    import signal

    # a SIGTERM (e.g. `timeout`) must still stop the local services in run_scenario's finally
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    meter = Meter()
    outcome = run_scenario(args, meter)
    if not outcome["completed"]:
        raise SystemExit("no booking completed: nothing to price")
    if outcome.get("captured", 0) < outcome["completed"]:
        print(f"only {outcome.get('captured')} of {outcome['completed']} completed bookings were captured",
              file=sys.stderr)
    priced = price(meter, outcome["completed"], args.stripe_latency_ms / 1000)
    idle = idle_monthly_cost(outcome.get("scheduled"))
    sizes = package_sizes()
    print(json.dumps({"scenario": {**vars(args), **outcome}, **priced, "idle_month": idle,
                      "packages": sizes}, indent=1), file=sys.stderr)
    total = priced["total_usd_per_1000_bookings"]
    print(json.dumps({
        "metric": "usd_per_1000_completed_bookings", "value": total, "unit": "USD", "goal": "<= 0.15",
        "breakdown": priced["usd_per_1000_bookings"],
        "beside": priced["beside_the_total_per_1000_bookings"],
        "per_1000": priced["per_1000_bookings"],
        "idle_month_usd": {"with_free_tier": idle["total_usd_with_free_tier"],
                           "without_free_tier": idle["total_usd_without_free_tier"]},
        "packages_mb": {"function": sizes["function_zip_mb"], "layer": sizes["layer_zip_mb"],
                        "layer_dominant": sizes["layer_top_mb"][:3]},
        "completed": outcome["completed"], "captured": outcome.get("captured"), "paid_out": outcome.get("paid_out"),
        "bookings": args.bookings,
        "peer": "same run: idle-month cost of the same stack, and package sizes",
    }))


if __name__ == "__main__":
    main()
