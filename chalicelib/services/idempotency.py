"""First-writer-wins records for retried requests and redelivered events."""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from chalicelib.store.guards import guards as guards_store

DAY = 24 * 3600


def request_hash(payload: object) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def mark_once(key: str, ttl_seconds: int = 7 * DAY) -> bool:
    """Record ``key`` as processed. True the first time, False if it was already recorded."""
    return guards_store().mark_once(key, timedelta(seconds=ttl_seconds))


def seen(key: str) -> bool:
    return guards_store().seen(key)


# ---------------------------------------------------------------------------------------------
# Idempotency-Key on a create: the first answer kept and replayed

REPLAY_TTL = DAY  # a client retries within a day (docs/partners.md, "Idempotency")
REPLAY_LEASE = 60  # a request that died holding its key frees it after this


class KeyInUse(Exception):
    """The first request with this key is still running."""


class KeyReused(Exception):
    """This key was used for a request with another body."""


def _record_key(scope: str, key: str) -> str:
    # the record is named by a hash: the Idempotency-Key itself (which unseals the answer) is not stored
    return "replay#" + hashlib.sha256(f"{scope}\n{key}".encode()).hexdigest()


def _sealing_key(scope: str, key: str) -> bytes:
    import hmac
    return hmac.new(key.encode(), f"crowdfix-replay\n{scope}".encode(), hashlib.sha256).digest()


def _seal(scope: str, key: str, answer: dict) -> str:
    import base64
    import os

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    nonce = os.urandom(12)
    data = AESGCM(_sealing_key(scope, key)).encrypt(nonce, json.dumps(answer).encode(), None)
    return base64.b64encode(nonce + data).decode()


def _unseal(scope: str, key: str, sealed: str) -> dict:
    import base64

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    raw = base64.b64decode(sealed)
    return json.loads(AESGCM(_sealing_key(scope, key)).decrypt(raw[:12], raw[12:], None))


def replay_or_run(scope: str, key: str, request: object, run) -> tuple[dict, bool]:
    """Run ``run()`` once per (``scope``, ``key``) and keep its answer; a retry with the same
    request gets that answer back. Returns ``(answer, replayed)``; ``answer`` is ``{"status",
    "body", "headers"}`` as ``run`` returned it.

    ``scope`` names the operation and the caller (an API key and its mode, or a signed-in
    account), so two callers never share a key. Raises :class:`KeyReused` for the same key with
    another request, :class:`KeyInUse` while the first request runs. A request that fails (raises,
    or answers other than 2xx) keeps nothing: the retry runs afresh.

    The answer is stored encrypted with a key derived from the Idempotency-Key (which is not
    stored), so the secret a create shows once is only readable by the retry that brings the key."""
    from chalicelib.store.replays import BUSY, CLAIMED, replays

    repo, record_key, digest = replays(), _record_key(scope, key), request_hash(request)
    outcome, owner, record = repo.claim(record_key, digest, lease_seconds=REPLAY_LEASE, ttl_seconds=REPLAY_TTL)
    if outcome != CLAIMED:
        if record.request_hash != digest:
            raise KeyReused()
        if outcome == BUSY or not record.sealed:
            raise KeyInUse()
        return _unseal(scope, key, record.sealed), True
    try:
        answer = run()
    except BaseException:
        repo.release(record_key, owner)
        raise
    if 200 <= int(answer["status"]) < 300:
        repo.finish(record_key, owner, int(answer["status"]), _seal(scope, key, answer))
    else:
        repo.release(record_key, owner)
    return answer, False
