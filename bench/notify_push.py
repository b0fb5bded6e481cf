"""Web Push cost: encrypting (aes128gcm, RFC 8291) + VAPID-signing + posting one notification to the
local stand-in push service, against the peer measured in the same run: sending the same JSON
payload unencrypted to the same server. Median of N interleaved runs (default 40).

    make bench-notify-push      # or: .venv/bin/python bench/notify_push.py --runs 40

Last line: {"metric": "push_send_ms", "value": ..., "unit": "ms", "goal": "< 50", "peer_plain_request_ms": ...}
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    from chalicelib.adapters.webpush import generate_vapid_private_key, send_push
    from localdev.pushserver import PushStandIn

    os.environ["CROWDFIX_VAPID_PRIVATE_KEY"] = generate_vapid_private_key()  # this run only
    server = PushStandIn().start()
    sub = server.subscribe()
    payload = {"title": "Nouvelle mission : imprimante à 8001 Zürich",
               "body": "Une mission vous attend : imprimante à 8001 Zürich. Merci de répondre avant 14:05.",
               "url": "http://127.0.0.1:8080/helper/offers/b_abcdefghijkl", "tag": "offer:b_abcdefghijkl"}
    plain = json.dumps(payload).encode()
    push_ms, plain_ms = [], []
    send_push(sub["endpoint"], sub["keys"]["p256dh"], sub["keys"]["auth"], payload)  # warm imports
    for _ in range(args.runs):
        t = time.perf_counter()
        assert send_push(sub["endpoint"], sub["keys"]["p256dh"], sub["keys"]["auth"], payload) == 201
        push_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        req = urllib.request.Request(f"{server.url}/health", data=plain, method="GET")
        urllib.request.urlopen(req, timeout=5).read()
        plain_ms.append((time.perf_counter() - t) * 1000)
    received = [m for m in server.messages() if m["status"] == 201]
    ok = all(m["payload"] == payload and not m["ciphertext_contains_plaintext"] for m in received)
    server.stop()
    print(f"pushes decrypted by the stand-in: {len(received)} (all match, none plaintext on the wire: {ok})")
    print(json.dumps({"metric": "push_send_ms", "value": round(statistics.median(push_ms), 2), "unit": "ms",
                      "goal": "< 50", "peer_plain_request_ms": round(statistics.median(plain_ms), 2),
                      "runs": args.runs, "ciphertext_bytes": received[-1]["ciphertext_bytes"],
                      "plaintext_bytes": len(plain), "verified": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
