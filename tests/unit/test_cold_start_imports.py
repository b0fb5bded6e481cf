"""Cold start is what a customer feels at night: `import app` registers routes and nothing heavy.

Handlers import their services, pydantic schemas and AWS clients inside the route functions, so a
request pays only for what it uses (a booking read never loads pydantic). These checks fail as soon
as someone adds a heavy top-level import to a module `app.py` reaches.
"""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ["stripe", "pydantic", "pynamodb", "botocore", "boto3", "h3", "aws_lambda_powertools", "pywebpush"]


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
                         cwd=ROOT, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "eu-central-1"})
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_import_app_loads_no_heavy_library():
    loaded = _modules_after("import app")
    assert not [m for m in HEAVY if m in loaded]
    assert not [m for m in loaded if m.startswith("chalicelib.services")], "services load on first use"


def test_booking_read_path_does_not_load_pydantic():
    # what GET /v1/bookings/{id} imports: the bookings service, views and token checks
    loaded = _modules_after("import app, chalicelib.services.bookings, chalicelib.services.views, "
                            "chalicelib.http.edge, chalicelib.http.cursors")
    assert "pydantic" not in loaded and "stripe" not in loaded


def test_a_record_loads_only_its_own_aggregates_module():
    # a frozen dataclass costs ~1 ms to create: reading a customer must not create the other 27 records
    loaded = _modules_after("from chalicelib.store.records import CustomerRecord, replace")
    records = {m for m in loaded if m.startswith("chalicelib.store.records.")}
    assert records == {"chalicelib.store.records.people"}


def test_every_record_name_resolves():
    loaded = _modules_after("import chalicelib.store.records as r\n"
                            "missing = [n for n in r.__all__ if not hasattr(r, n)]\nassert not missing, missing")
    assert "chalicelib.store.records.payments" in loaded
