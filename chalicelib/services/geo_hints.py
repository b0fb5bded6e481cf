"""Density hints every container reads (``domain.geo_search`` sizes a search's first step with them).

A warm container learns from its own searches where in a partition its first step should end; a
fresh one used to start blind (a small circle, then widening: more sequential queries). The hints
now live in DynamoDB as well (``store.geo_hints``): a container reads a partition's hint once
(then keeps it in memory, re-reading after ``REFRESH_SECONDS``), and writes back what its searches
learn only when it differs by more than ``CHANGE`` or is older than ``REFRESH_SECONDS`` — a few
writes per partition and hour, not one per search. A hint never changes an answer, so a failed read
or write only costs a search its head start: it is logged and the search goes on.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from chalicelib.domain.geo_search import MemoryHints
from chalicelib.store.geo_hints import geo_hints as geo_hints_store
from chalicelib.store.records import GeoHintRecord

log = logging.getLogger(__name__)
REFRESH_SECONDS = 600
CHANGE = 0.25
TTL_SECONDS = 24 * 3600


def _key(key: tuple) -> str:
    return "|".join(str(k) for k in key)


class SharedHints(MemoryHints):
    """Memory first, then the shared table."""

    def __init__(self):
        super().__init__()
        self.fetched: dict[tuple, float] = {}  # key -> when the table was last read for it
        self.written: dict[tuple, tuple[float, float]] = {}  # key -> (density written, when)
        self.lock = threading.Lock()

    def get(self, key: tuple):
        now = time.time()
        known = self.known.get(key)
        if known is not None and now - self.fetched.get(key, now) < REFRESH_SECONDS:
            return known
        try:
            row = geo_hints_store().get(_key(key))
        except Exception as exc:  # noqa: BLE001 — the table unreachable: no head start
            log.warning("density hint %s not read: %s", _key(key), exc)
            row = None
        if row is not None:
            value = (row.density, row.read_density)
            with self.lock:
                self.written[key] = (value[0], row.updated_at)
        else:
            value = known
        with self.lock:
            self.fetched[key] = now
            if value is not None:
                MemoryHints.put(self, key, value)
        return value

    def put(self, key: tuple, value) -> None:
        MemoryHints.put(self, key, value)
        now = time.time()
        with self.lock:
            last = self.written.get(key)
            stale = last is None or now - last[1] >= REFRESH_SECONDS or \
                abs(value[0] - last[0]) > CHANGE * max(last[0], 1e-9)
            if not stale:
                return
            self.written[key] = (value[0], now)
        try:
            geo_hints_store().put(GeoHintRecord(_key(key), density=value[0], read_density=value[1], updated_at=now),
                                  ttl=timedelta(seconds=TTL_SECONDS))
        except Exception as exc:  # noqa: BLE001 — the next search writes it again
            log.warning("density hint %s not written: %s", _key(key), exc)
            with self.lock:
                self.written.pop(key, None)

    def clear(self) -> None:
        with self.lock:
            super().clear()
            self.fetched.clear()
            self.written.clear()


_shared: SharedHints | None = None


def shared_hints() -> SharedHints:
    global _shared
    if _shared is None:
        _shared = SharedHints()
    return _shared
