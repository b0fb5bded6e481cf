"""``python -m localdev up`` — the whole platform on this machine (what ``make dev`` runs).

Starts DynamoDB Local, moto server (SQS, SNS, SES) and localstripe on loopback, creates tables and
queues, seeds demo data, then runs the API (``chalice local``) and the event pump until Ctrl-C, and
stops every process it started.

``python -m localdev outbox`` prints the e-mails the running stack has sent (sign-in codes).
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from localdev.paths import ROOT, RUNFILE, STATE


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def available(port: int) -> int:
    """``port`` if it is free on loopback, else a free one (the URLs printed say which)."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            say(f"port {port} is busy; using another one")
            return free_port()


def local_secret() -> str:
    """A per-machine random signing secret, kept in .local/ (git-ignored), never in the repo."""
    path = STATE / "token-secret"
    if not path.exists():
        STATE.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def local_vapid_key() -> str:
    """A per-machine VAPID private key for Web Push, kept in .local/ (git-ignored), never in the repo."""
    path = STATE / "vapid-private-key"
    if not path.exists():
        from chalicelib.adapters.webpush import generate_vapid_private_key
        STATE.mkdir(exist_ok=True)
        path.write_text(generate_vapid_private_key())
        path.chmod(0o600)
    return path.read_text().strip()


def wait_http(url: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}; see .local/logs")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except Exception:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s; see .local/logs")


def say(msg: str) -> None:
    print(f"\033[1m[crowdfix]\033[0m {msg}", flush=True)


def up(api_port: int, web_port: int) -> int:
    from localdev.services import LocalServices

    logs = STATE / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    services = LocalServices(log_dir=str(logs), start_timeout=120)
    api_port, web_port = available(api_port), available(web_port)
    procs: list[subprocess.Popen] = []

    def stop_on(signum, _frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    # Ctrl-C, a closed terminal (SIGHUP) and `kill`/`timeout` (SIGTERM) all stop everything it started:
    # the services run in their own sessions, so without this a TERM left them running, orphaned.
    # SIGINT too, explicitly: a shell starts background jobs with SIGINT ignored.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop_on)
    try:
        say("starting DynamoDB Local, moto server and localstripe ...")
        services.start()
        from localdev.stripe_local import local_stripe_env, register_webhook
        env = {**os.environ, **services.env(), **local_stripe_env(STATE), "CROWDFIX_TOKEN_SECRET": local_secret(),
               "CROWDFIX_VAPID_PRIVATE_KEY": local_vapid_key(),
               "CROWDFIX_PUBLIC_BASE_URL": f"http://127.0.0.1:{web_port}", "PYTHONUNBUFFERED": "1"}
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        say("creating tables and queues, seeding demo data ...")
        from localdev.provision import provision
        from localdev.seed import seed
        provision()
        seeded = seed()
        say(f"seeded {seeded['helpers']} helpers around Zürich and München")

        say("starting the API (chalice local) and the event pump ...")
        # chalice local --no-autoreload, with API Gateway's greedy {proxy+} match (see chalice_local.py)
        api = subprocess.Popen([sys.executable, "-m", "localdev.chalice_local",
                                "--stage", "local", "--host", "127.0.0.1", "--port", str(api_port)],
                               cwd=ROOT, env=env, stdout=open(logs / "api.log", "ab"), stderr=subprocess.STDOUT,
                               start_new_session=True)
        procs.append(api)
        pump = subprocess.Popen([sys.executable, "-m", "localdev.pump"], cwd=ROOT, env=env,
                                stdout=open(logs / "pump.log", "ab"), stderr=subprocess.STDOUT,
                                start_new_session=True)
        procs.append(pump)
        wait_http(f"http://127.0.0.1:{api_port}/v1/health", proc=api)
        # localstripe signs and sends its events (and the Connect stand-in's) to the webhook endpoint
        register_webhook(services.stripe_url, f"http://127.0.0.1:{api_port}/v1/stripe/webhook",
                         env["CROWDFIX_STRIPE_WEBHOOK_SECRET"])
        for extra in _extra_processes(env, api_port, web_port, logs):
            procs.append(extra)
        push_port = free_port()  # the stand-in push service (Web Push endpoints of local browsers)
        procs.append(subprocess.Popen([sys.executable, "-m", "localdev.pushserver", "--port", str(push_port)],
                                      cwd=ROOT, env=env, stdout=open(logs / "push.log", "ab"),
                                      stderr=subprocess.STDOUT, start_new_session=True))

        urls = {"api": f"http://127.0.0.1:{api_port}", **services.urls(), "push": f"http://127.0.0.1:{push_port}"}
        if (ROOT / "web").exists():
            urls["web"] = f"http://127.0.0.1:{web_port}"
        RUNFILE.write_text(json.dumps({"urls": urls, "env": services.env()}, indent=2))
        say("ready. URLs:")
        for name, url in urls.items():
            print(f"    {name:12s} {url}")
        print(f"\n    Demo customer: {seeded['customer']}   demo helper: {seeded['helper']}   ops: {seeded['ops']}"
              "\n    Sign-in codes are e-mailed; read them with:  .venv/bin/python -m localdev outbox"
              f"\n    Logs: {logs}\n    Press Ctrl-C to stop everything.\n", flush=True)

        stop = {"now": False}
        signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
        while not stop["now"]:
            for p in procs:
                if p.poll() is not None:
                    say(f"a process exited unexpectedly ({p.args[0]}); stopping. See {logs}")
                    return 1
            time.sleep(0.5)
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        say("stopping ...")
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        services.stop()
        RUNFILE.unlink(missing_ok=True)
        say("stopped.")


def _extra_processes(env, api_port, web_port, logs):
    """The web app server, once the SPA exists (``web/``)."""
    server = ROOT / "localdev" / "webserver.py"
    if (ROOT / "web").exists() and server.exists():
        yield subprocess.Popen([sys.executable, str(server), "--port", str(web_port), "--api",
                                f"http://127.0.0.1:{api_port}"], cwd=ROOT, env=env,
                               stdout=open(logs / "web.log", "ab"), stderr=subprocess.STDOUT, start_new_session=True)


def outbox() -> int:
    if not RUNFILE.exists():
        print("the local stack is not running: start it with `make dev`")
        return 1
    from localdev.services import read_sent_emails
    run = json.loads(RUNFILE.read_text())
    for msg in read_sent_emails(run["urls"]["moto"]):
        print(json.dumps(msg, ensure_ascii=False, indent=2))
    from localdev.outbox import print_sms_and_push
    print_sms_and_push(run["urls"])
    return 0


def failures(replay: str | None, status: str) -> int:
    """The failure store of the running local stack: list what failed, or replay one unit."""
    if not RUNFILE.exists():
        print("the local stack is not running: start it with `make dev`")
        return 1
    run = json.loads(RUNFILE.read_text())
    os.environ.update(run["env"])
    from chalicelib.domain.errors import DomainError
    from chalicelib.services import failures as svc
    try:
        if replay:
            f = svc.replay(None, replay)
            print(f"replayed {f.failure_id} ({f.unit}): the work queue has it again")
            return 0
        rows = svc.list_failures(None, status, limit=200)
    except DomainError as exc:
        print(f"error: {exc}")
        return 1
    if not rows:
        print(f"no {status} failures")
    for f in rows:
        print(f"{f.failure_id}  {f.last_failed_at}  {f.unit}  tries={int(f.attempts)}  {f.error}")
    if rows and status == "open":
        print("\nreplay one with:  .venv/bin/python -m localdev failures --replay <failure_id>")
    return 0


def erase(subject_type: str, subject_id: str) -> int:
    """Erase a customer's or helper's personal data on the running local stack (services/erasure.py)."""
    if not RUNFILE.exists():
        print("the local stack is not running: start it with `make dev`")
        return 1
    os.environ.update(json.loads(RUNFILE.read_text())["env"])
    from chalicelib.domain.errors import DomainError
    from chalicelib.services.erasure import erase as erase_subject
    try:
        print(json.dumps(erase_subject(None, subject_type, subject_id), indent=2))
    except DomainError as exc:
        print(f"error: {exc}")
        return 1
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localdev")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_up = sub.add_parser("up", help="run the whole platform locally")
    p_up.add_argument("--api-port", type=int, default=int(os.environ.get("CROWDFIX_API_PORT", 8000)))
    p_up.add_argument("--web-port", type=int, default=int(os.environ.get("CROWDFIX_WEB_PORT", 8080)))
    sub.add_parser("outbox", help="show e-mails, SMS and push messages sent by the running local stack")
    p_fail = sub.add_parser("failures", help="list the failure store (work that used up its retries), or replay one")
    p_fail.add_argument("--replay", metavar="FAILURE_ID", help="send this failed unit to the work queue again")
    p_fail.add_argument("--status", default="open", choices=["open", "replayed", "resolved"])
    p_erase = sub.add_parser("erase", help="erase a customer's or helper's personal data (ledger kept)")
    p_erase.add_argument("subject_type", choices=["customer", "helper"])
    p_erase.add_argument("subject_id")
    args = parser.parse_args(argv)
    if args.cmd == "erase":
        return erase(args.subject_type, args.subject_id)
    if args.cmd == "up":
        return up(args.api_port, args.web_port)
    if args.cmd == "failures":
        return failures(args.replay, args.status)
    return outbox()


if __name__ == "__main__":
    sys.exit(main())
