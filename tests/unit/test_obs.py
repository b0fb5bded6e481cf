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
    assert emf["UnitsFailed"] == [1.0] or emf["UnitsFailed"] == 1.0
    assert emf["kind"] == "effects" and emf["effect"] == "settle"
