"""Server-rendered partner pages: the API reference, the widget script and the landing page.
Pure functions of their inputs; every value from a tenant is escaped (HTML) or JSON-encoded (JS)."""
from __future__ import annotations

import json
from html import escape
from urllib.parse import urlencode

LANG_TEXT = {
    "de": {"book": "Hilfe buchen", "call": "Rufen Sie uns an", "how": "So funktioniert es",
           "steps": ["Beschreiben Sie kurz Ihr Problem.", "Eine Helferin oder ein Helfer aus der Nähe meldet sich.",
                     "Sie zahlen erst, wenn geholfen wurde."], "skip": "Zum Inhalt springen",
           "widget": "Hilfe buchen bei"},
    "en": {"book": "Book help", "call": "Call us", "how": "How it works",
           "steps": ["Tell us briefly what is wrong.", "A helper near you gets in touch.",
                     "You pay only once you have been helped."], "skip": "Skip to content",
           "widget": "Book help with"},
    "fr": {"book": "Réserver de l'aide", "call": "Appelez-nous", "how": "Comment ça marche",
           "steps": ["Décrivez brièvement votre problème.", "Une personne près de chez vous vous contacte.",
                     "Vous payez seulement une fois aidé."], "skip": "Aller au contenu",
           "widget": "Réserver de l'aide chez"},
    "it": {"book": "Prenotare aiuto", "call": "Ci chiami", "how": "Come funziona",
           "steps": ["Descriva brevemente il problema.", "Una persona vicino a lei la contatta.",
                     "Paga solo dopo essere stato aiutato."], "skip": "Vai al contenuto",
           "widget": "Prenotare aiuto con"},
}


def booking_url(tenant: dict, base_url: str, embed: bool, signed: dict | None = None,
                campaign: dict | None = None) -> str:
    """The web app's booking flow for the tenant. ``signed``: the frame-ancestors grant of the
    embedded flow (``domain.headers.sign_embed``), read at the edge in AWS. ``campaign``: the
    affiliate code and UTM parameters the visitor came with, carried into her booking."""
    b = tenant["branding"]
    params = {"tenant": tenant["tenant_id"], "lang": tenant["locale"], "primary": b["primary"], "accent": b["accent"]}
    params.update({k: v for k, v in (campaign or {}).items() if v})
    if embed:
        params["embed"] = "1"
        params.update(signed or {})
    return base_url.rstrip("/") + "/?" + urlencode(params)


def widget_script(tenant: dict, base_url: str, signed: dict | None = None) -> str:
    """One ``<script src=".../widget.js" async></script>`` tag embeds the booking flow: an iframe of
    the web app with the partner's tenant and colours, placed where the tag is (or into the element
    ``data-target`` names), resized by the app's ``crowdfix:height`` messages (only from the app's
    origin and only from its own frame). The page's origin goes into the frame URL (``parent``: the
    only origin the app posts its height to); the affiliate code and campaign come from the tag
    (``data-affiliate``, ``data-campaign``) or the page's own URL (``aff``, ``utm_*``) and are carried
    into the booking."""
    text = LANG_TEXT.get(tenant["locale"], LANG_TEXT["en"])
    config = {"tenant": tenant["tenant_id"], "src": booking_url(tenant, base_url, embed=True, signed=signed),
              "origin": base_url.rstrip("/"), "title": f"{text['widget']} {tenant['name']}",
              "border": tenant["branding"]["primary"]}
    return ("/* crowdfix booking widget for " + json.dumps(tenant["tenant_id"]).replace("*/", "") + " */\n"
            "(function () {\n"
            "  'use strict';\n"
            "  var cfg = " + json.dumps(config).replace("</", "<\\/") + ";\n"
            "  var me = document.currentScript;\n"
            "  var target = me && me.getAttribute('data-target') ? document.getElementById(me.getAttribute('data-target')) : null;\n"
            "  var frame = document.createElement('iframe');\n"
            "  var extra = [['parent', location.origin]];\n"
            "  var here = new URLSearchParams(location.search);\n"
            "  var from = {aff: me && me.getAttribute('data-affiliate'), campaign: me && me.getAttribute('data-campaign')};\n"
            "  ['aff', 'campaign', 'utm_source', 'utm_medium', 'utm_campaign'].forEach(function (k) {\n"
            "    var v = from[k] || here.get(k);\n"
            "    if (v && /^[A-Za-z0-9_.\\-]{1,60}$/.test(v)) { extra.push([k, v]); }\n"
            "  });\n"
            "  frame.src = cfg.src + extra.map(function (p) { return '&' + p[0] + '=' + encodeURIComponent(p[1]); }).join('');\n"
            "  frame.title = cfg.title;\n"
            "  frame.setAttribute('loading', 'lazy');\n"
            "  frame.setAttribute('allow', 'geolocation; payment');\n"
            "  frame.style.cssText = 'width:100%;height:640px;border:0;display:block;';\n"
            "  if (target) { target.appendChild(frame); }\n"
            "  else if (me && me.parentNode) { me.parentNode.insertBefore(frame, me.nextSibling); }\n"
            "  else { document.body.appendChild(frame); }\n"
            "  window.addEventListener('message', function (ev) {\n"
            "    if (ev.origin !== cfg.origin || ev.source !== frame.contentWindow || !ev.data\n"
            "        || ev.data.type !== 'crowdfix:height') { return; }\n"
            "    var h = parseInt(ev.data.height, 10);\n"
            "    if (h > 200 && h < 20000) { frame.style.height = h + 'px'; }\n"
            "  });\n"
            "})();\n")


def campaign_hotline(tenant: dict, campaign: str | None) -> str | None:
    """The campaign's local hotline where the tenant set one, else the tenant's."""
    copy = tenant["landing"]
    return (copy.get("campaign_hotlines") or {}).get(campaign or "") or copy.get("hotline")


def landing_page(tenant: dict, base_url: str, campaign: dict | None = None) -> str:
    """``campaign``: affiliate code and UTM parameters of the visit (carried into the booking link
    and the hotline link, which counts the call first-party and then dials)."""
    campaign = {k: v for k, v in (campaign or {}).items() if v}
    lang = tenant["locale"]
    text = LANG_TEXT.get(lang, LANG_TEXT["en"])
    b, copy = tenant["branding"], tenant["landing"]
    name = escape(tenant["name"])
    logo = (f'<img src="{escape(str(b["logo_url"]))}" alt="{name}" height="48">' if b.get("logo_url")
            else f'<span class="brand">{name}</span>')
    # the partner's own hotline, else the platform's support line: every page has a number to call
    from chalicelib.domain.links import table as _routes
    own = campaign_hotline(tenant, campaign.get("campaign") or campaign.get("utm_campaign"))
    number = own or _routes()["support"]["display"]
    # the partner's number is dialled through /call, which counts the press (no script on this page)
    call_url = (f"/v1/partners/{tenant['tenant_id']}/call" + ("?" + urlencode(campaign) if campaign else "")
                if own else "tel:" + _routes()["support"]["phone"])
    hotline = (f'<p class="hotline">{escape(text["call"])}: <a href="{escape(call_url)}" rel="nofollow">'
               f'{escape(number)}</a></p>')
    steps = "".join(f"<li>{escape(s)}</li>" for s in text["steps"])
    return f"""<!doctype html>
<html lang="{escape(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(copy["headline"])} – {name}</title>
<meta name="description" content="{escape(copy["intro"])}">
<style>
  :root {{ --primary: {b["primary"]}; --accent: {b["accent"]}; --text: {b["text"]}; --bg: {b["background"]}; }}
  * {{ box-sizing: border-box; }}
  body {{ margin: 0; font: 1.25rem/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
         color: var(--text); background: var(--bg); }}
  .skip {{ position: absolute; left: -999px; }} .skip:focus {{ left: 1rem; top: 1rem; background: #fff; padding: .5rem; }}
  header {{ padding: 1rem 1.5rem; border-bottom: 4px solid var(--primary); }}
  .brand {{ font-size: 1.6rem; font-weight: 700; }}
  main {{ max-width: 44rem; margin: 0 auto; padding: 2rem 1.5rem; }}
  h1 {{ font-size: 2.2rem; line-height: 1.2; }}
  .cta {{ display: inline-block; background: var(--primary); color: #fff; font-size: 1.4rem; font-weight: 700;
          padding: 1rem 2rem; border-radius: .6rem; text-decoration: none; min-height: 48px; }}
  .cta:focus, a:focus {{ outline: 4px solid var(--accent); outline-offset: 3px; }}
  ol {{ padding-left: 1.5rem; }} li {{ margin: .5rem 0; }}
  footer {{ padding: 2rem 1.5rem; font-size: 1rem; text-align: center; }}
</style>
</head>
<body>
<a class="skip" href="#main">{escape(text["skip"])}</a>
<header>{logo}</header>
<main id="main">
  <h1>{escape(copy["headline"])}</h1>
  <p>{escape(copy["intro"])}</p>
  <p><a class="cta" href="{escape(booking_url(tenant, base_url, embed=False, campaign=campaign))}">{escape(copy["call_to_action"])}</a></p>
  {hotline}
  <h2>{escape(text["how"])}</h2>
  <ol>{steps}</ol>
</main>
<footer>{name} · crowdfix</footer>
</body>
</html>
"""


def _example(media: dict) -> str:
    import json as _json
    examples = list((media.get("examples") or {}).values())
    if not examples:
        return ""
    return f"<h5>Example</h5><pre>{escape(_json.dumps(examples[0]['value'], indent=2))}</pre>"


def reference_page(doc: dict) -> str:
    """A self-contained, readable reference of the OpenAPI document (no scripts, no CDN)."""
    schemas = doc["components"]["schemas"]
    parts = []
    by_tag: dict[str, list[tuple[str, str, dict]]] = {}
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            by_tag.setdefault(op["tags"][0], []).append((method.upper(), path, op))
    nav = "".join(f'<li><a href="#tag-{escape(t.replace(" ", "-"))}">{escape(t)}</a></li>' for t in by_tag)
    for tag, ops in by_tag.items():
        parts.append(f'<section id="tag-{escape(tag.replace(" ", "-"))}"><h2>{escape(tag)}</h2>')
        for method, path, op in ops:
            auth = ", ".join(next(iter(s)) for s in op.get("security", [])) or "none"
            params = "".join(f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
                             f"<td>{'yes' if p.get('required') else 'no'}</td><td>{escape(_type(p['schema']))}</td>"
                             f"<td>{escape(p.get('description', ''))}</td></tr>" for p in op["parameters"])
            body = ""
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                media = content["application/json"]
                body = (f"<h4>Request body</h4><p><small>{escape(', '.join(content))}</small></p>"
                        f"{_fields(_resolve(media['schema'], schemas), schemas)}{_example(media)}")
            elif content:  # a file (an image): its media types
                body = f"<h4>Request body</h4><p>{escape(', '.join(content))}</p>"
            ok_code = next(iter(op["responses"]))
            answer = op["responses"][ok_code].get("content", {}).get("application/json")
            if answer:
                body += (f"<h4>Response {escape(ok_code)}</h4>{_fields(_resolve(answer['schema'], schemas), schemas)}"
                         f"{_example(answer)}")
            parts.append(
                f'<article id="{escape(op["operationId"])}"><h3><span class="m">{method}</span> <code>{escape(path)}</code></h3>'
                f"<p>{escape(op['summary'])}</p><p><small>auth: {escape(auth)} · success: {escape(ok_code)} · errors: "
                f"{escape(', '.join(c for c in op['responses'] if c[0] in '45'))}</small></p>"
                + (f"<table><tr><th>parameter</th><th>in</th><th>required</th><th>type</th><th></th></tr>{params}</table>"
                   if params else "") + body + "</article>")
        parts.append("</section>")
    hooks = []
    for event, item in (doc.get("webhooks") or {}).items():
        media = item["post"]["requestBody"]["content"]["application/json"]
        hooks.append(f'<article id="webhook-{escape(event)}"><h3><span class="m">POST</span> <code>{escape(event)}</code></h3>'
                     f"<p>{escape(item['post']['summary'])}</p><h4>Payload</h4>"
                     f"{_fields(_resolve(media['schema'], schemas), schemas)}{_example(media)}</article>")
    if hooks:
        nav += '<li><a href="#webhooks">webhooks</a></li>'
        parts.append('<section id="webhooks"><h2>webhooks</h2>' + "".join(hooks) + "</section>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(doc["info"]["title"])} {escape(doc["info"]["version"])} – reference</title>
<style>
 body {{ font: 1.05rem/1.55 system-ui, sans-serif; margin: 0; color: #1a1a1a; }}
 nav {{ background: #f3f5f8; padding: 1rem 2rem; }} nav ul {{ display: flex; flex-wrap: wrap; gap: 1rem; list-style: none; padding: 0; }}
 main {{ max-width: 60rem; margin: 0 auto; padding: 1rem 2rem; }}
 article {{ border-top: 1px solid #d0d5dd; padding: .5rem 0 1rem; }}
 .m {{ display: inline-block; min-width: 4.5rem; font-weight: 700; color: #0b5cad; }}
 table {{ border-collapse: collapse; width: 100%; font-size: .95rem; }} td, th {{ border: 1px solid #d0d5dd; padding: .25rem .5rem; text-align: left; vertical-align: top; }}
 code {{ background: #f3f5f8; padding: 0 .2rem; }}
</style></head>
<body><nav aria-label="sections"><strong>{escape(doc["info"]["title"])} {escape(doc["info"]["version"])}</strong>
<ul>{nav}</ul><p><a href="/v1/openapi.json">openapi.json</a> (OpenAPI {escape(doc["openapi"])})</p></nav>
<main><h1>API reference</h1><p>{escape(doc["info"]["description"])}</p>
<p>Webhooks: {escape(doc.get("x-webhooks-signing", ""))}</p>
{"".join(parts)}</main></body></html>
"""


def _resolve(schema: dict, schemas: dict) -> dict:
    if "$ref" in schema:
        return schemas[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _type(schema: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    if "const" in schema:
        return str(schema["const"])
    if "anyOf" in schema:
        return " or ".join(_type(s) for s in schema["anyOf"])
    t = schema.get("type", "any")
    limits = [f"{k} {schema[k]}" for k in ("minimum", "maximum", "minLength", "maxLength", "pattern") if k in schema]
    if t == "array":
        t = f"list of {_type(schema.get('items', {}))}"
    return t + (f" ({', '.join(limits)})" if limits else "")


def _fields(schema: dict, schemas: dict, depth: int = 0) -> str:
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    rows = []
    for name, prop in props.items():
        rows.append(f"<tr><td><code>{escape(name)}</code></td><td>{'yes' if name in required else 'no'}</td>"
                    f"<td>{escape(_type(prop))}</td><td>{escape(prop.get('description', ''))}</td></tr>")
    out = "<table><tr><th>field</th><th>required</th><th>type</th><th></th></tr>" + "".join(rows) + "</table>"
    if depth == 0:
        nested = {r["$ref"].rsplit("/", 1)[-1] for p in props.values() for r in _refs(p)}
        for n in sorted(nested):
            out += f"<h5>{escape(n)}</h5>" + _fields(schemas[n], schemas, depth + 1)
    return out


def _refs(schema: dict):
    if "$ref" in schema:
        yield schema
    for key in ("anyOf", "allOf", "oneOf"):
        for s in schema.get(key, []):
            yield from _refs(s)
    if "items" in schema:
        yield from _refs(schema["items"])
