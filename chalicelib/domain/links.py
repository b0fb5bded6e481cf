"""Links into the web app, built from the one route table the web app's router also reads
(``app_routes.json``). Pure: no AWS, no I/O beyond reading that file once."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlencode


@lru_cache(maxsize=1)
def table() -> dict:
    return json.loads((Path(__file__).with_name("app_routes.json")).read_text(encoding="utf-8"))


def path(name: str, **params: str) -> str:
    """The path of screen ``name`` with its parameters filled in (each checked against its pattern)."""
    t = table()
    template = t["routes"][name]
    for key in re.findall(r"{(\w+)}", template):
        value = str(params[key])
        if not re.fullmatch(t["params"][key], value):
            raise ValueError(f"{key}={value!r} does not fit the route {name}")
        template = template.replace("{" + key + "}", quote(value, safe=""))
    return template


def url(base: str, name: str, *, fragment: str | None = None, query: dict | None = None, **params: str) -> str:
    return (base.rstrip("/") + path(name, **params) + ("?" + urlencode(query) if query else "")
            + (f"#{fragment}" if fragment else ""))


def match(p: str) -> tuple[str, dict] | None:
    """Which screen a path opens (routes first, then the older aliases), with its parameters."""
    t = table()
    candidates = [(tpl, name) for name, tpl in t["routes"].items()] + list(t["aliases"].items())
    for tpl, name in candidates:
        rx = "^" + re.sub(r"{(\w+)}", lambda m: f"(?P<{m.group(1)}>{t['params'][m.group(1)]})", tpl) + "/?$"
        m = re.match(rx, p)
        if m:
            return name, m.groupdict()
    return None
