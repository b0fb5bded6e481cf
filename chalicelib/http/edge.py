"""One declaration per HTTP route: method, path, who may call, the input (path, query, header
parameters and the pydantic body model) and the response model. The declaration registers the
Chalice route (so ``chalice package`` and ``infra/derive.py`` see it as any ``@bp.route``), checks
the input before the view runs (4xx problem bodies naming the field) and is what the OpenAPI
document is generated from (``chalicelib/http/openapi.py``).

    api = Edge(bp, tag="bookings")

    @api.get("/v1/bookings/{booking_id}", auth=signed_in("customer", "helper", "ops"), response="BookingOut")
    def get_booking(call, booking_id):
        return booking_view(svc.get_booking_for(call.actor, booking_id), call.actor)

A view gets a ``Call`` (caller, validated body and query) and the validated path parameters, and
returns the body (a dict, turned into JSON with the declared status), a ``Reply`` (another status,
extra headers) or a Chalice ``Response`` (pages and scripts). Models are named by string
(``"schemas:CreateBooking"`` in ``chalicelib.domain``, a bare name in ``chalicelib.http.models``)
so that pydantic loads on the first request that needs it, never at ``import app``.
"""
from __future__ import annotations

import functools
import importlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from chalice import Response

from chalicelib.domain.errors import DomainError, ValidationFailed
from chalicelib.http.auth import PUBLIC, Auth
from chalicelib.http.body import errors_of, parse_body, pydantic
from chalicelib.http.cursors import open_cursor
from chalicelib.http.problems import problem_response
from chalicelib.http.types import PATH_TYPES, Param

RESPONSE_MODELS = "chalicelib.http.models"
_PATH_PARAM = re.compile(r"{(\w+)\+?}")


@dataclass
class Route:
    """The declaration of one route (one or more methods on one path)."""
    methods: tuple[str, ...]
    path: str
    view: str  # module.function of the view, for messages
    auth: Auth
    response: str  # a model in chalicelib.http.models, or a media type ("text/html") for non-JSON
    status: int = 200
    also: tuple[int, ...] = ()  # other success statuses (200 for a replayed create)
    body: Optional[str] = None
    body_optional: bool = False
    raw_body: tuple[str, ...] = ()  # media types of a body that is not JSON (an image): the view reads it
    query: dict[str, Param] = field(default_factory=dict)
    query_model: Optional[str] = None
    query_whole_field: str = "query"  # the field a rule across the whole query names
    headers: dict[str, Param] = field(default_factory=dict)
    path_types: dict[str, Param] = field(default_factory=dict)
    summary: str = ""
    description: str = ""
    tag: str = ""
    errors: tuple[int, ...] = ()
    documented: bool = True
    content_types: tuple[str, ...] = ()  # media types of a JSON body besides application/json

    @property
    def merge_patch(self) -> bool:
        """A PATCH whose body is a JSON merge patch (RFC 7396)."""
        return "PATCH" in self.methods and "application/merge-patch+json" in self.content_types

    @property
    def json_response(self) -> bool:
        return "/" not in self.response

    @property
    def path_params(self) -> list[str]:
        return _PATH_PARAM.findall(self.path)


ROUTES: list[Route] = []  # every declaration, in the order the handler modules made them


@dataclass
class Call:
    """What a view gets besides the path parameters: the request, the caller and the checked input."""
    request: Any
    actor: Any = None
    environment: Optional[str] = None  # "live" or "test" for a partner's API key
    body: Any = None
    query: dict[str, Any] = field(default_factory=dict)
    query_model: Any = None
    headers: dict[str, Any] = field(default_factory=dict)

    def cursor(self, scope: str) -> Optional[str]:
        """The service's cursor from ``?cursor=``, checked to be ours and for this listing (``scope``)."""
        return open_cursor(self.query.get("cursor"), scope)


@dataclass
class Reply:
    """A JSON answer with another status than the declared one, or extra headers."""
    body: Any
    status: Optional[int] = None
    headers: dict[str, str] = field(default_factory=dict)


def json_response(body: Any, status: int = 200, headers: Optional[dict] = None) -> Response:
    return Response(body=json.dumps(body, default=str), status_code=status,
                    headers={"Content-Type": "application/json", **(headers or {})})


class Edge:
    """The route declarations of one blueprint (one capability), all under one OpenAPI tag."""

    def __init__(self, bp, tag: str):
        self.bp, self.tag = bp, tag

    def get(self, path: str, **decl):
        return self.route(("GET",), path, **decl)

    def post(self, path: str, **decl):
        return self.route(("POST",), path, **decl)

    def put(self, path: str, **decl):
        return self.route(("PUT",), path, **decl)

    def patch(self, path: str, **decl):
        return self.route(("PATCH",), path, **decl)

    def delete(self, path: str, **decl):
        return self.route(("DELETE",), path, **decl)

    def route(self, methods: tuple[str, ...], path: str, *, response: str, auth: Auth = PUBLIC,
              content_types: Optional[list[str]] = None, **decl) -> Callable:
        def register(view: Callable) -> Callable:
            doc = (view.__doc__ or "").strip()
            summary, _, description = doc.partition("\n")
            route = Route(methods=tuple(methods), path=path, view=f"{view.__module__}.{view.__name__}", auth=auth,
                          response=response, tag=decl.pop("tag", self.tag),
                          summary=decl.pop("summary", "") or summary.strip() or view.__name__.replace("_", " "),
                          description=decl.pop("description", "") or " ".join(description.split()),
                          content_types=tuple(content_types or ()), **decl)
            missing = [p for p in route.path_params if p not in route.path_types and p not in PATH_TYPES]
            if missing:
                raise TypeError(f"{route.view}: no type for path parameter(s) {missing} (chalicelib/http/types.py)")
            ROUTES.append(route)

            @functools.wraps(view)
            def endpoint(**path_args):
                try:
                    return _serve(route, view, self.bp.current_request, path_args)
                except DomainError as err:
                    return problem_response(err)

            endpoint.route = route
            types = content_types or (list(route.raw_body) if route.raw_body else None)
            options = {"content_types": types} if types else {}
            self.bp.route(path, methods=list(methods), **options)(endpoint)
            return endpoint
        return register


def _serve(route: Route, view: Callable, request, path_args: dict) -> Response:
    actor, environment = route.auth.resolve(request, path_args)
    args = {name: route.path_types.get(name, PATH_TYPES.get(name)).parse(name, value)
            for name, value in path_args.items()}
    params = request.query_params or {}
    call = Call(request, actor, environment,
                query={name: p.parse(name, params.get(name)) for name, p in route.query.items()})
    if route.query_model:
        call.query_model = _validate_query(route, {k: v for k, v in params.items() if k not in route.query})
    if route.body:
        call.body = parse_body(request, model(route.body), allow_empty=route.body_optional)
    headers = request.headers or {}
    call.headers = {name: p.parse(name, headers.get(name.lower())) for name, p in route.headers.items()}
    result = view(call, **args)
    if isinstance(result, Response):
        return result
    if isinstance(result, Reply):
        return json_response(result.body, result.status or route.status, result.headers)
    return json_response(result, route.status)


def _validate_query(route: Route, params: dict):
    try:
        return model(route.query_model).model_validate(params)
    except pydantic.ValidationError as exc:
        errors = errors_of(exc, empty=route.query_whole_field)
        first = errors[0]
        raise ValidationFailed(f"{first['field']}: {first['detail']}", field=first["field"],
                               extra={"errors": errors}) from None


def model(ref: str):
    """The pydantic model a declaration names, imported now: ``"schemas:CreateBooking"`` (a module
    of ``chalicelib.domain``), ``"a.b.c:Name"`` (an absolute module), or a bare ``"Name"`` in
    ``chalicelib.http.models``."""
    module, _, name = ref.rpartition(":")
    if not module:
        module = RESPONSE_MODELS
    elif "." not in module:
        module = f"chalicelib.domain.{module}"
    return getattr(importlib.import_module(module), name)


def declaration_of(app, path: str, method: str) -> Optional[Route]:
    """The declaration behind a route registered on ``app`` (None for a route made without one)."""
    entry = app.routes.get(path, {}).get(method)
    view = getattr(entry, "view_function", None)
    while view is not None and not hasattr(view, "route"):
        view = getattr(view, "__wrapped__", None)
    return getattr(view, "route", None)


def undeclared_routes(app) -> list[str]:
    """``METHOD path`` of every route registered on ``app`` without a declaration (so without a
    response model and outside the OpenAPI document)."""
    return sorted(f"{method} {path}" for path, entries in app.routes.items() for method in entries
                  if declaration_of(app, path, method) is None)
