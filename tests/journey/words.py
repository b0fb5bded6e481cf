"""The web app's own words (web/src/words/: one module per part of the app and language, e.g.
``de.js`` the customer app's German, ``helper.fr.js`` the helper app's French), read through node,
so that a journey in any language finds the same labels the person reads."""
from __future__ import annotations

import json
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORDS = ROOT / "web" / "src" / "words"
LANGS = ("de", "en", "fr", "it")


def word_files() -> dict[str, list[Path]]:
    """Per language, its modules (``de.js``, ``helper.de.js``, ``link.de.js`` ...)."""
    out: dict[str, list[Path]] = {lang: [] for lang in LANGS}
    for f in sorted(WORDS.glob("*.js")):
        lang = f.stem.rsplit(".", 1)[-1]
        assert lang in out, f"{f.name}: a words module is named <part>.<lang>.js or <lang>.js"
        out[lang].append(f)
    return out


@lru_cache(maxsize=1)
def _by_file() -> dict[str, dict]:
    files = [str(f) for fs in word_files().values() for f in fs]
    script = """
const out = {};
for (const f of JSON.parse(process.argv[1])) out[f] = (await import(f)).default;
console.log(JSON.stringify(out));
"""
    node = shutil.which("node")
    assert node, "node is missing: run `bash scripts/bootstrap.sh`"
    out = subprocess.run([node, "--input-type=module", "-e", script, json.dumps(files)], capture_output=True,
                         text=True, check=True, cwd=ROOT / "web")
    return json.loads(out.stdout)


def parts() -> dict[str, dict[str, dict]]:
    """Per part of the app (``app``, ``helper``, ``link``), per language, that module's words."""
    out: dict[str, dict[str, dict]] = {}
    for f, table in _by_file().items():
        stem = Path(f).stem
        part, lang = stem.rsplit(".", 1) if "." in stem else ("app", stem)
        out.setdefault(part, {})[lang] = table
    return out


@lru_cache(maxsize=1)
def words() -> dict:
    """All words of each language, every part merged (as the app has them once each part is loaded)."""
    out: dict[str, dict] = {lang: {} for lang in LANGS}
    for by_lang in parts().values():
        for lang, table in by_lang.items():
            out[lang].update(table)
    return out


def fill(template: str, **values) -> str:
    for k, v in values.items():
        template = template.replace("{" + k + "}", str(v))
    return template
