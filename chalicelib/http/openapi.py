"""The OpenAPI 3.1 document of the API, generated from the route declarations (``edge.ROUTES``):
paths and parameters from the declared types, request bodies and responses from the pydantic
models, security from who may call. Built on the first request for it (pydantic is not loaded at
``import app``), then kept for the life of the container."""
from __future__ import annotations

from typing import Any, Iterable

from pydantic.json_schema import models_json_schema

from chalicelib.domain.partners import WEBHOOK_EVENTS
from chalicelib.http.edge import ROUTES, Route, model
from chalicelib.http.types import PATH_TYPES, Param

API_VERSION = "1.0.0"

_REASONS = {400: "the request could not be read", 401: "missing or invalid credentials", 402: "the card was declined",
            403: "not allowed", 404: "not found (or not yours)", 409: "conflicts with the current state",
            410: "gone (expired)", 413: "the body is larger than 64 KiB", 422: "a field is not valid",
            429: "rate limit reached; see Retry-After"}
_SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer",
                   "description": "token from /v1/auth/token (customers, helpers, ops, partner admins)"},
    "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-Api-Key",
                     "description": "partner API key cfx_live_... or cfx_test_..."},
    "apiKeyBearer": {"type": "http", "scheme": "bearer", "bearerFormat": "cfx_ API key",
                     "description": "the same API key as Authorization: Bearer cfx_..."},
    "paymentLinkToken": {"type": "apiKey", "in": "header", "name": "X-Payment-Token",
                         "description": "the token of the payment link e-mailed to a partner's customer (one booking)"},
    "reviewToken": {"type": "apiKey", "in": "header", "name": "X-Review-Token",
                    "description": "the token of the review link e-mailed after the visit"},
}


def _param(name: str, where: str, p: Param) -> dict:
    out = {"name": name, "in": where, "required": where == "path" or p.required, "schema": dict(p.schema)}
    if p.description:
        out["description"] = p.description
    return out


def _model_params(ref: str, skip: Iterable[str]) -> list[dict]:
    schema = model(ref).model_json_schema()
    required = set(schema.get("required", []))
    return [{"name": name, "in": "query", "required": name in required, "description": prop.get("description", ""),
             "schema": {k: v for k, v in prop.items() if k not in ("title", "description")}}
            for name, prop in schema["properties"].items() if name not in skip]


def _op_id(route: Route, method: str) -> str:
    words = route.path.removeprefix("/v1/").replace("{", "").replace("}", "").replace(".", "_").replace("-", "_")
    return method.lower() + "_" + "_".join(w for w in words.split("/") if w)


def error_codes(route: Route) -> list[int]:
    """The problem statuses a route documents: what the edge itself may answer (unreadable or
    invalid input, unknown ids, auth) and what the use cases raise (conflicts, declined cards...)."""
    codes = {400, 404, 409, 422} | set(route.auth.codes) | set(route.errors)
    if route.body or route.raw_body:
        codes.add(413)
    if route.raw_body:
        codes.add(415)
    return sorted(codes)


def build(routes: Iterable[Route] | None = None, server_url: str = "/") -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``routes`` (default: every declared route)."""
    routes = [r for r in (ROUTES if routes is None else routes) if r.documented]
    wanted: list[tuple[str, str]] = [("Problem", "serialization"), ("WebhookEvent", "serialization")]
    for r in routes:
        if r.body:
            wanted.append((r.body, "validation"))
        if r.json_response:
            wanted.append((r.response, "serialization"))
    unique = list(dict.fromkeys(wanted))
    from chalicelib.http.models import webhook_event_models
    events = webhook_event_models()
    refs, defs = models_json_schema([(model(ref), mode) for ref, mode in unique]
                                    + [(m, "serialization") for m in events.values()],
                                    ref_template="#/components/schemas/{model}")

    def ref(name: str, mode: str) -> dict:
        return refs[(model(name), mode)]

    problem = {"application/problem+json": {"schema": ref("Problem", "serialization")}}
    paths: dict[str, dict] = {}
    for r in routes:
        if r.json_response:
            content = {"application/json": {"schema": ref(r.response, "serialization"), **_examples(r.response)}}
        else:
            # text (CSV, HTML) is a string; a document (PDF) is bytes, so generated clients read it as a file
            binary = not r.response.startswith("text/")
            content = {r.response: {"schema": {"type": "string", **({"format": "binary"} if binary else {})}}}
        responses: dict[str, Any] = {str(s): {"description": "OK", "content": content} for s in (r.status, *r.also)}
        for code in error_codes(r):
            responses[str(code)] = {"description": _REASONS.get(code, "error"), "content": problem}
        responses["500"] = {"description": "unexpected error (never expected)", "content": problem}
        parameters = [_param(n, "path", r.path_types.get(n) or PATH_TYPES[n]) for n in r.path_params]
        parameters += [_param(n, "query", p) for n, p in r.query.items()]
        if r.query_model:
            parameters += _model_params(r.query_model, skip=r.query)
        parameters += [_param(n, "header", p) for n, p in r.headers.items()]
        for method in r.methods:
            operation: dict[str, Any] = {"operationId": _op_id(r, method), "summary": r.summary, "tags": [r.tag],
                                         "parameters": parameters, "responses": responses,
                                         "x-callers": r.auth.who}
            if r.description:
                operation["description"] = r.description
            if r.auth.security:
                operation["security"] = [{scheme: []} for scheme in r.auth.security]
            if r.body:
                media = {"schema": ref(r.body, "validation"), **_examples(r.body)}
                content = {"application/json": media}
                if method == "PATCH" and r.merge_patch:  # JSON merge patch (RFC 7396); plain JSON is read the same way
                    content = {"application/merge-patch+json": media, "application/json": media}
                    operation["description"] = (operation.get("description", "") + " " + MERGE_PATCH).strip()
                operation["requestBody"] = {"required": not r.body_optional, "content": content}
            elif r.raw_body:
                operation["requestBody"] = {"required": True, "content": {
                    media: {"schema": {"type": "string", "format": "binary"}} for media in r.raw_body}}
            paths.setdefault(r.path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "crowdfix API", "version": API_VERSION,
                 "description": "Personal tech help from vetted helpers nearby. Partners book for their customers "
                                "with an API key, receive signed webhooks (Standard Webhooks) and embed the widget. "
                                "Money is integer minor units with an ISO currency. Errors are problem JSON "
                                "(RFC 9457) naming the field."},
        "servers": [{"url": server_url}],
        "tags": [{"name": t} for t in dict.fromkeys(r.tag for r in routes)],
        "paths": paths,
        "components": {"schemas": defs.get("$defs", {}), "securitySchemes": _SECURITY_SCHEMES},
        "webhooks": _webhooks({event: refs[(m, "serialization")] for event, m in events.items()}),
        "x-webhooks-signing": "Standard Webhooks v1: webhook-id, webhook-timestamp, webhook-signature (HMAC-SHA256, whsec_ secret)",
    }


MERGE_PATCH = ("The body is a JSON merge patch (RFC 7396): name only what changes; a nested object is merged "
               "field by field (sending only branding.logo_url keeps the colours); null removes a field "
               "(back to its default). Send it as application/merge-patch+json or application/json.")


def _examples(ref_name: str) -> dict:
    """``examples`` of a media type from the model's own ``json_schema_extra`` examples."""
    examples = (model(ref_name).model_config.get("json_schema_extra") or {}).get("examples")
    return {"examples": {f"example{i + 1}": {"value": v} for i, v in enumerate(examples)}} if examples else {}


def _event_example(event: str) -> dict:
    from chalicelib.http.models import webhook_event_models
    return webhook_event_models()[event].model_config["json_schema_extra"]["examples"][0]


def _webhooks(schemas: dict) -> dict:
    return {event: {"post": {
        "summary": f"{event} (to each subscribed endpoint)", "operationId": "webhook_" + event.replace(".", "_"),
        "parameters": [{"name": h, "in": "header", "required": True, "schema": {"type": "string"}}
                       for h in ("webhook-id", "webhook-timestamp", "webhook-signature")],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": schemas[event], "examples": {"example1": {"value": _event_example(event)}}}}},
        "responses": {"2XX": {"description": "received; anything else is retried with back-off for 3 days"}},
    }} for event in WEBHOOK_EVENTS}


_DOCUMENT: dict[str, dict] = {}


def document() -> dict:
    """The served document, built on first use and kept (routes do not change in a running app)."""
    if "doc" not in _DOCUMENT:
        _DOCUMENT["doc"] = build()
    return _DOCUMENT["doc"]
