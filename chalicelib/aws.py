"""Lazily created AWS clients, one per service per container.

boto3 costs ~0.2 s to import, so nothing imports it until a client is first needed.
"""
from __future__ import annotations

import threading
from typing import Any

_clients: dict[str, Any] = {}
_lock = threading.Lock()


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


def reset_clients() -> None:
    """Forget cached clients (tests switch endpoints between runs)."""
    with _lock:
        _clients.clear()
