"""First-party attribution (issue 17.7): what the landing page and the widget report, and what a
booking carries. Pure models; the counting is ``services/attribution.py``."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.domain.schemas import Campaign

# the events a page reports (bookings started and completed are counted by the server itself)
PAGE_EVENTS = {"landing_visit": "landing_visits", "widget_open": "widget_opens", "call_click": "call_clicks"}


class AttributionEvent(Campaign):
    """One event a partner page reports (a first-party beacon, no cookie). ``event_id``: chosen by
    the page, unique per event; the same id sent again counts once."""
    event_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    kind: Literal["landing_visit", "widget_open", "call_click"]
