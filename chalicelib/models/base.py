"""Shared model configuration: table names from settings, region from the environment, endpoint
from ``AWS_ENDPOINT_URL_DYNAMODB`` (botocore reads it), on-demand billing."""
from __future__ import annotations

from pynamodb.models import Model

from chalicelib.domain.ids import new_id, now_iso  # noqa: F401 — re-exported for the models' users

from chalicelib.aws import CONNECT_TIMEOUT_SECONDS, MAX_ATTEMPTS, READ_TIMEOUT_SECONDS
from chalicelib.settings import get_settings


def table_name(short: str) -> str:
    return get_settings().table_name(short)


class BaseMeta:
    region = get_settings().region
    billing_mode = "PAY_PER_REQUEST"
    # no host: botocore resolves AWS_ENDPOINT_URL_DYNAMODB itself when the client is first made,
    # so the same code talks to DynamoDB Local or to AWS
    # worst case 3 x (2 + 5) s + back-off, below the API's 28 s (chalicelib/aws.py, tests/infra)
    connect_timeout_seconds = CONNECT_TIMEOUT_SECONDS
    read_timeout_seconds = READ_TIMEOUT_SECONDS
    max_retry_attempts = MAX_ATTEMPTS - 1  # pynamodb counts retries, not tries


def hydrate(model: type[Model], keys: list) -> list:
    """Full items for keys read from a keys-only index, in the index's order (BatchGetItem, 100
    keys per request; pynamodb retries unprocessed keys). Keys whose item is gone are skipped.
    ``keys``: hash keys, or ``(hash, range)`` tuples for tables with a range key."""
    if not keys:
        return []
    range_name = next((n for n, a in model.get_attributes().items() if a.is_range_key), None)
    hash_name = next(n for n, a in model.get_attributes().items() if a.is_hash_key)

    def key_of(item):
        return (getattr(item, hash_name), getattr(item, range_name)) if range_name else getattr(item, hash_name)

    found = {key_of(item): item for item in model.batch_get(list(dict.fromkeys(keys)))}
    return [found[k] for k in keys if k in found]


__all__ = ["Model", "BaseMeta", "table_name", "now_iso", "new_id", "hydrate"]
