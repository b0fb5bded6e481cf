"""DynamoDB stream ARNs for event sources.

In AWS the deployment sets ``CROWDFIX_STREAM_ARN_<TABLE>`` (``infra/`` knows the real ARN).
Locally the ARN only names the table: the event pump resolves the live stream of that table on
DynamoDB Local.
"""
from __future__ import annotations

import os

from chalicelib.settings import get_settings


def stream_arn(short_table: str) -> str:
    env = f"CROWDFIX_STREAM_ARN_{short_table.upper().replace('-', '_')}"
    s = get_settings()
    return os.environ.get(env) or (
        f"arn:aws:dynamodb:{s.region}:000000000000:table/{s.table_name(short_table)}/stream/local")
