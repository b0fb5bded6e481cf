"""The payments capability must not slow every cold start: importing the app never imports stripe."""
import subprocess
import sys
from pathlib import Path


def test_import_app_does_not_import_stripe():
    code = "import sys, app; assert 'stripe' not in sys.modules, 'stripe imported at app import'; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2],
                         capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "eu-central-1"})
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
