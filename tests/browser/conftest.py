"""Browser test fixtures: the whole local stack (local services, tables, demo data, `chalice local`,
the event pump, the web server) and Debian's Chromium driven by Playwright.

Screenshots go to test-artifacts/browser/ (git-ignored); axe-core is injected from web/node_modules.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except Exception:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer in {timeout}s")


# tests/journey/ uses these fixtures too (its conftest imports them): one web server and one
# browser per test run, whichever directory asks first, so two Playwright drivers never meet.
_SHARED: dict = {}


@pytest.fixture(scope="session")
def web(stack, pump, tmp_path_factory):
    """Base URL of the web app, served by localdev/webserver.py in front of `chalice local`."""
    if "web" in _SHARED:
        yield _SHARED["web"]
        return
    if not (ROOT / "web" / "dist" / "index.html").exists():
        pytest.fail("web/dist is missing: run `bash scripts/bootstrap.sh` (it builds the web app)")
    api_port, web_port = _free_port(), _free_port()
    logs = tmp_path_factory.mktemp("browser-stack-logs")
    api = subprocess.Popen([sys.executable, "-m", "localdev.chalice_local", "--stage", "local",
                            "--host", "127.0.0.1", "--port", str(api_port)], cwd=ROOT, env=dict(os.environ),
                           stdout=open(logs / "api.log", "ab"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait(f"http://127.0.0.1:{api_port}/v1/health", api)
        from localdev.webserver import serve
        server = serve(web_port, f"http://127.0.0.1:{api_port}", ROOT / "web" / "dist")
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        _SHARED["web"] = {"url": f"http://127.0.0.1:{web_port}", "api": f"http://127.0.0.1:{api_port}",
                          "services": stack["services"]}
        yield _SHARED["web"]
        _SHARED.pop("web", None)
        server.shutdown()
    finally:
        os.killpg(api.pid, signal.SIGTERM)
        try:
            api.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(api.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's Chromium is missing: run `bash scripts/bootstrap.sh` (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    # Generous waits: this is a shared 2-core machine; nothing here asserts on speed.
    expect.set_options(timeout=45_000)

    if "browser" in _SHARED:
        yield _SHARED["browser"]
        return
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        _SHARED["browser"] = b
        yield b
        _SHARED.pop("browser", None)
        b.close()


@pytest.fixture()
def new_context(browser, web):
    contexts = []

    def _make(**kw):
        opts = {"viewport": {"width": 412, "height": 900}, "locale": "en-GB", **kw}
        ctx = browser.new_context(base_url=web["url"], **opts)
        ctx.set_default_timeout(45_000)
        contexts.append(ctx)
        return ctx

    yield _make
    for ctx in contexts:
        ctx.close()


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page) -> list[dict]:
    """Serious or critical axe-core violations on the page as it is now (WCAG 2.x A/AA + best practice)."""
    if not page.evaluate("() => !!window.axe"):
        # through DevTools, not a <script> tag: the app's CSP (rightly) blocks inline scripts
        page.evaluate("(src) => { (0, eval)(src); }", AXE.read_text())
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    return [v for v in result if v["impact"] in ("serious", "critical")]


def assert_accessible(page, name: str) -> None:
    shot(page, name)
    bad = axe_violations(page)
    assert not bad, f"axe on {name}: " + json.dumps(bad, indent=1)


def email_code(services, email: str, timeout: float = 20) -> str:
    """The newest sign-in code e-mailed to ``email`` (read back from moto's SES)."""
    from localdev.services import read_sent_emails
    deadline = time.time() + timeout
    while time.time() < deadline:
        for msg in reversed(read_sent_emails(services.moto_url)):
            if email in json.dumps(msg):
                m = re.search(r"\b(\d{6})\b", json.dumps(msg.get("subject", "")) + json.dumps(msg.get("body", "")))
                if m:
                    return m.group(1)
        time.sleep(0.3)
    raise AssertionError(f"no sign-in code was e-mailed to {email}")


def make_helper(**over) -> dict:
    """A fresh active, on-call helper of the demo tenant at Zürich-Witikon (8053), printer specialist."""
    from chalicelib.models.base import now_iso
    from chalicelib.models.helpers import Helper

    hid = "h_web" + uuid.uuid4().hex[:10]
    email = f"{hid}@example.org"
    row = dict(helper_id=hid, tenant_id="crowdfix", email=email, email_key=f"crowdfix#{email}", name="Petra Web",
               first_name="Petra", skills={"printer": 3, "computer": 2}, qualifications=["printer level 3"],
               lat=47.36, lon=8.59, city="Zürich", service_radius_km=10, hourly_rate=6000,
               languages=["de", "en"], remote=True, on_call=True, status="active", tenant_status="crowdfix#active",
               created_at=now_iso())
    row.update(over)
    Helper(**row).save()
    return row
