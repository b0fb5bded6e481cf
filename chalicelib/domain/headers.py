"""The browser security headers of every page crowdfix serves: the web app (``localdev/webserver.py``
locally, CloudFront in AWS), and the HTML pages of the API (``/v1/docs``, partner landing pages).

- CSP: only our own origin, plus Stripe.js as Stripe documents it (script and frames from
  ``js.stripe.com`` / ``*.js.stripe.com``, 3-D Secure frames from ``hooks.stripe.com``, API calls to
  ``api.stripe.com``) — locally the localstripe origin that stands in for them. No inline script;
  inline ``<style>`` blocks of server-rendered pages are allowed by their hash only.
- ``frame-ancestors``: the app's own origin, plus, for the embedded booking flow of a tenant, the
  origins that tenant registered for its widget (``widget_origins``); nothing else may frame it.
- HSTS, a referrer policy and a permissions policy (geolocation and payment for our origin and
  Stripe only; camera, microphone and the rest off).

Pure: no I/O.
"""
from __future__ import annotations

import base64
import hashlib
import re

STRIPE_SCRIPT = ("https://js.stripe.com", "https://*.js.stripe.com")
STRIPE_FRAMES = ("https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com")
STRIPE_CONNECT = ("https://api.stripe.com",)

HSTS = "max-age=63072000; includeSubDomains"
REFERRER_POLICY = "strict-origin-when-cross-origin"
PERMISSIONS_POLICY = ("accelerometer=(), camera=(), display-capture=(), geolocation=(self), gyroscope=(), "
                      "magnetometer=(), microphone=(), midi=(), payment=(self \"https://js.stripe.com\"), "
                      "usb=()")


def _join(*parts) -> str:
    out: list[str] = []
    for part in parts:
        for item in ([part] if isinstance(part, str) else part):
            if item and item not in out:
                out.append(item)
    return " ".join(out)


def app_csp(frame_ancestors: tuple[str, ...] = (), stripe_origin: str | None = None,
            photo_origin: str | None = None) -> str:
    """The web app's policy. ``stripe_origin``: the local Stripe stand-in's origin (local only);
    ``photo_origin``: where helper photos are served from (presigned S3 URLs)."""
    local = (stripe_origin,) if stripe_origin else ()
    return "; ".join([
        "default-src 'self'",
        "script-src " + _join("'self'", STRIPE_SCRIPT, local),
        "style-src 'self'",
        "img-src " + _join("'self'", "data:", (photo_origin,) if photo_origin else ()),
        "font-src 'self'",
        "connect-src " + _join("'self'", STRIPE_CONNECT, local),
        "frame-src " + _join(STRIPE_FRAMES, local),
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors " + _join("'self'", frame_ancestors),
    ])


_INLINE_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)
_IMG_SRC = re.compile(r"<img[^>]+src=\"(https://[^\"/]+)/", re.IGNORECASE)


def page_csp(html: str) -> str:
    """The policy of a server-rendered page: no script at all; its inline ``<style>`` blocks by
    hash; images from our origin and from the origins its ``<img>`` tags name (a partner's logo);
    framed by no one."""
    hashes = ["'sha256-" + base64.b64encode(hashlib.sha256(m.encode()).digest()).decode() + "'"
              for m in _INLINE_STYLE.findall(html)]
    images = sorted(set(_IMG_SRC.findall(html)))
    return "; ".join([
        "default-src 'none'",
        "style-src " + _join("'self'", hashes),
        "img-src " + _join("'self'", "data:", images),
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def common_headers() -> dict[str, str]:
    return {"Strict-Transport-Security": HSTS, "Referrer-Policy": REFERRER_POLICY,
            "Permissions-Policy": PERMISSIONS_POLICY, "X-Content-Type-Options": "nosniff",
            "Cross-Origin-Opener-Policy": "same-origin-allow-popups"}


def app_headers(frame_ancestors: tuple[str, ...] = (), stripe_origin: str | None = None,
                photo_origin: str | None = None) -> dict[str, str]:
    headers = {**common_headers(), "Content-Security-Policy": app_csp(frame_ancestors, stripe_origin, photo_origin)}
    if not frame_ancestors:
        headers["X-Frame-Options"] = "SAMEORIGIN"  # for browsers without frame-ancestors
    return headers


def page_headers(html: str) -> dict[str, str]:
    return {**common_headers(), "Content-Security-Policy": page_csp(html), "X-Frame-Options": "DENY"}
