"""Request bodies: size and nesting bounded before parsing, then validated by a pydantic model."""
from __future__ import annotations

import json
import re
from typing import TypeVar

from chalicelib.domain.errors import DomainError, MalformedRequest, ValidationFailed
from chalicelib.lazy import lazy

pydantic = lazy("pydantic")  # loads with the first body that is validated

M = TypeVar("M")


def errors_of(exc, empty: str = "body") -> list[dict[str, str]]:
    """A pydantic ValidationError as ``[{"field": "contact.name", "detail": ...}]``; a rule about
    the whole model names ``empty``."""
    return [{"field": ".".join(str(p) for p in e["loc"] if p != "body") or empty,
             "detail": e["msg"].removeprefix("Value error, ")} for e in exc.errors()]


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
    except pydantic.ValidationError as exc:
        errors = errors_of(exc)
        first = errors[0]
        raise ValidationFailed(f"{first['field']}: {first['detail']}", field=first["field"],
                               extra={"errors": errors}) from None
