"""The web app's own words (web/src/i18n*.js), read through node, so that a journey in any language
finds the same labels the person reads."""
from __future__ import annotations

import json
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@lru_cache(maxsize=1)
def words() -> dict:
    script = """
globalThis.localStorage = { getItem: () => null, setItem() {} };
globalThis.navigator = { language: "de" }; globalThis.location = { pathname: "/" }; globalThis.addEventListener = () => {};
const m = await import(process.argv[1] + "/web/src/i18n.js");
const h = await import(process.argv[1] + "/web/src/i18n_helper.js");
const p = await import(process.argv[1] + "/web/src/i18n_photo.js");
const k = await import(process.argv[1] + "/web/src/i18n_link.js");
const out = {};
for (const l of m.LANGS) out[l] = { ...m.MESSAGES[l], ...h.HELPER_TEXTS[l], ...p.PHOTO_TEXTS[l], ...k.LINK[l] };
console.log(JSON.stringify(out));
"""
    node = shutil.which("node")
    assert node, "node is missing: run `bash scripts/bootstrap.sh`"
    out = subprocess.run([node, "--input-type=module", "-e", script, str(ROOT)], capture_output=True, text=True,
                         check=True, cwd=ROOT / "web")
    return json.loads(out.stdout)


def fill(template: str, **values) -> str:
    for k, v in values.items():
        template = template.replace("{" + k + "}", str(v))
    return template
