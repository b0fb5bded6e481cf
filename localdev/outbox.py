"""The local outbox beyond e-mail: SMS (read back from moto) and Web Push (what the stand-in push
service received and decrypted). ``python -m localdev outbox`` prints all three;
``python -m localdev.outbox`` prints SMS and push only."""
from __future__ import annotations

import json
import sys
import urllib.request


def print_sms_and_push(urls: dict) -> None:
    from localdev.services import read_sent_sms

    for sms in read_sent_sms(urls["moto"]):
        print(json.dumps({"sms": sms}, ensure_ascii=False, indent=2))
    if urls.get("push"):
        try:
            pushed = json.loads(urllib.request.urlopen(f"{urls['push']}/messages", timeout=5).read())
        except OSError as exc:
            print(f"the push stand-in did not answer: {exc}")
            return
        for p in pushed:
            print(json.dumps({"push": {k: p.get(k) for k in ("subscription", "status", "payload", "urgency",
                                                             "ttl", "ciphertext_bytes", "error")}},
                             ensure_ascii=False, indent=2))


def main() -> int:
    from localdev.paths import RUNFILE

    if not RUNFILE.exists():
        print("the local stack is not running: start it with `make dev`")
        return 1
    print_sms_and_push(json.loads(RUNFILE.read_text())["urls"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
