"""Transactions reuse one pynamodb Connection per container.

A ``Connection(...)`` made per transaction builds a new botocore session and client on first use
(the DynamoDB service model is parsed from disk again, ~0.3 s): the bookings stream handler spent
half its time there before (bench/cost.py, on_booking_change median 4.1 s -> 1.3 s per batch)."""
from __future__ import annotations

import re
from pathlib import Path

from chalicelib import aws

ROOT = Path(__file__).resolve().parents[2]


def test_tx_connection_is_one_per_container_until_reset():
    aws.reset_clients()
    first = aws.tx_connection()
    assert aws.tx_connection() is first
    aws.reset_clients()
    assert aws.tx_connection() is not first


def test_no_transaction_builds_its_own_connection():
    offenders = []
    for path in (ROOT / "chalicelib").rglob("*.py"):
        text = path.read_text()
        if re.search(r"(?<![A-Za-z_])Connection\(", text) and path.name != "aws.py":
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == [], f"use chalicelib.aws.tx_connection() instead of Connection(...) in {offenders}"
