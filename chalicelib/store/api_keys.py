"""Partners' API keys (``api-keys``) and their token buckets (``rate-buckets``).

A key is found by the hash of its secret (the secret is never stored). Revoking is conditional on
the key being active, and a rotation writes the new key and revokes the old one in one
transaction, so one key replaces exactly one. A bucket is written only on condition that it still
holds the values read: two requests never both spend the same token.
"""
from __future__ import annotations

from datetime import timedelta

from chalicelib.store import current
from chalicelib.store._dynamo import _create, _fields, _get, _record, _update
from chalicelib.store.conditions import ConditionFailed, is_condition_failure
from chalicelib.store.records import ApiKeyRecord, RateBucketRecord

BUCKET_TTL = timedelta(days=1)  # an idle key's bucket goes; the next request starts it full


class ApiKeys:
    """DynamoDB repository (``models.partners.ApiKey``)."""

    def get(self, key_hash: str, consistent: bool = False) -> ApiKeyRecord | None:
        from chalicelib.models.partners import ApiKey
        item = _get(ApiKey, key_hash, consistent=consistent)
        return _record(ApiKeyRecord, item) if item is not None else None

    def of_tenant(self, tenant_id: str) -> list[ApiKeyRecord]:
        """The tenant's keys, newest first (the index is eventually consistent)."""
        from chalicelib.models.partners import ApiKey
        return [_record(ApiKeyRecord, k) for k in ApiKey.by_tenant.query(tenant_id, scan_index_forward=False)]

    def by_id(self, tenant_id: str, key_id: str) -> ApiKeyRecord | None:
        from chalicelib.models.partners import ApiKey
        for k in ApiKey.by_tenant.query(tenant_id, filter_condition=ApiKey.key_id == key_id):
            return _record(ApiKeyRecord, k)
        return None

    def add(self, key: ApiKeyRecord) -> None:
        """Store a new key; ``AlreadyExists`` if its hash is taken."""
        from chalicelib.models.partners import ApiKey
        _create(ApiKey(**_fields(key)), ApiKey.key_hash)

    def revoke(self, key: ApiKeyRecord, at: str) -> ApiKeyRecord:
        """Revoke the key if it is still active (and the tenant's); returns it as written.
        ``ConditionFailed`` if it was revoked meanwhile."""
        from chalicelib.models.partners import ApiKey
        item = _update(ApiKey(key.key_hash), actions=[ApiKey.status.set("revoked"), ApiKey.revoked_at.set(at)],
                       condition=(ApiKey.tenant_id == key.tenant_id) & (ApiKey.status == "active"),
                       refused=f"API key {key.key_id} is not active")
        return _record(ApiKeyRecord, item)

    def replace(self, new: ApiKeyRecord, old: ApiKeyRecord, at: str) -> None:
        """Store ``new`` and revoke ``old`` in one transaction, only if ``old`` is still active;
        ``ConditionFailed`` (nothing written) otherwise."""
        from pynamodb.exceptions import TransactWriteError
        from pynamodb.transactions import TransactWrite

        from chalicelib.aws import tx_connection
        from chalicelib.models.partners import ApiKey
        try:
            with TransactWrite(connection=tx_connection()) as tx:
                tx.save(ApiKey(**_fields(new)), condition=ApiKey.key_hash.does_not_exist())
                tx.update(ApiKey(old.key_hash), actions=[ApiKey.status.set("revoked"), ApiKey.revoked_at.set(at)],
                          condition=(ApiKey.tenant_id == old.tenant_id) & (ApiKey.status == "active"))
        except TransactWriteError as exc:
            if is_condition_failure(exc):
                raise ConditionFailed(f"API key {old.key_id} is not active") from None
            raise


class RateBuckets:
    """DynamoDB repository (``models.partners.RateBucket``)."""

    def get(self, bucket_id: str) -> RateBucketRecord | None:
        from chalicelib.models.partners import RateBucket
        item = _get(RateBucket, bucket_id, consistent=True)
        return _record(RateBucketRecord, item) if item is not None else None

    def start(self, bucket: RateBucketRecord) -> None:
        """Create the bucket; ``AlreadyExists`` if a concurrent request made it first."""
        from chalicelib.models.partners import RateBucket
        _create(RateBucket(**_fields(bucket), ttl=BUCKET_TTL), RateBucket.bucket_id)

    def spend(self, read: RateBucketRecord, tokens: float, updated_at: float) -> None:
        """Write the bucket's new ``tokens`` and ``updated_at`` on condition that it still holds
        exactly what was ``read``; ``ConditionFailed`` if another request wrote in between."""
        from chalicelib.models.partners import RateBucket
        _update(RateBucket(read.bucket_id), actions=[RateBucket.tokens.set(tokens), RateBucket.updated_at.set(updated_at)],
                condition=(RateBucket.tokens == read.tokens) & (RateBucket.updated_at == read.updated_at),
                refused=f"bucket {read.bucket_id} changed since it was read")


_keys = ApiKeys()
_buckets = RateBuckets()


def api_keys() -> ApiKeys:
    """The API keys repository in force (DynamoDB unless a test put a twin in place)."""
    return current("api_keys") or _keys


def rate_buckets() -> RateBuckets:
    """The rate buckets repository in force (DynamoDB unless a test put a twin in place)."""
    return current("rate_buckets") or _buckets
