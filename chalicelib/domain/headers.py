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


# ---------------------------------------------------------------------------------------------
# the caller's address behind CloudFront

ORIGIN_HEADER = "x-crowdfix-origin"  # set by CloudFront on every request to the API (infra/stack.py)
VIEWER_ADDRESS_HEADER = "cloudfront-viewer-address"


def _ip(text: str | None) -> str | None:
    import ipaddress

    try:
        return str(ipaddress.ip_address((text or "").strip())) if text else None
    except ValueError:
        return None


def client_address(headers, source_ip: str | None, origin_token: str | None) -> str | None:
    """The address per-client limits count. Behind CloudFront every request reaches API Gateway
    from a CloudFront address, so the viewer's own one is read from ``CloudFront-Viewer-Address``
    (``ip:port``) — but only when the request carries CloudFront's origin header with the
    deployment's token, i.e. it came through CloudFront (which overwrites a viewer's header of
    that name). Without that token (local stage, or a call that went around CloudFront) the
    source address API Gateway saw counts. ``X-Forwarded-For`` and other client-settable
    headers never do."""
    import hmac

    headers = {str(k).lower(): v for k, v in dict(headers or {}).items()}
    sent = headers.get(ORIGIN_HEADER)
    if origin_token and sent and hmac.compare_digest(str(sent).encode(), str(origin_token).encode()):
        viewer = str(headers.get(VIEWER_ADDRESS_HEADER) or "")
        ip = _ip(viewer.rsplit(":", 1)[0] if ":" in viewer else viewer)
        if ip:
            return ip
    return _ip(source_ip)


# ---------------------------------------------------------------------------------------------
# frame-ancestors of the embedded booking flow, per tenant, without a lookup at the edge
#
# The widget script (served by the API, which knows the tenant) points its iframe at the web app
# with the tenant's registered origins and an expiry, signed with the deployment's key. In AWS a
# CloudFront Function (infra/frame_policy.py) checks the signature on every response of the web
# app and writes ``frame-ancestors`` from it: the signed origins, or ``'self'`` alone when the
# signature is missing, wrong or expired. Changing the origins in the URL breaks the signature, so
# a page can only be framed by the origins its tenant registered.

EMBED_VALID_SECONDS = 2 * 24 * 3600
_ORIGIN = re.compile(r"^https://[a-z0-9.\-]+(:[0-9]{1,5})?$|^http://(127\.0\.0\.1|localhost)(:[0-9]{1,5})?$")


def _embed_message(tenant: str, origins: str, expires: str) -> bytes:
    return f"frame-ancestors|{tenant}|{origins}|{expires}".encode()


def sign_embed(key: str, tenant: str, origins, now: float) -> dict[str, str]:
    """The query parameters that let ``origins`` frame ``tenant``'s embedded flow until about two
    days from now (the expiry is a whole day, so the widget script stays cacheable)."""
    import hmac

    fa = " ".join(o for o in origins if _ORIGIN.match(o))
    expires = str((int(now) // 86400 + 2) * 86400)
    sig = hmac.new(key.encode(), _embed_message(tenant, fa, expires), hashlib.sha256).hexdigest()
    return {"fa": fa, "exp": expires, "sig": sig}


def embed_frame_ancestors(query, key: str | None, now: float) -> tuple[str, ...]:
    """The origins a request's signed embed parameters allow (the CloudFront Function does the
    same); nothing when they are missing, altered or expired."""
    import hmac

    q = {k: (v[0] if isinstance(v, (list, tuple)) else v) for k, v in dict(query or {}).items()}
    tenant, fa, expires, sig = (str(q.get(k) or "") for k in ("tenant", "fa", "exp", "sig"))
    if not (key and q.get("embed") == "1" and tenant and fa and expires.isdigit() and sig):
        return ()
    if int(expires) < now or int(expires) > now + EMBED_VALID_SECONDS + 86400:
        return ()
    good = hmac.new(key.encode(), _embed_message(tenant, fa, expires), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(good, sig):
        return ()
    return tuple(o for o in fa.split(" ") if _ORIGIN.match(o))[:10]
