"""Where the local stack keeps its state: ``.local/`` (git-ignored) and the running stack's
``run.json`` (its URLs and environment), read by the ``python -m localdev`` commands."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATE = ROOT / ".local"
# CROWDFIX_RUNFILE points the commands at another stack's file (the tests' stack, on free ports)
RUNFILE = Path(os.environ.get("CROWDFIX_RUNFILE") or STATE / "run.json")
