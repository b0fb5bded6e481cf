"""A pump process for tests/integration/test_pump.py's kill test: a one-stream app whose handler
writes every key it is given to a log file (one line each) and never returns on a key starting
with ``$PUMP_CHILD_HANG`` (so the test can SIGKILL the process inside an invocation).

    PUMP_CHILD_STREAM_ARN=... PUMP_CHILD_LOG=... PUMP_CHILD_CHECKPOINTS=table python tests/integration/pump_child.py
"""
from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from chalice import Chalice  # noqa: E402

from localdev.pump import CheckpointStore, EventPump, run_until_signal  # noqa: E402

LOG = Path(os.environ["PUMP_CHILD_LOG"])
HANG = os.environ.get("PUMP_CHILD_HANG") or None
app = Chalice("pumpchild")


def note(line: str) -> None:
    with LOG.open("a") as log:
        log.write(line + "\n")


@app.on_dynamodb_record(stream_arn=os.environ["PUMP_CHILD_STREAM_ARN"], batch_size=3, starting_position="LATEST")
def on_item(event):
    for record in event:
        key = record.new_image["pk"]["S"] if record.new_image else record.keys["pk"]["S"]
        note(f"record {key}")
        if HANG and key.startswith(HANG):
            threading.Event().wait()  # never returns: killed in here


class _Ready(EventPump):
    def start(self):
        started = super().start()
        note("ready")
        return started


if __name__ == "__main__":
    run_until_signal(_Ready(app, checkpoints=CheckpointStore(os.environ["PUMP_CHILD_CHECKPOINTS"])))
