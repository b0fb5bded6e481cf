"""Secrets, from one place: the environment locally, SSM Parameter Store in AWS.

``get_secret("TOKEN_SECRET")`` reads ``CROWDFIX_TOKEN_SECRET`` (local: written by ``make dev`` into
``.local/``, never committed) or the SSM SecureString parameter named by ``CROWDFIX_TOKEN_SECRET_PARAM``
(AWS). There is no built-in default: a missing secret is a configuration error, not a silent
backdoor. ``infra/derive.py`` finds every ``get_secret("NAME")`` literal to grant its parameter and
``scripts/deploy_preflight.py`` checks each exists before a deploy.

Settings (``chalicelib.settings``) are read from the environment only; this module is the one that
reaches AWS for a value, so the import graph runs settings <- aws <- credentials, without a cycle.
"""
from __future__ import annotations

from chalicelib.settings import ConfigurationError

_cache: dict[str, str] = {}


def get_secret(name: str) -> str:
    """The secret ``name`` (read once per container)."""
    if name in _cache:
        return _cache[name]
    import os

    value = os.environ.get(f"CROWDFIX_{name}")
    if not value:
        param = os.environ.get(f"CROWDFIX_{name}_PARAM")
        if not param:
            raise ConfigurationError(
                f"secret {name} is not configured: set CROWDFIX_{name} or CROWDFIX_{name}_PARAM")
        from chalicelib.aws import client

        value = client("ssm").get_parameter(Name=param, WithDecryption=True)["Parameter"]["Value"]
    _cache[name] = value
    return value


def forget(*names: str) -> None:
    """Drop cached secrets (all when no name is given): tests that rotate a secret."""
    for n in names or list(_cache):
        _cache.pop(n, None)
