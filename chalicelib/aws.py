"""Lazily created AWS clients, one per service per container.

boto3 costs ~0.2 s to import, so nothing imports it until a client is first needed.
"""
from __future__ import annotations

import threading
from typing import Any

_clients: dict[str, Any] = {}
_lock = threading.Lock()
_tx_connection: Any = None


def client(service: str) -> Any:
    c = _clients.get(service)
    if c is None:
        with _lock:
            c = _clients.get(service)
            if c is None:
                import boto3
                from botocore.config import Config

                from chalicelib.settings import get_settings

                c = boto3.session.Session().client(
                    service, region_name=get_settings().region,
                    config=Config(retries={"max_attempts": 4, "mode": "standard"}))
                _clients[service] = c
    return c


def tx_connection() -> Any:
    """One pynamodb ``Connection`` per container for ``TransactWrite``/``TransactGet``.

    A fresh ``Connection`` makes a fresh botocore session and client on first use, which loads the
    DynamoDB service model from disk again: ~0.3 s per transaction. Models keep their connection
    per class; transactions used to pay that on every call."""
    global _tx_connection
    c = _tx_connection
    if c is None:
        with _lock:
            c = _tx_connection
            if c is None:
                from pynamodb.connection import Connection

                from chalicelib.models.base import BaseMeta

                c = _tx_connection = Connection(
                    region=BaseMeta.region, connect_timeout_seconds=BaseMeta.connect_timeout_seconds,
                    read_timeout_seconds=BaseMeta.read_timeout_seconds,
                    max_retry_attempts=BaseMeta.max_retry_attempts)
    return c


def reset_clients() -> None:
    """Forget cached clients (tests switch endpoints between runs)."""
    global _tx_connection
    with _lock:
        _clients.clear()
        _tx_connection = None
