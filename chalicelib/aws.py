"""Lazily created AWS clients, one per service per container.

boto3 costs ~0.2 s to import, so nothing imports it until a client is first needed.

Time budget: botocore's defaults (60 s to connect, 60 s to read) outlast every function (the API's
is 28 s, below API Gateway's 29 s). One call costs at most ``MAX_ATTEMPTS`` x (connect + read)
plus the back-off between tries (standard mode: at most 1 s, then 2 s): 24 s here, and the same
for DynamoDB through pynamodb (``models.base.BaseMeta`` reads these numbers; this module imports no
model). tests/infra checks both against the functions' timeouts.
"""
from __future__ import annotations

import threading
from typing import Any

_clients: dict[str, Any] = {}
_lock = threading.Lock()
_tx_connection: Any = None

CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 5
MAX_ATTEMPTS = 3  # tries in all (the first and two retries)
RETRY_BACKOFF_SECONDS = 3  # standard mode's upper bound over two retries (1 s + 2 s)


def worst_case_call_seconds(connect: float = CONNECT_TIMEOUT_SECONDS, read: float = READ_TIMEOUT_SECONDS,
                            attempts: int = MAX_ATTEMPTS) -> float:
    """The longest one AWS call can take before it raises."""
    return attempts * (connect + read) + RETRY_BACKOFF_SECONDS * (attempts > 1)


def client_config() -> Any:
    from botocore.config import Config

    return Config(connect_timeout=CONNECT_TIMEOUT_SECONDS, read_timeout=READ_TIMEOUT_SECONDS,
                  retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"})


def client(service: str) -> Any:
    c = _clients.get(service)
    if c is None:
        with _lock:
            c = _clients.get(service)
            if c is None:
                import boto3

                from chalicelib.settings import get_settings

                c = boto3.session.Session().client(service, region_name=get_settings().region,
                                                   config=client_config())
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

                from chalicelib.settings import get_settings

                c = _tx_connection = Connection(
                    region=get_settings().region, connect_timeout_seconds=CONNECT_TIMEOUT_SECONDS,
                    read_timeout_seconds=READ_TIMEOUT_SECONDS, max_retry_attempts=MAX_ATTEMPTS - 1)
    return c


def reset_clients() -> None:
    """Forget cached clients (tests switch endpoints between runs)."""
    global _tx_connection
    with _lock:
        _clients.clear()
        _tx_connection = None
