"""Shared handler plumbing: JSON bodies validated by pydantic models, problem responses
(RFC 9457 style: ``type``, ``title``, ``status``, ``detail``, ``field``), and caller identity."""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import logging
import re
from typing import Any, Iterable, TypeVar

from chalice import Response

from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import DomainError, Forbidden, MalformedRequest, Unauthenticated, ValidationFailed

log = logging.getLogger("crowdfix")
M = TypeVar("M")

PROBLEM_HEADERS = {"Content-Type": "application/problem+json"}


def problem_response(err: DomainError) -> Response:
    headers = dict(PROBLEM_HEADERS)
    if err.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="crowdfix"'
    if getattr(err, "retry_after", None):
        headers["Retry-After"] = str(err.retry_after)
    return Response(body=json.dumps(err.problem()), status_code=err.status, headers=headers)


def problem_middleware(event, get_response):
    """Every HTTP response: Chalice's own 4xx answers (unsupported media type, method not allowed,
    ...) are rewritten as problem bodies too, so clients see one error shape."""
    response = get_response(event)
    if response.status_code >= 400 and isinstance(response.body, dict) and "Code" in response.body:
        code = str(response.body.get("Code"))
        title, hint = _CHALICE_ERRORS.get(code, (code, ""))
        body = {"type": f"https://crowdfix.dev/problems/{code}", "title": title, "status": response.status_code,
                "detail": " ".join(p for p in (str(response.body.get("Message", "")), hint) if p)}
        if response.status_code >= 500:
            body.update(title="Something went wrong on our side",
                        detail="please try again in a moment; if it keeps happening, contact support")
        return Response(body=json.dumps(body), status_code=response.status_code, headers=PROBLEM_HEADERS)
    return response


_CHALICE_ERRORS = {
    "UnsupportedMediaType": ("Unsupported media type", "send the body as JSON with Content-Type: application/json"),
    "MethodNotAllowedError": ("Method not allowed", "see the README for the methods each route takes"),
    "BadRequestError": ("Bad request", "check the request and try again"),
}


def _map_domain_errors(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except DomainError as err:
            return problem_response(err)
    return wrapped


def install_problem_responses(app) -> None:
    """Wrap every registered route so typed domain errors become problem responses. (Chalice
    catches exceptions from views before HTTP middleware sees them.) Call after the blueprints are
    registered."""
    for methods in app.routes.values():
        for entry in methods.values():
            if not getattr(entry.view_function, "_maps_domain_errors", False):
                entry.view_function = _map_domain_errors(entry.view_function)
                entry.view_function._maps_domain_errors = True
    app.register_middleware(problem_middleware, "http")
    app.register_middleware(security_headers_middleware, "http")


def security_headers_middleware(event, get_response):
    """Every API answer: HSTS, referrer and permissions policies, nosniff; HTML pages (API
    reference, partner landing pages) also their CSP (no script, inline styles by hash) and are not
    framed. JSON answers need no CSP (``default-src 'none'`` keeps a browser from running one)."""
    from chalicelib.domain import headers as sec

    response = get_response(event)
    ctype = str((response.headers or {}).get("Content-Type", ""))
    extra = sec.page_headers(response.body if isinstance(response.body, str) else "") if ctype.startswith("text/html") \
        else {**sec.common_headers(), "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"}
    response.headers = {**extra, **(response.headers or {})}
    return response


def _loc(loc: Iterable[Any]) -> str:
    return ".".join(str(p) for p in loc if p not in ("body",)) or "body"


class PayloadTooLarge(DomainError):
    status, code, title = 413, "payload-too-large", "The request body is too large"


MAX_BODY_BYTES = 64 * 1024   # the largest request body crowdfix takes (a tenant with all its texts is < 8 KiB)
MAX_JSON_DEPTH = 16          # the deepest request model nests 4 levels
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth(raw: bytes, limit: int = MAX_JSON_DEPTH) -> int:
    """How deeply arrays and objects nest in ``raw`` (strings skipped), counting no further than
    ``limit + 1``: a linear scan done before ``json.loads``, so nesting never reaches the parser."""
    depth = deepest = 0
    for m in _JSON_BRACKET.finditer(_JSON_STRING.sub(b'""', raw)):
        if m.group() in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        else:
            depth -= 1
    return deepest


def read_json(raw: bytes | str | None, *, max_bytes: int = MAX_BODY_BYTES, max_depth: int = MAX_JSON_DEPTH):
    """Parse a request body: size and nesting are bounded before parsing (413 / 400), unreadable
    JSON is a 400. Never a RecursionError or MemoryError from input."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    raw = raw or b""
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"the body may be at most {max_bytes // 1024} KiB", field="body")
    if json_depth(raw, max_depth) > max_depth:
        raise MalformedRequest(f"the body nests deeper than {max_depth} levels", field="body")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise MalformedRequest("the body is not valid JSON", field="body") from None


def parse_body(request, model: type[M], *, allow_empty: bool = False) -> M:
    """Validate the JSON body against a pydantic model; 413 above the size bound, 400 for unreadable
    or too deeply nested JSON, 422 naming the first offending field (all of them in ``errors``)."""
    from pydantic import ValidationError

    raw = request.raw_body
    if not raw:
        if allow_empty:
            raw = b"{}"
        else:
            raise MalformedRequest("the request needs a JSON body", field="body")
    data = read_json(raw)
    if not isinstance(data, dict):
        raise MalformedRequest("the body must be a JSON object", field="body")
    try:
        return model.model_validate(data)  # type: ignore[attr-defined]
    except ValidationError as exc:
        errors = [{"field": _loc(e["loc"]), "detail": e["msg"].removeprefix("Value error, ")} for e in exc.errors()]
        first = errors[0]
        raise ValidationFailed(f"{first['field']}: {first['detail']}", field=first["field"],
                               extra={"errors": errors}) from None


def query_int(request, name: str, default: int, lo: int, hi: int) -> int:
    params = request.query_params or {}
    if name not in params:
        return default
    try:
        value = int(params[name])
    except ValueError:
        raise ValidationFailed(f"{name} must be a whole number", field=name) from None
    if not lo <= value <= hi:
        raise ValidationFailed(f"{name} must be between {lo} and {hi}", field=name)
    return value


def authenticate(request, *roles: str) -> Actor:
    """The caller, from ``Authorization: Bearer <token>``; 401 without a valid token, 403 if the
    role may not use this route."""
    from chalicelib.services.auth import actor_from_token

    header = (request.headers or {}).get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("please sign in: send Authorization: Bearer <token>")
    actor = actor_from_token(token.strip())
    if roles and actor.role not in roles:
        raise Forbidden(f"this is for {' or '.join(roles)} accounts")
    return actor


def path_id(value: str, prefix: str, field: str) -> str:
    if not value or not value.startswith(prefix + "_") or len(value) > 64 or not value.replace("_", "").isalnum():
        raise ValidationFailed(f"{field} is not a valid id", field=field)
    return value


def ok(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(body=json.dumps(body, default=str), status_code=status,
                    headers={"Content-Type": "application/json", **(headers or {})})


def authenticate_partner(request) -> tuple[Actor, str]:
    """A partner's server, from ``Authorization: Bearer cfx_...`` or ``X-Api-Key: cfx_...``:
    Actor(role="partner", id=tenant, tenant_id=tenant). 401 for a missing/unknown/revoked key, 429
    when the key's rate limit is used up. Returns ``(actor, environment)`` ("live" or "test")."""
    from chalicelib.services.partners import actor_for_api_key

    headers = request.headers or {}
    scheme, _, token = headers.get("authorization", "").partition(" ")
    key = token.strip() if scheme.lower() == "bearer" and token.strip().startswith("cfx_") else ""
    key = key or headers.get("x-api-key", "").strip()
    if not key:
        raise Unauthenticated("send your API key: Authorization: Bearer cfx_... or X-Api-Key: cfx_...")
    return actor_for_api_key(key)


# ---------------------------------------------------------------------------------------------
# cursors: opaque to clients, signed by us, bound to the listing they continue

_CURSOR_MAX = 2048


def _cursor_mac(scope: str, inner: str) -> str:
    from chalicelib.settings import get_secret

    key = hmac.new(get_secret("TOKEN_SECRET").encode(), b"crowdfix-cursor-v1", hashlib.sha256).digest()
    mac = hmac.new(key, f"{scope}\n{inner}".encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def sign_cursor(inner: str | None, scope: str) -> str | None:
    """Wrap a service's page cursor for the client: ``<inner>.<mac>``, where the MAC binds it to
    ``scope`` (route and caller), so a crafted, edited or borrowed cursor is refused."""
    if not inner:
        return None
    return f"{inner}.{_cursor_mac(scope, inner)}"


def cursor_param(request, scope: str, name: str = "cursor") -> str | None:
    """The service's cursor from the ``cursor`` query parameter, after checking our signature:
    422 for anything we did not hand out for this listing."""
    value = (request.query_params or {}).get(name)
    if not value:
        return None
    inner, dot, mac = value.rpartition(".")
    if (len(value) > _CURSOR_MAX or not dot or not inner
            or not hmac.compare_digest(mac.encode(), _cursor_mac(scope, inner).encode())):
        raise ValidationFailed("the cursor is not valid; start again without it", field=name)
    return inner
