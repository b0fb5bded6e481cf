"""Problem responses (RFC 9457 style: ``type``, ``title``, ``status``, ``detail``, ``field``): typed
domain errors, input the edge refuses and Chalice's own 4xx answers all leave in this one shape."""
from __future__ import annotations

import json

from chalice import Response

from chalicelib.domain.errors import DomainError
from chalicelib.lazy import lazy

sec = lazy("chalicelib.domain.headers")

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


def install(app) -> None:
    """The app-wide HTTP middleware: Chalice's own 4xx answers as problem bodies, security headers.
    (Each declared route turns typed domain errors into problem bodies itself: ``http/edge.py``.)"""
    app.register_middleware(problem_middleware, "http")
    app.register_middleware(security_headers_middleware, "http")


def security_headers_middleware(event, get_response):
    """Every API answer: HSTS, referrer and permissions policies, nosniff; HTML pages (API
    reference, partner landing pages) also their CSP (no script, inline styles by hash) and are not
    framed. JSON answers need no CSP (``default-src 'none'`` keeps a browser from running one)."""
    response = get_response(event)
    ctype = str((response.headers or {}).get("Content-Type", ""))
    extra = sec.page_headers(response.body if isinstance(response.body, str) else "") if ctype.startswith("text/html") \
        else {**sec.common_headers(), "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"}
    response.headers = {**extra, **(response.headers or {})}
    return response
