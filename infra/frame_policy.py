"""The web app's Content-Security-Policy at the edge: a CloudFront Function (viewer response) that
writes the policy of ``chalicelib/domain/headers.py`` on every response of the site, with
``frame-ancestors`` per tenant.

Why a function and not the response headers policy: a headers policy is one static value for every
request, so it could only say "any https page may frame the app" or "nobody may". Each tenant
registers its own widget origins (``widget_origins``), which change at run time.

Why a signed URL and not a lookup: the API serves the widget script and knows the tenant, so it
signs the tenant's origins into the iframe URL (``domain.headers.sign_embed``: origins, expiry,
HMAC-SHA256 with the deployment's key, the stack's UUID that CloudFront also sends as its origin
header). The function checks the signature and the expiry and lets exactly those origins frame
the page; anything else gets ``frame-ancestors 'self'`` (and ``X-Frame-Options: SAMEORIGIN``).
No KeyValueStore to keep in step with the tenants table (its API needs SigV4A, i.e. the CRT in the
Lambda package), no Lambda@Edge, no extra request. A removed origin stops working when the last
URL signed for it expires (two days at most).

The API's own responses (``/api/*``) keep the policy the API sets (JSON: ``default-src 'none'``,
pages: ``frame-ancestors 'none'``); the headers policy of the distribution sets no CSP.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from chalicelib.domain import headers as sec  # noqa: E402  (pure, standard library only)

KEY_MARK = "@@FRAME_KEY@@"
PHOTOS_MARK = "@@PHOTOS_DOMAIN@@"


def base_csp(photos_domain: str | None = None) -> str:
    """The app's policy without its ``frame-ancestors`` (the function adds that per request);
    images also from the helper photos bucket (``photos_domain``) where there is one."""
    policy = sec.app_csp(photo_origin=f"https://{photos_domain}" if photos_domain else None)
    return "; ".join(d for d in policy.split("; ") if not d.startswith("frame-ancestors"))


def source(key: str = KEY_MARK, photos_domain: str | None = None) -> str:
    """The function's JavaScript (cloudfront-js-2.0) with ``key`` in it."""
    return """var crypto = require('crypto');
var KEY = %(key)s;
var BASE = %(base)s;
var VALID = %(valid)d;
var ORIGIN = /^https:\\/\\/[a-z0-9.\\-]+(:[0-9]{1,5})?$/;

function param(request, name) {
  var p = request.querystring && request.querystring[name];
  if (!p || typeof p.value !== 'string') return '';
  try { return decodeURIComponent(p.value.replace(/\\+/g, ' ')); } catch (e) { return ''; }
}

function same(a, b) {
  if (a.length !== b.length) return false;
  var d = 0;
  for (var i = 0; i < a.length; i++) { d |= a.charCodeAt(i) ^ b.charCodeAt(i); }
  return d === 0;
}

function ancestors(request) {
  if (param(request, 'embed') !== '1') return [];
  var tenant = param(request, 'tenant'), fa = param(request, 'fa'), exp = param(request, 'exp'),
      sig = param(request, 'sig');
  if (!tenant || !fa || !/^[0-9]+$/.test(exp) || !sig) return [];
  var expires = parseInt(exp, 10), now = Date.now() / 1000;
  if (expires < now || expires > now + VALID + 86400) return [];
  var good = crypto.createHmac('sha256', KEY).update('frame-ancestors|' + tenant + '|' + fa + '|' + exp)
    .digest('hex');
  if (!same(good, sig)) return [];
  return fa.split(' ').filter(function (o) { return ORIGIN.test(o); }).slice(0, 10);
}

function handler(event) {
  var response = event.response;
  var list = ancestors(event.request);
  response.headers['content-security-policy'] = {value: BASE + "; frame-ancestors " + ["'self'"].concat(list).join(' ')};
  if (list.length === 0) {
    response.headers['x-frame-options'] = {value: 'SAMEORIGIN'};
  } else {
    delete response.headers['x-frame-options'];
  }
  return response;
}
""" % {"key": json.dumps(key), "base": json.dumps(base_csp(photos_domain)), "valid": sec.EMBED_VALID_SECONDS}


def function_code(key_token: str, photos_domain_token=None):
    """The CloudFront FunctionCode with the deployment's key and the photos bucket's domain
    (CloudFormation tokens) spliced in."""
    import aws_cdk as cdk
    from aws_cdk import aws_cloudfront as cloudfront

    code = source(photos_domain=PHOTOS_MARK if photos_domain_token is not None else None)
    before, after = code.split(json.dumps(KEY_MARK))
    parts = [before, '"', key_token, '"']
    if photos_domain_token is not None:
        head, tail = after.split(PHOTOS_MARK)
        parts += [head, photos_domain_token, tail]
    else:
        parts.append(after)
    return cloudfront.FunctionCode.from_inline(cdk.Fn.join("", parts))
