"""Logs an operator can read: one JSON object per line with the unit of work's ids, the level
from settings; metrics as CloudWatch EMF. Run in fresh interpreters (logging is per process)."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import logging
from chalicelib import obs
obs.setup()
log = logging.getLogger("chalicelib.services.payments")
with obs.context(booking_id="b_abc123", record_id="rec-1", effect="settle"):
    log.info("settle %s: %s", "b_abc123", "settled")
    with obs.context(request_id="req-9"):
        log.warning("inner")
log.info("outside")
logging.getLogger("crowdfix").error("from the app logger Chalice silences")
obs.metric("UnitsFailed", 1, kind="effects", effect="settle")
"""


def _run(level: str) -> list[dict]:
    out = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "eu-central-1", "LOG_LEVEL": level})
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def test_every_line_is_json_with_the_ids_of_its_unit_of_work():
    lines = _run("INFO")
    logs = [x for x in lines if "message" in x]
    settle, inner, outside, app_line = logs
    assert settle["message"] == "settle b_abc123: settled" and settle["level"] == "INFO"
    assert (settle["booking_id"], settle["record_id"], settle["effect"]) == ("b_abc123", "rec-1", "settle")
    assert inner["request_id"] == "req-9" and inner["booking_id"] == "b_abc123"
    assert "booking_id" not in outside and outside["service"] == "crowdfix"
    assert app_line["level"] == "ERROR"


def test_the_level_comes_from_settings():
    messages = [x.get("message") for x in _run("WARNING")]
    assert "inner" in messages and "outside" not in messages


def test_metrics_are_embedded_metric_format_lines():
    [emf] = [x for x in _run("INFO") if "_aws" in x]
    metric = emf["_aws"]["CloudWatchMetrics"][0]
    assert metric["Namespace"] == "crowdfix" and metric["Metrics"][0]["Name"] == "UnitsFailed"
    assert metric["Dimensions"] == [[]]  # dimensionless: the failure-store alarm watches it whole
    assert emf["UnitsFailed"] == [1.0] or emf["UnitsFailed"] == 1.0
    assert emf["kind"] == "effects" and emf["effect"] == "settle"


def test_setting_up_logs_imports_powertools_only_when_a_line_is_logged():
    code = ("import sys, logging\nfrom chalicelib import obs\nobs.setup()\n"
            "before = any(m.startswith('aws_lambda_powertools') for m in sys.modules)\n"
            "logging.getLogger('chalicelib.x').warning('now')\n"
            "after = any(m.startswith('aws_lambda_powertools') for m in sys.modules)\n"
            "print(before, after)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "eu-central-1"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False True"
