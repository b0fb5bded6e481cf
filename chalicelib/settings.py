"""Typed settings, parsed once per container from the environment (and only from it: secrets come
from ``chalicelib.credentials``, which may ask SSM).

The same code runs locally and in AWS: endpoints come from the standard
``AWS_ENDPOINT_URL_<SERVICE>`` variables that botocore reads itself, so business code never
branches on the stage.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass


class ConfigurationError(RuntimeError):
    """A required setting is missing; the message says which and how to set it."""


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    resource_prefix: str
    default_tenant: str
    mail_from: str
    token_ttl_seconds: int
    public_base_url: str
    log_level: str = "INFO"  # LOG_LEVEL (the stage config sets it)

    def table_name(self, short: str) -> str:
        return f"{self.resource_prefix}-{short}"

    def queue_name(self, short: str) -> str:
        return f"{self.resource_prefix}-{short}"


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    stage = os.environ.get("CROWDFIX_STAGE", "local")
    return Settings(
        stage=stage,
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-central-1",
        resource_prefix=os.environ.get("CROWDFIX_RESOURCE_PREFIX", f"crowdfix-{stage}"),
        default_tenant=os.environ.get("CROWDFIX_DEFAULT_TENANT", "crowdfix"),
        mail_from=os.environ.get("CROWDFIX_MAIL_FROM", "hello@crowdfix.local"),
        token_ttl_seconds=int(os.environ.get("CROWDFIX_TOKEN_TTL_SECONDS", str(7 * 24 * 3600))),
        public_base_url=os.environ.get("CROWDFIX_PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
        log_level=(os.environ.get("LOG_LEVEL") or "INFO").upper(),
    )
