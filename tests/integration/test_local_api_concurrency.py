"""Two people at once on `make dev`'s API: each request is answered for its own caller.

``chalice local`` serves every request in a thread of its own, while Chalice keeps the request being
handled in one attribute of the app (``app.current_request``): one request at a time per container
in Lambda, many at once locally. Chalice's ``LocalChalice`` keeps that attribute per thread; this
guards it (and our ``{proxy+}`` patch of the local server) by firing four signed-in callers at the
real local server at once: none may be answered with another's identity (given / when / then)."""
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def local_api(stack):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "localdev.chalice_local", "--stage", "local", "--host", "127.0.0.1",
                             "--port", str(port)], cwd=ROOT, env=dict(os.environ), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/v1/health", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        else:
            raise AssertionError("chalice local did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_concurrent_callers_each_get_their_own_answer(local_api):
    from chalicelib.domain import tokens
    from chalicelib.credentials import get_secret

    # given four customers signed in to the real local server
    secret = get_secret("TOKEN_SECRET")
    callers = {f"c_concurrency{n:02d}": tokens.issue(secret, role="customer", subject=f"c_concurrency{n:02d}",
                                                      tenant="crowdfix", ttl_seconds=600) for n in range(4)}
    mixed: list[tuple[str, str]] = []
    barrier = threading.Barrier(len(callers))

    def caller(cid, token):
        session = requests.Session()
        barrier.wait()
        for _ in range(40):
            body = session.get(f"{local_api}/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
            if body.get("id") != cid:
                mixed.append((cid, body.get("id")))
    # when they each ask "who am I" 40 times, all at once
    threads = [threading.Thread(target=caller, args=item) for item in callers.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then nobody was ever answered with another's identity
    assert mixed == [], f"answered as someone else (caller, answered as): {mixed[:5]}"
