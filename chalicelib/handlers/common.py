"""Shared handler plumbing: JSON bodies validated by pydantic models, problem responses
(RFC 9457 style: ``type``, ``title``, ``status``, ``detail``, ``field``), and caller identity."""
from __future__ import annotations

import functools
import json
import logging
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
    return Response(body=json.dumps(err.problem()), status_code=err.status, headers=headers)


def problem_middleware(event, get_response):
    """Every HTTP response: Chalice's own 4xx answers (unsupported media type, method not allowed,
    ...) are rewritten as problem bodies too, so clients see one error shape."""
    response = get_response(event)
    if response.status_code >= 400 and isinstance(response.body, dict) and "Code" in response.body:
        title = str(response.body.get("Code"))
        body = {"type": f"https://crowdfix.dev/problems/{title}", "title": title, "status": response.status_code,
                "detail": str(response.body.get("Message", ""))}
        if response.status_code >= 500:
            body.update(title="Something went wrong on our side",
                        detail="please try again in a moment; if it keeps happening, contact support")
        return Response(body=json.dumps(body), status_code=response.status_code, headers=PROBLEM_HEADERS)
    return response


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


def _loc(loc: Iterable[Any]) -> str:
    return ".".join(str(p) for p in loc if p not in ("body",)) or "body"


def parse_body(request, model: type[M], *, allow_empty: bool = False) -> M:
    """Validate the JSON body against a pydantic model; 400 for unreadable JSON, 422 naming the
    first offending field (all of them in ``errors``)."""
    from pydantic import ValidationError

    raw = request.raw_body
    if not raw:
        if allow_empty:
            raw = b"{}"
        else:
            raise MalformedRequest("the request needs a JSON body", field="body")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise MalformedRequest("the body is not valid JSON", field="body") from None
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
