"""Every word a screen asks for exists in all four languages (issue 14.7): each ``t("key")`` in
web/src is looked up in de, fr, it and en as node reads the app's own texts (tests/journey/words.py),
so a text added to one language only, or a key typed wrong, fails here before anyone sees the key
or the English fallback. Keys built at run time (``t("cat_" + c)``) are checked by their prefix:
every language has the same set of them."""
from __future__ import annotations

import re
from pathlib import Path

from tests.journey.words import words

SRC = Path(__file__).resolve().parents[2] / "web" / "src"
LITERAL = re.compile(r"""\bt\(\s*["']([a-z][a-z0-9_]*)["'](?!\s*\+)""")
PREFIX = re.compile(r"""\bt\(\s*["']([a-z][a-z0-9_]*)["']\s*\+""")


def _uses() -> tuple[dict[str, set[str]], set[str]]:
    keys: dict[str, set[str]] = {}
    prefixes: set[str] = set()
    for f in sorted(SRC.glob("*.js*")):
        text = f.read_text()
        for k in LITERAL.findall(text):
            keys.setdefault(k, set()).add(f.name)
        prefixes.update(PREFIX.findall(text))
    return keys, prefixes


def test_every_key_a_screen_uses_exists_in_every_language():
    W = words()
    keys, _ = _uses()
    assert len(keys) > 200  # the scan found the app's texts
    missing = {lang: sorted(f"{k} ({', '.join(sorted(files))})" for k, files in keys.items() if W[lang].get(k) is None)
               for lang in ("de", "fr", "it", "en")}
    assert missing == {"de": [], "fr": [], "it": [], "en": []}


def test_keys_built_at_run_time_exist_alike_in_every_language():
    W = words()
    _, prefixes = _uses()
    assert prefixes  # e.g. cat_, mode_, tab_
    for p in sorted(prefixes):
        sets = {lang: {k for k in W[lang] if k.startswith(p)} for lang in ("de", "fr", "it", "en")}
        assert sets["en"], p
        assert sets["de"] == sets["fr"] == sets["it"] == sets["en"], (p, {l: sorted(sets["en"] ^ s) for l, s in sets.items()})
