"""schemathesis against the served OpenAPI document on the local stack: the API runs as
``chalice local`` (a subprocess on a free loopback port, same local services); schemathesis' CLI
generates requests for every operation (with a partner API key) and checks: no 5xx, documented
status codes and content types, responses matching their schemas.

Three passes, one per kind of caller (partner key + ops token, customer token, helper token), so
each role's routes are fuzzed past their auth check. ``make test`` runs CROWDFIX_FUZZ_EXAMPLES=4
per operation and pass (>= 200 requests); ``make fuzz-api`` runs the full load (>= 1,000 requests,
counted from the API's own access log). Told as given / when / then."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.partner_fixtures import new_partner
from tests.stack_fixtures import chalice_local

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def served_api(stack, tmp_path):
    with chalice_local(tmp_path / "chalice-local.log") as served:
        yield served


@pytest.mark.timeout(1800)  # make fuzz-api sends >= 1,000 requests; pytest.ini's 300 s is too short
def test_schemathesis_finds_no_server_errors_and_responses_match_the_schema(served_api, api, signin, tmp_path):
    examples = int(os.environ.get("CROWDFIX_FUZZ_EXAMPLES", "4"))
    minimum = int(os.environ.get("CROWDFIX_FUZZ_MIN_REQUESTS", "200"))
    # given the API served by chalice local, a partner whose key is not rate limited, and
    # one pass per kind of caller, so the routes behind each role are fuzzed past their auth check:
    p = new_partner(api, signin, rate_limit={"requests_per_second": 1000, "burst": 10000})
    # One pass per kind of caller, so the routes behind each role are fuzzed past their auth check:
    # a partner key together with an ops token (partner and back-office routes), a customer, a helper.
    # The helper is a fresh one, verified but not active, so what the fuzzer writes to its profile
    # never reaches dispatch in other tests.
    helper_email = _fresh_helper()
    creds = {
        "partner+ops": {"X-Api-Key": p["key"], **signin("ops@crowdfix.local", "ops")},
        "customer": signin(),
        "helper": signin(helper_email, "helper"),
    }
    passes = {name: {k: v for k, v in h.items() if not k.startswith("_")} for name, h in creds.items()}
    # when schemathesis generates requests for every operation, once per kind of caller
    before = _requests_logged(served_api["log"])
    per_pass, failed = {}, []
    for name, headers in passes.items():
        start = _requests_logged(served_api["log"])
        cmd = [str(Path(sys.executable).parent / "st"), "--no-color", "run",
               served_api["base"] + "/v1/openapi.json", "--url", served_api["base"],
               "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
                           "response_schema_conformance",
               "--max-examples", str(examples), "--phases", "examples,fuzzing", "--seed", "66",
               "--report", "junit", "--report-junit-path", str(tmp_path / f"schemathesis-{name}.xml")]
        for key, value in headers.items():
            cmd += ["--header", f"{key}: {value}"]
        run = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=1800)
        per_pass[name] = _requests_logged(served_api["log"]) - start
        print(f"--- schemathesis as {name}: {per_pass[name]} requests\n" + run.stdout[-2500:])
        if run.returncode != 0:
            failed.append(f"[{name}] " + run.stdout[-6000:] + run.stderr[-2000:])
    # then the API's own access log shows no 5xx, every check passed, and enough requests were sent
    sent = _requests_logged(served_api["log"]) - before
    server_errors = _server_errors(served_api["log"])
    print(f"schemathesis requests served by the API: {sent} {per_pass}")
    assert server_errors == [], server_errors[:10]
    assert not failed, "\n".join(failed)
    assert sent >= minimum, f"only {sent} requests were generated"


# ---- given / then helpers --------------------------------------------------------------------------

def _fresh_helper() -> str:
    import uuid

    from chalicelib.models.base import now_iso
    from chalicelib.models.helpers import Helper
    hid = "h_fuzz" + uuid.uuid4().hex[:10]
    email = f"{hid}@example.org"
    Helper(helper_id=hid, tenant_id="crowdfix", email=email, email_key=f"crowdfix#{email}", name="Fuzz Helper",
           first_name="Fuzz", skills={"printer": 2}, lat=47.36, lon=8.59, city="Zürich", service_radius_km=10,
           hourly_rate=6000, languages=["de"], status="verified", tenant_status="crowdfix#verified",
           created_at=now_iso()).save()
    return email


def _lines(log: Path) -> list[str]:
    return [line for line in log.read_text(errors="replace").splitlines() if re.search(r'"[A-Z]+ /\S* HTTP/1\.[01]" \d{3}', line)]


def _requests_logged(log: Path) -> int:
    return len(_lines(log))


def _server_errors(log: Path) -> list[str]:
    return [line for line in _lines(log) if re.search(r'HTTP/1\.[01]" 5\d\d', line)
            and not line.split('"')[1].startswith(("TRACE ", "CONNECT "))]  # chalice local's own 501s
