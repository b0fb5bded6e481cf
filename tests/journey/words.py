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
def words() -> dict:
    """All words of each language, every part merged (as the app has them once each part is loaded)."""
    files = {lang: [str(f) for f in fs] for lang, fs in word_files().items()}
    script = """
const files = JSON.parse(process.argv[1]);
const out = {};
for (const l in files) { out[l] = {}; for (const f of files[l]) Object.assign(out[l], (await import(f)).default); }
console.log(JSON.stringify(out));
"""
    node = shutil.which("node")
    assert node, "node is missing: run `bash scripts/bootstrap.sh`"
    out = subprocess.run([node, "--input-type=module", "-e", script, json.dumps(files)], capture_output=True,
                         text=True, check=True, cwd=ROOT / "web")
    return json.loads(out.stdout)


def fill(template: str, **values) -> str:
    for k, v in values.items():
        template = template.replace("{" + k + "}", str(v))
    return template
