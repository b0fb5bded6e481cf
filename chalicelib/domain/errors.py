"""Typed domain errors. Each knows its HTTP status; handlers map them to a problem body in one place
(``chalicelib.http.problems``). Never decide by matching message text."""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None, extra: dict[str, Any] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra or {}

    def problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://crowdfix.dev/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.field:
            body["field"] = self.field
        body.update(self.extra)
        return body


class MalformedRequest(DomainError):
    status, code, title = 400, "malformed-request", "The request could not be read"


class ValidationFailed(DomainError):
    status, code, title = 422, "validation-failed", "Some details are missing or not valid"


class Unauthenticated(DomainError):
    status, code, title = 401, "unauthenticated", "Please sign in"


class Forbidden(DomainError):
    status, code, title = 403, "forbidden", "You may not do this"


class NotFound(DomainError):
    status, code, title = 404, "not-found", "Not found"


class Conflict(DomainError):
    status, code, title = 409, "conflict", "This conflicts with the current state"


class InvalidTransition(Conflict):
    code, title = "invalid-transition", "This step is not possible right now"


class OfferAlreadyTaken(Conflict):
    code, title = "offer-already-taken", "Another helper has already taken this job"


class IdempotencyKeyReused(DomainError):
    status, code, title = 422, "idempotency-key-reused", "This Idempotency-Key was used for a different request"


class IdempotencyKeyInUse(Conflict):
    code, title = "idempotency-key-in-use", "The first request with this Idempotency-Key is still running"


class TooManyAttempts(DomainError):
    status, code, title = 429, "too-many-attempts", "Too many attempts"

    def __init__(self, detail: str, *, retry_after: int | None = None, **kw):
        super().__init__(detail, extra={"retry_after": retry_after} if retry_after else None, **kw)
        self.retry_after = retry_after


class RateLimited(DomainError):
    status, code, title = 429, "rate-limited", "Too many requests"

    def __init__(self, detail: str, *, retry_after: int = 1, **kw):
        super().__init__(detail, extra={"retry_after": retry_after}, **kw)
        self.retry_after = retry_after
