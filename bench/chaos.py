"""The fault harness: many bookings by concurrent customers, helpers and ops while faults are
injected, then the money and the messages are checked.

    make chaos                          # or: .venv/bin/python bench/chaos.py --bookings 200

What runs: a fresh local stack (DynamoDB Local, moto, localstripe), the app's own stream and queue
handlers in the event pump, and ``--workers`` concurrent journeys calling the services the HTTP
routes call (each journey: a customer books and pays; offered helpers decline or accept; the
helper starts and completes, or someone cancels; tips, parts, reviews, and ops refunds — two at
once). Helpers are shared, so most hold several jobs at a time.

Faults while the journeys run (rates with ``--rate``):
- DynamoDB: a share of calls answered ``ProvisionedThroughputExceededException`` or cut off
  (``botocore`` endpoint hook, every client, pynamodb's too);
- Stripe: calls refused with a 502 before Stripe sees them, or *after* Stripe did them (the answer
  is lost; the idempotency key must make the retry safe);
- SES / SNS: ``SendEmail`` / ``Publish`` answered 500;
- invocations killed: a pump invocation dies at a random AWS call inside it (as a Lambda that
  crashed or timed out; its batch is delivered again);
- duplicates: a stream batch or queue message delivered a second time concurrently and a third
  time after.

After the journeys the faults stop, the pump drains, and the checks run:
every booking in a legal state with a consistent history; every completed booking captured exactly
once (ledger = Stripe) and paid out at most once; every booking's ledger sums to zero and no payout
exceeds its capture; no refund total above its capture; no e-mail sent twice; every unit that gave
up is in the failure store (counted); no stream record given up by the pump.

Last line: {"metric": "chaos_invariant_violations", "value": N, "goal": 0, ...} with the bookings
run, faults injected per kind, violations per kind and lost or doubled effects.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ZURICH = (47.3769, 8.5417)


def say(msg: str) -> None:
    print(f"[chaos] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# faults

class Killed(Exception):
    """Injected: the invocation died here (the pump treats it as a crashed Lambda)."""


class Faults:
    def __init__(self, rate: float, seed: int):
        self.rate = rate
        self.on = False
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.count: Counter = Counter()
        self.local = threading.local()

    def roll(self, p: float) -> bool:
        if not self.on:
            return False
        with self.lock:
            return self.rng.random() < p

    def hit(self, kind: str) -> None:
        with self.lock:
            self.count[kind] += 1

    # -- botocore: DynamoDB, SES, SNS ------------------------------------------------------------
    def install_botocore(self, ddb_url: str, moto_url: str, exempt: bytes | None = None) -> None:
        """``exempt``: requests whose body names it get no fault (the pump's checkpoint table is the
        event source mapping's own state, which AWS keeps for Lambda; only the app's calls fail)."""
        from botocore.awsrequest import AWSResponse
        from botocore.endpoint import Endpoint
        from botocore.exceptions import EndpointConnectionError

        real_send = Endpoint._send
        faults = self

        class _Raw:
            def __init__(self, body):
                self.body = body

            def stream(self, **_):
                yield self.body

        def send(endpoint, request):
            url = request.url
            countdown = getattr(faults.local, "kill_after", None)
            if countdown is not None:
                faults.local.kill_after = countdown - 1
                if countdown <= 0:
                    faults.local.kill_after = None
                    faults.hit("invocation_killed")
                    raise Killed("injected: the invocation died here")
            body = request.body or b""
            body = body if isinstance(body, bytes) else str(body).encode()
            if exempt and exempt in body:
                return real_send(endpoint, request)
            if url.startswith(ddb_url) and "streams" not in request.headers.get("X-Amz-Target", b"").decode().lower():
                if faults.roll(faults.rate):
                    faults.hit("dynamodb_throttled")
                    body = json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                                       "message": "injected throttle"}).encode()
                    return AWSResponse(url, 400, {"x-amzn-ErrorType": "ProvisionedThroughputExceededException",
                                                  "Content-Type": "application/x-amz-json-1.0"}, _Raw(body))
                if faults.roll(faults.rate / 3):
                    faults.hit("dynamodb_failed")
                    raise EndpointConnectionError(endpoint_url=url)
            elif url.startswith(moto_url):
                if (b"Action=SendEmail" in body or b"Action=Publish" in body or "/v2/email/outbound-emails" in url) \
                        and faults.roll(faults.rate * 5):
                    faults.hit("ses_sns_failed")
                    xml = b"<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code>" \
                          b"<Message>injected</Message></Error></ErrorResponse>"
                    return AWSResponse(url, 500, {"Content-Type": "text/xml"}, _Raw(xml))
            return real_send(endpoint, request)

        Endpoint._send = send

    # -- Stripe: before and after the provider acted ---------------------------------------------
    def install_stripe(self) -> None:
        from chalicelib.adapters import stripe_gateway as gw

        faults = self
        for name in ("authorise", "capture", "release", "refund", "transfer", "reverse_transfer"):
            real = getattr(gw, name, None)
            if real is None:
                continue

            def wrapped(*args, __real=real, __name=name, **kwargs):
                if faults.roll(faults.rate * 3):
                    faults.hit("stripe_500_before")
                    raise gw.PaymentProviderError(f"injected: {__name} answered 500")
                result = __real(*args, **kwargs)
                if faults.roll(faults.rate * 2):
                    faults.hit("stripe_timeout_after")
                    raise gw.PaymentProviderError(f"injected: {__name} timed out after Stripe acted")
                return result
            setattr(gw, name, wrapped)

    # -- the pump: killed invocations and duplicate deliveries -----------------------------------
    def wrap_handler(self, handler):
        faults = self

        def run(event, context, kill: bool):
            if kill:
                faults.local.kill_after = faults.rng.randint(0, 12)
            try:
                return handler(event, context)
            finally:
                faults.local.kill_after = None

        def invoke(event, context):
            if faults.roll(faults.rate * 10):
                faults.hit("duplicate_delivery")
                twin = threading.Thread(target=lambda: _quiet(run, copy.deepcopy(event), context, False))
                twin.start()
                result = run(event, context, faults.roll(faults.rate * 2))
                twin.join()
                if faults.roll(0.3):
                    faults.hit("third_delivery")
                    _quiet(run, copy.deepcopy(event), context, False)
                return result
            return run(event, context, faults.roll(faults.rate * 2))
        return invoke


def _quiet(fn, *args):
    try:
        fn(*args)
    except Exception:  # noqa: BLE001 — a ghost delivery's own outcome is not reported to the source
        pass


# ---------------------------------------------------------------------------------------------
# journeys

RETRYABLE = ("Conflict", "PaymentProviderError", "PutError", "UpdateError", "TransactWriteError", "GetError",
             "QueryError", "DeleteError", "EndpointConnectionError", "ClientError", "Busy", "Killed")


def attempt(fn, tries=6):
    """Call like a person (or a partner's server) would: try again after a failure that says so."""
    from chalicelib.domain.errors import DomainError

    last = None
    for i in range(tries):
        try:
            return fn()
        except DomainError as exc:
            if type(exc).__name__ not in ("Conflict", "PaymentProviderError"):
                raise
            last = exc
        except Exception as exc:  # noqa: BLE001 — injected faults surface as many types
            if type(exc).__name__ not in RETRYABLE:
                raise
            last = exc
        time.sleep(0.1 * (2 ** i))
    raise last


class World:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.outcomes: Counter = Counter()
        self.errors: Counter = Counter()
        self.bookings: list[str] = []
        self.refund_share, self.refund_racers, self.refund_amount = 0.15, 2, 2000

    def pick(self, p: float) -> bool:
        with self.lock:
            return self.rng.random() < p

    def note(self, what: str) -> None:
        with self.lock:
            self.outcomes[what] += 1


def wait_state(bid: str, states: set[str], timeout: float = 90.0) -> str | None:
    from chalicelib.models.bookings import Booking

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Booking.get(bid, consistent_read=True).state
        except Exception:  # noqa: BLE001 — a throttled read: look again
            state = None
        if state in states:
            return state
        time.sleep(0.3)
    return None


def journey(world: World, i: int, customers: list, ops) -> None:
    from chalicelib.domain.actors import Actor
    from chalicelib.domain.review_schemas import SubmitReview
    from chalicelib.domain.schemas import CreateBooking
    from chalicelib.models.offers import Offer
    from chalicelib.services import bookings, payments, reviews

    customer = customers[i % len(customers)]
    remote = world.pick(0.3)
    lat, lon = ZURICH[0] + world.rng.uniform(-0.03, 0.03), ZURICH[1] + world.rng.uniform(-0.03, 0.03)
    body = {"category": "printer", "description": f"Chaos booking {i}: printer prints nothing", "mode": "remote" if remote else "onsite",
            "location": None if remote else {"lat": lat, "lon": lon, "address": f"Teststrasse {i}", "postcode": "8001", "city": "Zürich"},
            "contact": {"name": "Chaos Kunde", "phone": "+41 44 000 00 00"}, "language": "de",
            "price_cap": {"amount": 20000, "currency": "CHF"}}
    request = CreateBooking.model_validate(body)
    booking, _ = attempt(lambda: bookings.create_booking(customer, request, idempotency_key=f"chaos-{i}"))
    bid = booking.booking_id
    with world.lock:
        world.bookings.append(bid)
    try:
        attempt(lambda: payments.authorise_booking(customer, bid, "pm_card_visa", False))
    except Exception as exc:  # noqa: BLE001
        world.errors[f"authorise:{type(exc).__name__}"] += 1
    if world.pick(0.08):
        attempt(lambda: bookings.cancel_booking(customer, bid, "chaos: changed my mind early"))
        world.note("cancelled_early")
        return
    accepted_by = None
    for _round in range(4):
        state = wait_state(bid, {"offered", "unmatched", "cancelled"})
        if state != "offered":
            world.note(f"ended_{state or 'stuck'}")
            return
        offers = [o for o in Offer.query(bid, consistent_read=True) if o.state == "open"]
        if not offers:
            time.sleep(0.5)
            continue
        offer = world.rng.choice(offers)
        helper = Actor("helper", offer.helper_id, offer.tenant_id)
        try:
            if world.pick(0.2):
                attempt(lambda: bookings.decline_offer(helper, bid))
                world.note("declined")
                time.sleep(0.3)
                continue
            attempt(lambda: bookings.accept_offer(helper, bid))
            accepted_by = helper
            break
        except Exception as exc:  # noqa: BLE001 — taken by another, withdrawn, expired: the next one
            world.errors[f"accept:{type(exc).__name__}"] += 1
    if accepted_by is None:
        world.note("never_accepted")
        return
    helper = accepted_by
    if world.pick(0.1):
        attempt(lambda: bookings.cancel_booking(customer, bid, "chaos: cancelled after accept"))
        world.note("cancelled_late")
        return
    attempt(lambda: bookings.helper_step(helper, bid, "start"))
    if world.pick(0.3):
        attempt(lambda: payments.set_tip(customer, bid, 500))
    if world.pick(0.1):
        attempt(lambda: payments.add_part(helper, bid, "cable", 1290))
    minutes = world.rng.choice([20, 35, 50, 60, 75, 95, 120])
    attempt(lambda: bookings.helper_step(helper, bid, "complete", minutes_worked=minutes))
    world.note("completed")
    if world.pick(0.5):
        try:
            attempt(lambda: reviews.submit_review(customer, bid, SubmitReview(
                overall=5, patience=4, clarity=5, would_recommend=True, would_book_again=True, comment="chaos")))
        except Exception as exc:  # noqa: BLE001
            world.errors[f"review:{type(exc).__name__}"] += 1
    if world.pick(world.refund_share):
        # ops refund part, several at once (as people clicking twice, or two ops at once)
        if wait_state_paid(bid):
            threads = [threading.Thread(target=lambda: _quiet(lambda: attempt(
                lambda: payments.refund_booking(ops, bid, world.refund_amount, "chaos"))))
                for _ in range(world.refund_racers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            world.note("refund_attempted")


def wait_state_paid(bid: str, timeout: float = 60.0) -> bool:
    from chalicelib.services.payments import get_payment

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            p = get_payment(bid)
            if p is not None and p.status in ("captured", "partially_refunded"):
                return True
        except Exception:  # noqa: BLE001
            pass
        time.sleep(0.5)
    return False


# ---------------------------------------------------------------------------------------------
# checks

def check(world: World, services, pump_failures: list, leftovers: dict) -> dict:
    import requests

    from chalicelib.domain.booking_states import ALL_STATES, TRANSITIONS
    from chalicelib.domain.ledger import booking_summary
    from chalicelib.models.bookings import Booking
    from chalicelib.models.failures import FailedUnit
    from chalicelib.services.payments import booking_movements, get_payment
    from localdev.services import read_sent_emails

    v: Counter = Counter()
    examples: dict[str, str] = {}

    def bad(kind: str, detail: str) -> None:
        v[kind] += 1
        examples.setdefault(kind, detail)

    transfers = requests.get(f"{services.stripe_url}/_config/local/transfers", timeout=10).json()["transfers"]
    by_group = Counter(t["transfer_group"] for t in transfers)
    failed_units = {f.booking_id for f in FailedUnit.scan() if f.booking_id}
    states = Counter()
    for bid in world.bookings:
        b = Booking.get(bid, consistent_read=True)
        states[b.state] += 1
        if b.state not in ALL_STATES:
            bad("illegal_state", f"{bid}: {b.state}")
        if b.state == "requested" and bid not in failed_units:
            # its request record's effects (dispatch) never ran: a stream record was lost
            bad("never_dispatched", f"{bid}: still requested after the drain")
        prev = None
        for entry in b.history or []:
            e = dict(entry)
            t = TRANSITIONS.get(e.get("transition"))
            if t is None or e.get("from") != prev or e.get("to") != t.to_state:
                bad("inconsistent_history", f"{bid}: {e.get('transition')} {e.get('from')}->{e.get('to')} after {prev}")
            prev = e.get("to")
        if prev != b.state:
            bad("inconsistent_history", f"{bid}: history ends in {prev}, booking is {b.state}")
        movements = booking_movements(bid)
        total = sum(e.amount for m in movements for e in m.entries)
        if total != 0:
            bad("ledger_unbalanced", f"{bid}: sums to {total}")
        s = booking_summary(movements)
        pay = get_payment(bid)
        captured = pay.facts.get("captured", 0) if pay and pay.facts else 0
        if s["paid_out"] > s["captured"]:
            bad("payout_above_capture", f"{bid}: paid out {s['paid_out']} of {s['captured']}")
        if s["refunded"] > s["captured"]:
            bad("refund_above_capture", f"{bid}: refunded {s['refunded']} of {s['captured']}")
        if by_group[bid] > 1:
            bad("paid_out_twice", f"{bid}: {by_group[bid]} transfers")
        if b.state == "completed":
            if pay is None or pay.status not in ("captured", "partially_refunded", "refunded"):
                if bid in failed_units:
                    v["completed_uncharged_in_failure_store"] += 1  # visible, replayable: not lost
                else:
                    bad("completed_not_charged", f"{bid}: payment {pay.status if pay else 'none'}")
            elif captured != s["captured"]:
                bad("capture_differs_from_ledger", f"{bid}: captured {captured}, ledger {s['captured']}")
            if pay is not None and pay.payment_intent_id:
                pi = requests.get(f"{services.stripe_url}/v1/payment_intents/{pay.payment_intent_id}",
                                  headers={"Authorization": f"Bearer {os.environ['CROWDFIX_STRIPE_SECRET_KEY']}"},
                                  timeout=10).json()
                if pi.get("status") != "succeeded":
                    bad("stripe_not_captured", f"{bid}: intent {pi.get('status')}")
    # no e-mail twice: the same recipient, subject and body
    mails = Counter((json.dumps(m.get("destinations"), sort_keys=True), m.get("subject"), m.get("body"))
                    for m in read_sent_emails(services.moto_url))
    doubled = {k: n for k, n in mails.items() if n > 1}
    for (to, subject, _), n in list(doubled.items())[:3]:
        examples.setdefault("email_sent_twice", f"{to} {subject!r} x{n}")
    v["email_sent_twice"] += len(doubled)
    if leftovers.get("dead_lettered"):
        bad("dead_lettered", f"{leftovers['dead_lettered_kinds']} on the work queue's DLQ, not in the failure store; "
                             f"e.g. {leftovers['example']}")
        v["dead_lettered"] += leftovers["dead_lettered"] - 1
    if pump_failures:
        v["stream_records_given_up"] += len(pump_failures)
        examples.setdefault("stream_records_given_up", json.dumps(pump_failures[0])[:300])
    return {"violations": {k: n for k, n in v.items() if n and k != "completed_uncharged_in_failure_store"},
            "visible_in_failure_store": v["completed_uncharged_in_failure_store"],
            "examples": examples, "states": dict(states),
            "failure_store": Counter(f.kind for f in FailedUnit.scan())}


# ---------------------------------------------------------------------------------------------
# the pump as its own process, killed and restarted

def pump_options(broken: bool) -> dict:
    """The event pump as the harness runs it. ``broken``: positions kept in memory only and every
    start at LATEST (a mapping that lost its state): what a killed pump had not finished is lost."""
    from chalicelib.queues import STREAM_FAILURES
    from localdev.pump import CheckpointStore

    # failed messages come back after the queue's visibility timeout (2 s here), or later if the
    # handler hid them (a claim held by a killed pump), as with Lambda: no override
    return {"stream_failure_queue": STREAM_FAILURES.name, "poll_wait_seconds": 1, "failed_visibility_seconds": None,
            "max_stream_retries": 6, "checkpoints": None if broken else CheckpointStore(CHECKPOINTS),
            "starting_position": "LATEST" if broken else None, "queue_workers": 4, "parallelization_factor": 4}


CHECKPOINTS = "chaos-pump-checkpoints"


def pump_child(args) -> int:
    """``bench/chaos.py --pump-child``: the app's handlers in an event pump with every fault on,
    until SIGTERM or SIGKILL; writes its fault counts to ``--counts-file`` twice a second."""
    import app as app_module
    from localdev.pump import EventPump, run_until_signal

    faults = Faults(args.rate, args.seed)
    faults.install_botocore(os.environ["AWS_ENDPOINT_URL_DYNAMODB"], os.environ["AWS_ENDPOINT_URL_SQS"],
                            exempt=CHECKPOINTS.encode())
    faults.install_stripe()
    pump = EventPump(app_module.app, **pump_options(args.break_ == "checkpoints"))
    for source in [*pump.streams, *pump.queues]:
        source.handler = faults.wrap_handler(source.handler)
    counts = Path(args.counts_file)

    def report():
        while True:
            with faults.lock:
                text = json.dumps(dict(faults.count))
            counts.with_suffix(".tmp").write_text(text)
            os.replace(counts.with_suffix(".tmp"), counts)
            time.sleep(0.5)

    threading.Thread(target=report, daemon=True).start()
    faults.on = True
    run_until_signal(pump)
    return 0


class PumpKeeper:
    """Runs the pump child, SIGKILLs it at random moments and starts it again (after a random
    pause, so records are written while no pump runs)."""

    def __init__(self, args, logs: Path, env: dict):
        self.args, self.logs, self.env = args, logs, env
        self.rng = random.Random(args.seed + 1)
        self.kills = 0
        self.faults: Counter = Counter()
        self.proc = None
        self.n = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _spawn(self) -> None:
        self.n += 1
        self.counts = self.logs / f"pump-{self.n}.counts.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--pump-child", "--counts-file", str(self.counts),
               "--rate", str(self.args.rate), "--seed", str(self.args.seed + self.n)]
        if self.args.break_:
            cmd += ["--break", self.args.break_]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=open(self.logs / f"pump-{self.n}.log", "ab"),
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def _collect(self) -> None:
        try:
            self.faults.update(json.loads(self.counts.read_text()))
        except (OSError, ValueError):
            pass  # killed before its first report

    def _kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.kills += 1
        self._collect()

    def _run(self) -> None:
        self._spawn()
        low, high = self.args.kill_every
        while not self.stop.wait(self.rng.uniform(low, high)):
            if self.proc.poll() is not None:
                say(f"pump child {self.n} exited by itself ({self.proc.returncode}); see {self.logs}")
                self._collect()
            else:
                self._kill()
            if self.stop.wait(self.rng.uniform(0, 3)):  # down for a moment: writes go on
                return
            self._spawn()

    def start(self) -> None:
        self.thread.start()

    def finish(self) -> None:
        """Stop restarting and kill the last child too (the drain pump takes over from its positions)."""
        self.stop.set()
        self.thread.join()
        if self.proc is not None and self.proc.poll() is None:
            self._kill()


def queue_leftovers() -> dict:
    """What the work queue's dead-letter queue holds after the drain (not in the failure store),
    by kind, with an example."""
    from chalicelib.aws import client
    from chalicelib.queues import WORK

    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=WORK.dlq_name)["QueueUrl"]
    kinds: Counter = Counter()
    example = None
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=600,
                                  MessageAttributeNames=["All"], AttributeNames=["All"]).get("Messages", [])
        if not got:
            break
        for m in got:
            kind = (m.get("MessageAttributes", {}).get("kind") or {}).get("StringValue", "?")
            kinds[kind] += 1
            example = example or f"{kind} received {m['Attributes'].get('ApproximateReceiveCount')}x: {m['Body'][:160]}"
    return {"dead_lettered": sum(kinds.values()), "dead_lettered_kinds": dict(kinds), "example": example}


# ---------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bookings", type=int, default=200)
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument("--rate", type=float, default=0.03, help="base fault rate (DynamoDB calls)")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--refund-share", type=float, default=0.15, help="share of completed bookings ops refund")
    parser.add_argument("--refund-racers", type=int, default=2, help="concurrent refund calls per refunded booking")
    parser.add_argument("--refund-amount", type=int, default=2000)
    parser.add_argument("--kill-every", type=lambda v: tuple(float(x) for x in v.split(",")), default=(20.0, 60.0),
                        metavar="LOW,HIGH", help="seconds between SIGKILLs of the pump process (uniform; 20,60)")
    parser.add_argument("--break", dest="break_", choices=["checkpoints"], default=None,
                        help="on purpose: the pump keeps no stream checkpoints and restarts at LATEST")
    parser.add_argument("--pump-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--counts-file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.pump_child:
        return pump_child(args)

    from localdev.services import LocalServices

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the local services on the way out
    started = time.monotonic()
    logs = Path(tempfile.mkdtemp(prefix="chaos-logs-"))
    services = LocalServices(log_dir=logs, start_timeout=120)
    services.start()
    keeper = None
    try:
        os.environ.update(services.env())
        os.environ["CROWDFIX_TOKEN_SECRET"] = secrets.token_urlsafe(32)
        os.environ["CROWDFIX_STRIPE_SECRET_KEY"] = "sk_test_" + secrets.token_hex(12)
        os.environ["CROWDFIX_STRIPE_WEBHOOK_SECRET"] = "whsec_" + secrets.token_hex(16)
        os.environ.setdefault("CROWDFIX_STAGE", "local")
        os.environ.setdefault("LOG_LEVEL", "WARNING")
        from localdev.stripe_local import LOCAL_PUBLISHABLE_KEY
        os.environ.setdefault("CROWDFIX_STRIPE_PUBLISHABLE_KEY", LOCAL_PUBLISHABLE_KEY)
        from chalicelib.adapters.webpush import generate_vapid_private_key
        os.environ.setdefault("CROWDFIX_VAPID_PRIVATE_KEY", generate_vapid_private_key())
        from localdev.provision import provision
        from localdev.seed import seed
        provision(visibility_timeout=2)
        seed()
        import app as app_module
        from chalicelib.domain.actors import Actor
        from chalicelib.queues import STREAM_FAILURES
        from chalicelib.services.auth import ensure_customer
        from localdev.pump import EventPump

        faults = Faults(args.rate, args.seed)
        faults.install_botocore(services.dynamodb_url, services.moto_url, exempt=CHECKPOINTS.encode())
        faults.install_stripe()
        keeper = PumpKeeper(args, logs, {**os.environ, "PYTHONUNBUFFERED": "1"})
        keeper.start()
        customers = []
        for n in range(max(4, args.workers * 2)):
            c = ensure_customer("crowdfix", f"chaos{n}@example.org", name=f"Chaos {n}", language="de")
            customers.append(Actor("customer", c.customer_id, "crowdfix"))
        ops = Actor("ops", "s_chaosops", "*")
        world = World(args.seed)
        world.refund_share, world.refund_racers, world.refund_amount = (args.refund_share, args.refund_racers,
                                                                        args.refund_amount)

        say(f"stack up in {time.monotonic() - started:.0f} s; {args.bookings} bookings, {args.workers} at once, "
            f"fault rate {args.rate}; the pump is a process of its own, SIGKILLed every "
            f"{args.kill_every[0]:.0f}-{args.kill_every[1]:.0f} s" + (f"; BROKEN: {args.break_}" if args.break_ else ""))
        faults.on = True
        done = Counter()
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            futures = [pool.submit(journey, world, i, customers, ops) for i in range(args.bookings)]
            for n, f in enumerate(futures, 1):
                try:
                    f.result()
                    done["ok"] += 1
                except Exception as exc:  # noqa: BLE001 — a journey the faults broke for good
                    done["journey_error"] += 1
                    world.errors[f"journey:{type(exc).__name__}"] += 1
                if n % 20 == 0:
                    say(f"{n}/{args.bookings} journeys done ({dict(faults.count + keeper.faults)}, "
                        f"pump killed {keeper.kills}x)")
        faults.on = False
        keeper.finish()
        say(f"faults off, last pump killed ({keeper.kills} kills); draining with a fresh pump from the checkpoints ...")
        # The drain pump starts where the killed ones left off (their checkpoints); no faults.
        pump = EventPump(app_module.app, **pump_options(args.break_ == "checkpoints")).start()
        # offer time-outs of withdrawn offers stay delayed for minutes and change nothing: wait for
        # what is visible, then once more after the short delays (retried effect units: 1-2 s)
        drained = pump.wait_idle(timeout=240)
        time.sleep(5)
        drained = pump.wait_idle(timeout=120) and drained
        pump.stop()
        from chalicelib.aws import client
        sqs = client("sqs")
        url = sqs.get_queue_url(QueueName=STREAM_FAILURES.name)["QueueUrl"]
        given_up = []
        while True:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
            if not got:
                break
            given_up += [json.loads(m["Body"]) for m in got]
            for m in got:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        result = check(world, services, given_up, queue_leftovers())
        violations = sum(result["violations"].values())
        lost_or_doubled = sum(n for k, n in result["violations"].items() if k in LOST_OR_DOUBLED)
        all_faults = faults.count + keeper.faults
        all_faults["pump_killed"] = keeper.kills
        say(f"states {result['states']}; outcomes {dict(world.outcomes)}; errors {dict(world.errors)}")
        say(f"failure store {dict(result['failure_store'])}; examples {result['examples']}")
        print(json.dumps({"metric": "chaos_invariant_violations", "value": violations, "unit": "violations",
                          "goal": 0, "bookings": len(world.bookings), "journeys": dict(done),
                          "broken": args.break_, "pump_kills": keeper.kills,
                          "drained": drained, "faults": dict(all_faults), "violations": result["violations"],
                          "lost_or_doubled": lost_or_doubled, "lost_or_doubled_goal": 0,
                          "visible_in_failure_store": result["visible_in_failure_store"],
                          "failure_store": dict(result["failure_store"]), "states": result["states"],
                          "seconds": round(time.monotonic() - started)}))
        return 0
    finally:
        if keeper is not None:
            keeper.stop.set()
            if keeper.proc is not None and keeper.proc.poll() is None:
                os.killpg(keeper.proc.pid, signal.SIGKILL)
        services.stop()


LOST_OR_DOUBLED = ("completed_not_charged", "paid_out_twice", "email_sent_twice", "stream_records_given_up",
                   "stripe_not_captured", "never_dispatched", "dead_lettered")


if __name__ == "__main__":
    sys.exit(main())
