"""Fewer steps, measured: a first-time on-site booking and a returning customer's, driven in
Debian's Chromium (Playwright, 360 x 740) on the whole local stack, in German and French.

It runs tests/journey/test_paths.py (which starts the stack on free loopback ports) with
CROWDFIX_JOURNEY_REPORT set, so the very paths the tests check are the ones counted: screens seen,
taps besides typing (buttons, links, choices), field taps and keystrokes. Peer in the same run: the
first-time path when she chooses a helper herself instead of letting crowdfix choose.

Goals (issue 14): first time at most 6 screens and 12 taps; returning at most 4 screens.
Run: ``.venv/bin/python bench/journey.py``. The last stdout line is JSON.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    from tests.journey.paths import GOALS

    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "paths.jsonl"
        env = {**os.environ, "CROWDFIX_JOURNEY_REPORT": str(report)}
        run = subprocess.run([sys.executable, "-m", "pytest", "tests/journey/test_paths.py", "-p", "no:cacheprovider"],
                             cwd=ROOT, env=env, capture_output=True, text=True)
        rows = [json.loads(line) for line in report.read_text().splitlines()] if report.exists() else []
    if run.returncode != 0 or not rows:
        print(run.stdout[-4000:], run.stderr[-2000:], sep="\n")
        print(json.dumps({"metric": "booking_path_steps", "value": None, "unit": "screens/taps", "goal": GOALS,
                          "error": "the path test failed"}))
        return 1
    for r in rows:
        for path in ("first_time", "returning", "first_time_choosing_a_helper"):
            x = r[path]
            print(f"{r['lang']} {path:30s} screens {x['screens']:2d}  taps {x['taps']:2d}  field taps {x['field_taps']:2d}"
                  f"  keystrokes {x['keystrokes']:3d}   {' -> '.join(s.split(' | ')[1] for s in x['screen_list'])}")
    worst = {p: {k: max(r[p][k] for r in rows) for k in ("screens", "taps", "field_taps", "keystrokes")}
             for p in ("first_time", "returning", "first_time_choosing_a_helper")}
    met = (worst["first_time"]["screens"] <= GOALS["first_time"]["screens"]
           and worst["first_time"]["taps"] <= GOALS["first_time"]["taps"]
           and worst["returning"]["screens"] <= GOALS["returning"]["screens"])
    print(json.dumps({"metric": "booking_path_steps", "value": {"first_time": worst["first_time"],
                                                                   "returning": worst["returning"]},
                      "unit": "screens, taps besides typing, field taps, keystrokes (worst of de, fr)",
                      "goal": "first time <= 6 screens and <= 12 taps; returning <= 4 screens",
                      "peer": {"first_time_choosing_a_helper": worst["first_time_choosing_a_helper"]},
                      "met": met}))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
