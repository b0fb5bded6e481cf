"""What localstripe lacks, added to the same local server so the gateway talks to one base URL.

localstripe serves customers, payment methods, payment intents (manual capture), refunds and signed
webhooks. It has no Stripe Connect and ignores ``Idempotency-Key``. :func:`extend` adds to its
aiohttp app, in memory:

- **Idempotency-Key replay**: a POST with a key seen before (same API key) gets the first answer
  back (``Idempotent-Replayed: true``), as Stripe does for 24 h. Without it a retried settlement
  would charge twice locally even though it would not in production.
- **Connect stand-in**: ``POST/GET /v1/accounts``, ``POST /v1/account_links``, ``POST/GET
  /v1/transfers`` (destination must be payout-ready; with ``source_transaction`` the charge must
  exist and the transfers from it may not exceed what it captured), ``POST
  /v1/transfers/{id}/reversals`` (never more than the transfer).
- **Onboarding page** ``GET /_config/local/connect/onboard/{account}``: the account-link URL. Opening it
  completes onboarding (charges and payouts enabled) and sends a signed ``account.updated`` event
  through localstripe's webhook machinery, then redirects to the link's ``return_url``.
- ``POST /_config/local/disputes`` ``{"charge": "ch_..."}``: sends a signed ``charge.dispute.created``.
- ``GET /_config/local/transfers``: every transfer and reversal (what the helper payouts would be).
- **Card entry**: ``Stripe(pk).createPaymentMethod({type: "card", card})`` in the served Stripe.js
  and ``POST /v1/payment_methods`` with a publishable key, so the web app takes a typed card locally
  exactly as it does with real Stripe Elements (test card 4242 4242 4242 4242).

Real Stripe does all this itself; the gateway (``chalicelib/adapters/stripe_gateway.py``) makes the
same calls either way.
"""
from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from urllib.parse import quote

_accounts: dict[str, dict] = {}
_transfers: dict[str, dict] = {}
_links: dict[str, dict] = {}
_replies: dict[tuple[str, str, str], tuple[int, bytes, str]] = {}


def _id(prefix: str) -> str:
    return prefix + secrets.token_hex(7)


class _Obj:
    """Enough of a localstripe object for its ``Event`` (which calls ``_export``)."""

    def __init__(self, data: dict):
        self.data = data

    def _export(self, **_):
        return dict(self.data)


def _send_event(event_type: str, data: dict) -> None:
    from localstripe.resources import Event
    from localstripe.webhooks import schedule_webhook

    schedule_webhook(Event(event_type, _Obj(data)))


def extend(app) -> None:
    """Add the idempotency middleware and the Connect routes to localstripe's aiohttp ``app``
    (before it starts)."""
    from aiohttp import web
    from localstripe.errors import UserError
    from localstripe.server import get_post_data, json_response, unflatten_data

    @web.middleware
    async def idempotency(request, handler):
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key:
            return await handler(request)
        cache_key = (request.headers.get("Authorization", ""), request.path, key)
        hit = _replies.get(cache_key)
        if hit:
            status, body, ctype = hit
            return web.Response(status=status, body=body, content_type=ctype.split(";")[0],
                                headers={"Idempotent-Replayed": "true"})
        response = await handler(request)
        if response.status < 500 and getattr(response, "body", None) is not None:
            _replies[cache_key] = (response.status, bytes(response.body), response.content_type)
        return response

    app.middlewares.append(idempotency)

    @web.middleware
    async def card_entry(request, handler):
        """Stripe.js card entry, locally. localstripe's Stripe.js has no ``createPaymentMethod``
        and its server refuses a publishable key on ``POST /v1/payment_methods``; real Stripe
        allows both (that is how Stripe.js turns a typed card into ``pm_...``)."""
        if request.method == "GET" and request.path == "/js.stripe.com/v3/":
            response = await handler(request)
            return web.Response(text=response.text + CARD_ENTRY_JS, content_type="application/javascript",
                                headers={"Cache-Control": "no-store"})
        if (request.method == "POST" and request.path == "/v1/payment_methods"
                and "Authorization" not in request.headers):
            data = await get_post_data(request, remove_auth=False) or {}
            if not str(data.get("key", "")).startswith("pk_"):
                raise UserError(401, "Unauthorized")
            for field in ("key", "payment_user_agent", "referrer"):
                data.pop(field, None)
            from localstripe.resources import PaymentMethod
            return json_response(PaymentMethod._api_create(**data)._export())
        return await handler(request)

    def account_view(acct: dict) -> dict:
        return dict(acct)

    async def create_account(request):
        data = await get_post_data(request) or {}
        acct = {"id": _id("acct_"), "object": "account", "type": data.get("type", "express"),
                "email": data.get("email"), "country": data.get("country", "CH"),
                "metadata": data.get("metadata") or {}, "charges_enabled": False, "payouts_enabled": False,
                "details_submitted": False, "capabilities": {"transfers": "inactive"}, "created": int(time.time())}
        _accounts[acct["id"]] = acct
        return json_response(account_view(acct))

    def get_acct(acct_id: str) -> dict:
        acct = _accounts.get(acct_id)
        if acct is None:
            raise UserError(404, f"No such account: {acct_id}")
        return acct

    async def retrieve_account(request):
        return json_response(account_view(get_acct(request.match_info["id"])))

    async def create_account_link(request):
        data = await get_post_data(request) or {}
        acct = get_acct(data.get("account", ""))
        if not data.get("return_url") or not data.get("refresh_url"):
            raise UserError(400, "return_url and refresh_url are required")
        token = secrets.token_urlsafe(12)
        _links[token] = {"account": acct["id"], "return_url": data["return_url"]}
        base = f"{request.scheme}://{request.host}"
        return json_response({"object": "account_link", "created": int(time.time()),
                              "expires_at": int(time.time()) + 300,
                              "url": f"{base}/_config/local/connect/onboard/{acct['id']}?link={quote(token)}"})

    async def onboard(request):
        acct = get_acct(request.match_info["id"])
        link = _links.get(request.query.get("link", ""))
        if not link or link["account"] != acct["id"]:
            raise UserError(400, "this onboarding link is not valid")
        acct.update(charges_enabled=True, payouts_enabled=True, details_submitted=True,
                    capabilities={"transfers": "active"})
        _send_event("account.updated", account_view(acct))
        raise web.HTTPFound(link["return_url"])

    def charge_captured(charge_id: str) -> int:
        from localstripe.resources import Charge

        charge = Charge._api_retrieve(charge_id)
        if charge.status != "succeeded" or not charge.captured:
            raise UserError(400, f"charge {charge_id} is not captured")
        return int(charge.amount) - int(charge.amount_refunded or 0)

    async def create_transfer(request):
        data = await get_post_data(request) or {}
        try:
            amount = int(data.get("amount"))
        except (TypeError, ValueError):
            raise UserError(400, "amount must be an integer") from None
        if amount <= 0:
            raise UserError(400, "amount must be positive")
        dest = get_acct(data.get("destination", ""))
        if not dest["payouts_enabled"]:
            raise UserError(400, f"account {dest['id']} cannot receive transfers yet (onboarding not done)")
        source = data.get("source_transaction")
        if source:
            already = sum(t["amount"] - t["amount_reversed"] for t in _transfers.values()
                          if t["source_transaction"] == source)
            if already + amount > charge_captured(source):
                raise UserError(400, "transfers from this charge would exceed what it captured")
        tr = {"id": _id("tr_"), "object": "transfer", "amount": amount, "currency": data.get("currency"),
              "destination": dest["id"], "transfer_group": data.get("transfer_group"),
              "source_transaction": source, "metadata": data.get("metadata") or {}, "amount_reversed": 0,
              "reversals": {"object": "list", "data": []}, "reversed": False, "created": int(time.time())}
        _transfers[tr["id"]] = tr
        return json_response(tr)

    def get_transfer(tr_id: str) -> dict:
        tr = _transfers.get(tr_id)
        if tr is None:
            raise UserError(404, f"No such transfer: {tr_id}")
        return tr

    async def retrieve_transfer(request):
        return json_response(get_transfer(request.match_info["id"]))

    async def list_transfers(request):
        q = unflatten_data(request.query) or {}
        rows = [t for t in _transfers.values()
                if all(t.get(k) == q[k] for k in ("transfer_group", "destination") if k in q)]
        return json_response({"object": "list", "data": rows, "has_more": False})

    async def reverse(request):
        tr = get_transfer(request.match_info["id"])
        data = await get_post_data(request) or {}
        amount = int(data.get("amount") or tr["amount"] - tr["amount_reversed"])
        if amount <= 0 or tr["amount_reversed"] + amount > tr["amount"]:
            raise UserError(400, "a reversal cannot exceed what is left of the transfer")
        rev = {"id": _id("trr_"), "object": "transfer_reversal", "amount": amount, "transfer": tr["id"],
               "currency": tr["currency"], "created": int(time.time())}
        tr["amount_reversed"] += amount
        tr["reversed"] = tr["amount_reversed"] == tr["amount"]
        tr["reversals"]["data"].append(rev)
        return json_response(rev)

    async def dispute(request):
        data = await get_post_data(request) or {}
        from localstripe.resources import Charge

        charge = Charge._api_retrieve(data.get("charge", ""))
        obj = {"id": _id("dp_"), "object": "dispute", "charge": charge.id, "amount": charge.amount,
               "currency": charge.currency, "payment_intent": getattr(charge, "payment_intent", None),
               "reason": data.get("reason", "fraudulent"), "status": "needs_response"}
        _send_event("charge.dispute.created", obj)
        return json_response(obj)

    async def all_transfers(request):
        return json_response({"transfers": list(_transfers.values()), "accounts": list(_accounts.values())})

    app.middlewares.insert(1, card_entry)  # after localstripe's error middleware, before its auth

    app.router.add_post("/v1/accounts", create_account)
    app.router.add_get("/v1/accounts/{id}", retrieve_account)
    app.router.add_post("/v1/account_links", create_account_link)
    app.router.add_post("/v1/transfers", create_transfer)
    app.router.add_get("/v1/transfers", list_transfers)
    app.router.add_get("/v1/transfers/{id}", retrieve_transfer)
    app.router.add_post("/v1/transfers/{id}/reversals", reverse)
    app.router.add_get("/_config/local/connect/onboard/{id}", onboard)
    app.router.add_post("/_config/local/disputes", dispute)
    app.router.add_get("/_config/local/transfers", all_transfers)


# Appended to localstripe's Stripe.js (same script, so LOCALSTRIPE_BASE_API and Stripe are in scope):
# createPaymentMethod({type: "card", card: element}) as Stripe.js has it, and labelled, large
# inputs (localstripe's have only placeholders, which screen readers and seniors do not get).
CARD_ENTRY_JS = r"""
;(function () {
  const LABELS = {number: 'Card number', exp_month: 'Expiry month (MM)', exp_year: 'Expiry year (YY)',
                  cvc: 'Security code (CVC)', postal_code: 'Postcode'};
  const AUTOCOMPLETE = {number: 'cc-number', exp_month: 'cc-exp-month', exp_year: 'cc-exp-year',
                        cvc: 'cc-csc', postal_code: 'postal-code'};
  const original = Stripe;
  const fail = (message) => ({error: {type: 'validation_error', message}});
  Stripe = window.Stripe = function (apiKey) {
    const stripe = original(apiKey);
    const elements = stripe.elements;
    stripe.elements = function () {
      const group = elements();
      const create = group.create;
      group.create = function (type, options) {
        const element = create.call(group, type, options);
        const mount = element.mount.bind(element);
        element.mount = function (target) {
          mount(target);
          Object.keys(element._inputs || {}).forEach((field) => {
            const input = element._inputs[field];
            input.setAttribute('aria-label', LABELS[field]);
            input.setAttribute('placeholder', LABELS[field]);
            input.setAttribute('autocomplete', AUTOCOMPLETE[field]);
            input.setAttribute('inputmode', 'numeric');
            input.setAttribute('name', field);
          });
        };
        return element;
      };
      return group;
    };
    stripe.createPaymentMethod = async function (arg) {
      const element = arg && arg.card;
      const v = element && element.value && element.value.card;
      if (!v || !/^[0-9]{16}$/.test(v.number || '')) return fail('Your card number is incomplete: type the 16 digits.');
      if (!/^(0?[1-9]|1[0-2])$/.test(v.exp_month || '')) return fail('Type the expiry month as two digits, e.g. 04.');
      if (!/^20[0-9]{2}$/.test(v.exp_year || '')) return fail('Type the expiry year as two digits, e.g. 29.');
      if (!/^[0-9]{3}$/.test(v.cvc || '')) return fail('Type the three-digit security code from the back of the card.');
      const body = new URLSearchParams({key: apiKey, type: 'card', 'card[number]': v.number,
        'card[exp_month]': v.exp_month, 'card[exp_year]': v.exp_year, 'card[cvc]': v.cvc});
      if (element.value.postal_code) body.set('billing_details[address][postal_code]', element.value.postal_code);
      try {
        const response = await fetch(LOCALSTRIPE_BASE_API + '/v1/payment_methods', {method: 'POST', body});
        const res = await response.json().catch(() => ({}));
        if (response.status !== 200 || res.error) return {error: res.error || {message: 'The card was not accepted.'}};
        return {paymentMethod: res};
      } catch (err) {
        return fail('The card service did not answer. Try again in a moment.');
      }
    };
    return stripe;
  };
})();
"""


# -- make dev: local Stripe credentials and the webhook endpoint --------------------------------

def local_stripe_env(state_dir: Path) -> dict[str, str]:
    """A random local ``sk_test_`` key and webhook secret, kept in ``.local/`` (git-ignored)."""
    path = Path(state_dir) / "stripe.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"key": "sk_test_local" + secrets.token_hex(12),
                                    "webhook": "whsec_" + secrets.token_hex(24)}))
        path.chmod(0o600)
    data = json.loads(path.read_text())
    # the sandbox's test-mode key (stripe_gateway: a test booking's calls); localstripe takes any sk_test_
    test_key = data.get("test_key") or "sk_test_sandbox" + secrets.token_hex(12)
    if "test_key" not in data:
        path.write_text(json.dumps({**data, "test_key": test_key}))
    return {"CROWDFIX_STRIPE_SECRET_KEY": data["key"], "CROWDFIX_STRIPE_TEST_SECRET_KEY": test_key,
            "CROWDFIX_STRIPE_WEBHOOK_SECRET": data["webhook"],
            "CROWDFIX_STRIPE_PUBLISHABLE_KEY": LOCAL_PUBLISHABLE_KEY,
            "CROWDFIX_STRIPE_TEST_PUBLISHABLE_KEY": LOCAL_TEST_PUBLISHABLE_KEY}


# A publishable key is public by design (it only lets a browser turn a card into a PaymentMethod);
# localstripe accepts any pk_ key.
LOCAL_PUBLISHABLE_KEY = "pk_test_crowdfix_local"
LOCAL_TEST_PUBLISHABLE_KEY = "pk_test_crowdfix_sandbox"  # the sandbox's (a sandbox booking's payment link)


def register_webhook(stripe_url: str, target_url: str, secret: str, name: str = "crowdfix") -> None:
    """Tell localstripe to send signed events to ``target_url`` (localstripe's own config route)."""
    import urllib.parse
    import urllib.request

    body = urllib.parse.urlencode({"url": target_url, "secret": secret}).encode()
    urllib.request.urlopen(urllib.request.Request(f"{stripe_url}/_config/webhooks/{name}", data=body,
                                                  method="POST"), timeout=5).read()
