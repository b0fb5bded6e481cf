"""Request bodies of the helper self-service API (profile, area, skills, availability).

Money is integer minor units; the currency is the helper's tenant currency and is not set here.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional

from pydantic import Field, field_validator, model_validator

from chalicelib.domain.catalog import CATEGORIES, LANGUAGES
from chalicelib.domain.schemas import Strict

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")


class Area(Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_km: int = Field(ge=1, le=100, description="how far the helper travels for on-site jobs")
    city: Optional[str] = Field(default=None, max_length=80)


class HelperProfileUpdate(Strict):
    """Everything a helper may change about themselves. Status, rating and identity are not here:
    they belong to vetting and reviews."""
    first_name: Optional[str] = Field(default=None, min_length=1, max_length=60)
    bio: Optional[str] = Field(default=None, max_length=600)
    phone: Optional[str] = Field(default=None, pattern=r"^\+?[0-9 ()\-]{6,20}$")
    skills: Optional[Dict[str, int]] = Field(default=None, description="category -> 1 basics, 2 experienced, 3 specialist")
    area: Optional[Area] = None
    hourly_rate: Optional[int] = Field(default=None, ge=1000, le=50000, description="minor units per hour")
    languages: Optional[List[str]] = Field(default=None, min_length=1, max_length=4)
    remote: Optional[bool] = None

    @field_validator("skills")
    @classmethod
    def _skills(cls, v):
        if v is None:
            return v
        if not v:
            raise ValueError("choose at least one kind of problem you can help with")
        for cat, level in v.items():
            if cat not in CATEGORIES:
                raise ValueError(f"unknown category {cat!r}; use one of {', '.join(CATEGORIES)}")
            if level not in (1, 2, 3):
                raise ValueError(f"the level for {cat} must be 1 (basics), 2 (experienced) or 3 (specialist)")
        return v

    @field_validator("languages")
    @classmethod
    def _languages(cls, v):
        if v is None:
            return v
        bad = [lang for lang in v if lang not in LANGUAGES]
        if bad:
            raise ValueError(f"unknown language {bad[0]!r}; use {', '.join(LANGUAGES)}")
        return sorted(set(v))

    @model_validator(mode="after")
    def _something(self):
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self


class HelperAvailabilityUpdate(Strict):
    """Weekly hours (local time, Europe/Zurich) as a list of [from, to] per weekday, the on-call
    switch (offers at any hour) and off duty (no offers at all, e.g. on holiday)."""
    weekly: Dict[str, List[List[str]]] = Field(default_factory=dict)
    on_call: bool = False
    off_duty: bool = False

    @field_validator("weekly")
    @classmethod
    def _weekly(cls, v):
        for day, spans in v.items():
            if day not in WEEKDAYS:
                raise ValueError(f"unknown weekday {day!r}; use {', '.join(WEEKDAYS)}")
            if len(spans) > 4:
                raise ValueError(f"at most 4 time spans on {day}")
            for span in spans:
                if len(span) != 2 or not all(_HHMM.match(t or "") for t in span):
                    raise ValueError(f"times on {day} must be pairs like [\"08:00\", \"17:00\"]")
                if span[0] >= span[1]:
                    raise ValueError(f"on {day} the end ({span[1]}) must be after the start ({span[0]})")
        return v


