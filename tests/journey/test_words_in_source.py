"""Every word a screen asks for exists in all four languages (issue 14.7): each ``t("key")`` in
web/src is looked up in de, fr, it and en as node reads the app's own texts (web/src/words/, one
module per part of the app and language, through tests/journey/words.py), so a text added to one language only, or a key typed wrong, fails here before anyone sees the key
or the English fallback. Keys built at run time (``t("cat_" + c)``) are checked by their prefix:
every language has the same set of them."""
from __future__ import annotations

import re
from pathlib import Path

from tests.journey.words import parts, words

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


def test_each_part_has_the_same_keys_in_every_language():
    """A reader loads one language's module of a part (web/src/i18n.js): switching language loads the
    other's, so each part must carry the same keys in all four, and none twice across parts."""
    P = parts()
    assert set(P) == {"app", "helper", "link"}
    for part, by_lang in P.items():
        assert set(by_lang) == {"de", "en", "fr", "it"}, part
        keys = {lang: set(table) for lang, table in by_lang.items()}
        assert keys["de"] == keys["fr"] == keys["it"] == keys["en"], (part, {l: sorted(keys["en"] ^ k) for l, k in keys.items()})
    seen: dict[str, str] = {}
    for part, by_lang in P.items():
        for k in by_lang["en"]:
            assert k not in seen, f"{k} is in both {seen[k]} and {part}"
            seen[k] = part


# which parts of the words a screen's file has loaded when it shows (web/src/screens.js)
PART_OF_FILE = {"helper.jsx": {"app", "helper"}, "photo.jsx": {"app", "helper"}, "pay.jsx": {"app", "link"}}


def test_every_screen_finds_its_words_in_the_parts_it_loads():
    """The customer app has only the ``app`` words (the helper app's and the payment link's come with
    their screens): a key a customer screen asks for that lives in another part would show as the key."""
    P = parts()
    keys, _ = _uses()
    wrong = sorted(f"{k} ({f})" for k, files in keys.items() for f in files
                   if not any(k in P[part]["de"] for part in PART_OF_FILE.get(f, {"app"})))
    assert wrong == []
