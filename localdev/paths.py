"""Where the local stack keeps its state: ``.local/`` (git-ignored) and the running stack's
``run.json`` (its URLs and environment), read by the ``python -m localdev`` commands."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATE = ROOT / ".local"
RUNFILE = STATE / "run.json"
