"""Helper photos in S3 (locally moto server's S3): store one object, hand out a presigned GET URL.

The bucket is private; nobody reads it but through a URL this module signed, valid
``domain.photos.URL_SECONDS``. Infra creates it in AWS; ``localdev.provision`` on moto server.
"""
from __future__ import annotations

import os

from chalicelib.aws import client
from chalicelib.domain.photos import URL_SECONDS


def bucket() -> str:
    """``CROWDFIX_PHOTOS_BUCKET`` (infra sets it in AWS), else ``<resource prefix>-photos`` (local)."""
    from chalicelib.settings import get_settings

    return os.environ.get("CROWDFIX_PHOTOS_BUCKET") or f"{get_settings().resource_prefix}-photos"


def store(key: str, data: bytes, content_type: str) -> None:
    client("s3").put_object(Bucket=bucket(), Key=key, Body=data, ContentType=content_type,
                            CacheControl="private, max-age=900")


def signed_url(key: str, seconds: int = URL_SECONDS) -> str:
    return client("s3").generate_presigned_url("get_object", Params={"Bucket": bucket(), "Key": key},
                                               ExpiresIn=int(seconds))
