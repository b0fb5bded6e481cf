"""Shared fixtures. The local services start once per test session, only when a test asks for them."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # `pytest` (not `python -m pytest`) does not add the repo root
    sys.path.insert(0, str(REPO_ROOT))


@pytest.fixture(scope="session")
def local_services(tmp_path_factory):
    """DynamoDB Local, moto server and localstripe on loopback (a `localdev.services.LocalServices`),
    empty at session start; their logs are in a temporary directory (`.log_dir`)."""
    from localdev.services import LocalServices

    # A generous start timeout: the JVM can take half a minute on a busy CI machine.
    services = LocalServices(log_dir=tmp_path_factory.mktemp("local-service-logs"), start_timeout=120)
    services.start()
    yield services
    services.stop()


@pytest.fixture(scope="session")
def aws_env(local_services):
    """Puts `local_services.env()` into os.environ for the session (restored afterwards) and
    returns that dict. boto3 clients created after this point talk to the local services."""
    env = local_services.env()
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    yield env
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
