"""Logging and metrics an operator can use.

Logs: every line from ``chalicelib.*`` and ``crowdfix.*`` loggers is one JSON object (Powertools'
``LambdaPowertoolsFormatter``) with the level from settings (``LOG_LEVEL``) and whatever the
current unit of work is about — ``request_id``, ``booking_id``, ``record_id``, ``effect``,
``tenant_id`` — taken from a context variable that the HTTP middleware and the batch processors
set (:func:`context`). ``Chalice(app_name=...)`` sets the ``crowdfix`` logger to ERROR without
propagation, and services log through ``chalicelib.*`` below the root's WARNING: without this,
nothing below ERROR would reach CloudWatch.

Metrics: :func:`metric` writes one CloudWatch Embedded Metric Format line through Powertools
(``single_metric``), namespace ``crowdfix``; alarms watch them (``UnitsFailed``, ...).

Both are set up on first use (the first request or record), not at ``import app``: Powertools
is imported where it is used, so the cold start stays small (``tests/unit/test_cold_start_imports.py``).
"""
from __future__ import annotations

import contextvars
import logging
import sys
from contextlib import contextmanager
from typing import Any, Iterator

CONTEXT_KEYS = ("request_id", "booking_id", "record_id", "effect", "tenant_id", "source")
_context: contextvars.ContextVar[dict] = contextvars.ContextVar("crowdfix_log_context", default={})
_configured = False
LOGGERS = ("chalicelib", "crowdfix")


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is at the moment (Lambda's, or a test runner's capture)."""

    def __init__(self):
        super().__init__(sys.stdout)

    @property
    def stream(self):  # type: ignore[override]
        return sys.stdout

    @stream.setter
    def stream(self, _value):
        pass


class _ContextFilter(logging.Filter):
    """Puts the current unit of work's keys on every record (the formatter prints them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            if value is not None and not hasattr(record, key):
                setattr(record, key, value)
        return True


def setup() -> None:
    """Configure the JSON log handler once per container (cheap to call again)."""
    global _configured
    if _configured:
        return
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    from chalicelib.settings import get_settings

    level = getattr(logging, get_settings().log_level, logging.INFO)
    handler = _StdoutHandler()
    handler.setFormatter(LambdaPowertoolsFormatter(service="crowdfix", utc=True))
    handler.addFilter(_ContextFilter())
    for name in LOGGERS:
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False  # one line per record: Lambda's root handler would print it again
    _configured = True


@contextmanager
def context(**keys: Any) -> Iterator[None]:
    """``with context(booking_id=..., record_id=...):`` every log line inside carries these keys."""
    token = _context.set({**_context.get(), **{k: v for k, v in keys.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def current() -> dict:
    return dict(_context.get())


def metric(name: str, value: float = 1, unit: str = "Count", **dimensions: str) -> None:
    """One business or failure metric as an EMF line (CloudWatch makes it a metric)."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    dims = {k: str(v) for k, v in dimensions.items() if v is not None}
    with single_metric(name=name, unit=getattr(MetricUnit, unit), value=value, namespace="crowdfix",
                       default_dimensions=dims or None) as m:
        m.add_metadata("context", current())


def http_middleware(event, get_response):
    """Chalice HTTP middleware: JSON logs with the request id (and booking id of the path)."""
    setup()
    ctx = getattr(event, "context", None) or {}
    params = getattr(event, "uri_params", None) or {}
    with context(request_id=ctx.get("requestId"), booking_id=params.get("booking_id"),
                 tenant_id=params.get("tenant_id")):
        return get_response(event)
