"""Density hints every container reads (``geo-hints``)."""
from __future__ import annotations

from datetime import timedelta

from chalicelib.store import current
from chalicelib.store.records import GeoHintRecord


class GeoHints:
    """Density hints every container reads (``models.geo_hints``); they expire after ``ttl``."""

    def get(self, key: str) -> GeoHintRecord | None:
        from chalicelib.models.geo_hints import GeoHint
        try:
            row = GeoHint.get(key)
        except GeoHint.DoesNotExist:
            return None
        return GeoHintRecord(key=key, density=float(row.density), updated_at=float(row.updated_at),
                             read_density=float(row.read_density) if row.read_density is not None else None)

    def put(self, hint: GeoHintRecord, ttl: timedelta) -> None:
        from chalicelib.models.geo_hints import GeoHint
        GeoHint(hint.key, density=hint.density, read_density=hint.read_density, updated_at=hint.updated_at,
                ttl=ttl).save()


_geo_hints = GeoHints()


def geo_hints() -> GeoHints:
    """The geo hints repository in force (DynamoDB unless a test put a twin in place)."""
    return current("geo_hints") or _geo_hints
