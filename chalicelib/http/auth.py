"""Who is calling: a bearer token (customers, helpers, ops, partner admins) or a partner's API key."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from chalicelib.credentials import get_secret
from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import Forbidden, Unauthenticated
from chalicelib.lazy import lazy

tokens = lazy("chalicelib.domain.tokens")
partner_service = lazy("chalicelib.services.partners")


def actor_from_token(token: str) -> Actor:
    """The caller a bearer token names (401 if it is not valid)."""
    return tokens.actor(get_secret("TOKEN_SECRET"), token)


def authenticate(request, *roles: str) -> Actor:
    """The caller, from ``Authorization: Bearer <token>``; 401 without a valid token, 403 if the
    role may not use this route."""
    header = (request.headers or {}).get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("please sign in: send Authorization: Bearer <token>")
    actor = actor_from_token(token.strip())
    if roles and actor.role not in roles:
        raise Forbidden(f"this is for {' or '.join(roles)} accounts")
    return actor


def authenticate_partner(request) -> tuple[Actor, str]:
    """A partner's server, from ``Authorization: Bearer cfx_...`` or ``X-Api-Key: cfx_...``:
    Actor(role="partner", id=tenant, tenant_id=tenant). 401 for a missing/unknown/revoked key, 429
    when the key's rate limit is used up. Returns ``(actor, environment)`` ("live" or "test")."""
    headers = request.headers or {}
    scheme, _, token = headers.get("authorization", "").partition(" ")
    key = token.strip() if scheme.lower() == "bearer" and token.strip().startswith("cfx_") else ""
    key = key or headers.get("x-api-key", "").strip()
    if not key:
        raise Unauthenticated("send your API key: Authorization: Bearer cfx_... or X-Api-Key: cfx_...")
    return partner_service.actor_for_api_key(key)


# ---------------------------------------------------------------------------------------------
# who may call a route (part of each route's declaration; the OpenAPI security comes from it)

@dataclass(frozen=True)
class Auth:
    """Who may call a route: ``resolve(request, path_args) -> (actor, environment)`` raises 401/403."""
    who: str
    security: tuple[str, ...]  # OpenAPI security schemes, any one of them will do
    resolve: Callable[[Any, dict], tuple[Optional[Actor], Optional[str]]]
    codes: tuple[int, ...] = (401, 403)


PUBLIC = Auth("anyone", (), lambda request, path: (None, None), codes=())


def signed_in(*roles: str) -> Auth:
    """A bearer token of one of ``roles`` (any role when none is named)."""
    return Auth(" or ".join(roles) or "anyone signed in", ("bearerAuth",),
                lambda request, path: (authenticate(request, *roles), None))


PARTNER_KEY = Auth("partner (API key)", ("apiKeyHeader", "apiKeyBearer"),
                   lambda request, path: authenticate_partner(request), codes=(401, 403, 429))

TENANT_ADMINS = ("ops", "partner_admin")


def _admin_or_key(request, path):
    headers = request.headers or {}
    if "x-api-key" in headers or headers.get("authorization", "").lower().startswith("bearer cfx_"):
        return authenticate_partner(request)
    return authenticate(request, *TENANT_ADMINS), None


ADMIN_OR_KEY = Auth("ops or partner_admin, or the tenant's API key", ("bearerAuth", "apiKeyHeader", "apiKeyBearer"),
                    _admin_or_key, codes=(401, 403, 429))

