"""One way to import late: ``svc = lazy("chalicelib.services.bookings")`` at the top of a handler
module names the dependency where a reader looks for it, and the module is imported on the first
attribute access (the first request that uses it), not at ``import app``. Cold start stays small
(``tests/unit/test_cold_start_imports.py``). ``infra/derive.py`` reads these handles as imports when it
works out what each function may touch, so write the module name as a literal."""
from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """A module handle that imports its module on first use and then behaves as the module."""

    __slots__ = ("_name", "_module")

    def __init__(self, name: str):
        self._name = name
        self._module: ModuleType | None = None

    def _load(self) -> ModuleType:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return self._module

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._load(), attr)

    def __repr__(self) -> str:
        state = "loaded" if self._module is not None else "not loaded yet"
        return f"<lazy module {self._name!r} ({state})>"


def lazy(name: str) -> Any:
    """A handle on module ``name`` (dotted, absolute) that imports it on first attribute access."""
    return LazyModule(name)
