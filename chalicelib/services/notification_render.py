"""What a notification says: the text context of a message (times in the display time zone,
prices, the receipt of a completed or settled booking, links into the web app) and the helper's
card a customer's message shows. Pure but for ``helper_card`` (one read of the helper)."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from chalicelib.domain import links
from chalicelib.domain import notification_texts as texts
from chalicelib.domain import notifications as routing

DISPLAY_TZ = "Europe/Zurich"
REMOTE_AREA = {"de": "Fernhilfe", "en": "remote help", "fr": "aide à distance", "it": "aiuto a distanza"}


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def now() -> datetime:
    return datetime.now(timezone.utc)


def helper_card(helper_id: str) -> dict:
    """The helper as a customer's message shows them (``lat``/``lon`` only for the arrival time:
    ``public_card`` drops them)."""
    from chalicelib.store.helpers import helpers

    h = helpers().reach(helper_id)
    if h is None:
        return {"helper_id": helper_id}
    count = int(h.rating_count or 0)
    return {"helper_id": helper_id, "helper_first_name": h.first_name, "photo_url": h.photo_url,
            "rating_avg": round(float(h.rating_sum) / count, 1) if count else None, "rating_count": count,
            "lat": float(h.lat) if h.lat is not None else None, "lon": float(h.lon) if h.lon is not None else None}


def public_card(card: dict) -> dict:
    return {k: v for k, v in card.items() if k not in ("lat", "lon")}


def _local_time(iso: str | None, lang: str) -> str:
    if not iso:
        return ""
    dt = datetime.fromisoformat(str(iso).replace("Z", "+00:00")).astimezone(ZoneInfo(DISPLAY_TZ))
    today = now().astimezone(ZoneInfo(DISPLAY_TZ)).date()
    return dt.strftime("%H:%M") if dt.date() == today else dt.strftime("%d.%m.%Y %H:%M")


def _receipt(data: dict, lang: str) -> str:
    r = texts.RECEIPT[lang]
    lines = []
    if data.get("minutes_worked") is not None:
        lines.append(r["minutes"].format(minutes=int(data["minutes_worked"])))
    items = [i for i in data.get("line_items") or [] if isinstance(i, dict)]
    if items:
        lines.append(r["items"])
        total, currency = 0, None
        for i in items:
            amount, currency = int(i.get("amount", 0)), i.get("currency") or currency
            total += amount
            lines.append(f"- {i.get('label') or i.get('description') or i.get('kind') or ''}: "
                         f"{routing.format_money(amount, currency or '')}")
        lines.append(f"{r['total']}: {routing.format_money(total, currency or '')}")
    else:
        cap = data.get("price_cap") or {}
        if cap.get("amount") is not None:
            lines.append(r["cap"].format(cap=routing.format_money(cap["amount"], cap.get("currency", ""))))
        if data.get("receipt_follows"):
            lines.append(r["pending"])
    return "\n".join(lines)


def _final_receipt(data: dict, lang: str) -> str:
    """The settled bill: each final line item, the total charged (currency included) and what the
    card hold released."""
    r = texts.RECEIPT[lang]
    currency = data.get("currency") or ""
    lines = [r["items"]]
    for i in data.get("line_items") or []:
        label = r["codes"].get(i.get("code"), i.get("description") or "")
        if i.get("code") == "time":
            unit = routing.format_money(int(i.get("unit_amount", 0)), i.get("currency") or currency)
            label = f"{label} ({int(i.get('quantity', 0))} x {unit})"
        elif i.get("code") == "part" and i.get("description"):
            label = f"{label}: {i['description']}"
        lines.append(f"- {label}: {routing.format_money(int(i.get('amount', 0)), i.get('currency') or currency)}")
    lines.append(f"{r['charged']}: {routing.format_money(int(data.get('total', 0)), currency)}")
    if int(data.get("released") or 0) > 0:
        lines.append(r["released"].format(released=routing.format_money(int(data["released"]), currency)))
    return "\n".join(lines)


def context(msg: dict, lang: str, tenant_name: str) -> dict:
    from chalicelib.settings import get_settings

    data = dict(msg.get("data") or {})
    base = get_settings().public_base_url.rstrip("/")
    bid = msg.get("booking_id")
    ctx = {k: v for k, v in data.items() if isinstance(v, (str, int, float)) and v is not None}
    ctx["category"] = texts.category_label(data.get("category") or "other", lang)
    ctx["area"] = data.get("area") or REMOTE_AREA[lang]
    ctx["ref"] = data.get("ref") or (bid[-6:].upper() if bid else "")
    if data.get("arrival"):
        ctx["arrival"] = _local_time(data["arrival"], lang)
    if data.get("expires_at"):
        ctx["expires"] = _local_time(data["expires_at"], lang)
    if "rating_count" in data or "rating_avg" in data:
        ctx["rating"] = (texts.RATING[lang]["rated"].format(avg=texts.decimal(data["rating_avg"], lang),
                                                            count=data["rating_count"])
                         if data.get("rating_avg") is not None else
                         texts.RATING[lang]["new"].format(tenant=tenant_name))
    if data.get("photo_url"):
        ctx["photo"] = texts.PHOTO[lang].format(photo_url=data["photo_url"])
    if data.get("amount") is not None:
        ctx["amount"] = routing.format_money(int(data["amount"]), data.get("currency", ""))
    if msg["event_type"] == "booking_completed":
        ctx["receipt"] = _receipt(data, lang)
    elif msg["event_type"] == "payment_receipt":
        ctx["receipt"] = _final_receipt(data, lang)
    if isinstance(data.get("cancel_fee"), dict) and msg["recipient"]["role"] == "customer":
        fee = data["cancel_fee"]
        ctx["fee_note"] = (texts.CANCEL_FEE[lang]["fee"].format(fee=routing.format_money(int(fee["amount"]), fee.get("currency", "")))
                           if int(fee.get("amount") or 0) > 0 else texts.CANCEL_FEE[lang]["free"])
    for key in ("new_limit", "from_limit"):
        if data.get(key) is not None:
            ctx[key] = routing.format_money(int(data[key]), data.get("currency", ""))
    if bid:
        # every link is a screen of the web app's route table (domain/app_routes.json)
        ctx["url"] = links.url(base, "booking", booking_id=bid)
        ctx["accept_url"] = links.url(base, "helper_offer", booking_id=bid)
        token = _review_token(data.get("review_url"))
        ctx["review_url"] = links.url(base, "review", booking_id=bid, fragment=f"token={token}" if token else None)
    if msg["event_type"] == "offer":
        ctx["url"] = ctx.get("accept_url")
    if msg["event_type"] == "payment_receipt" and bid:
        ctx["url"] = links.url(base, "receipt", booking_id=bid)  # the receipt e-mail opens the printable receipt
    if msg["event_type"] == "payment_link" and bid and str(data.get("pay_url", "")).startswith(
            links.url(base, "pay", booking_id=bid) + "#"):
        ctx["url"] = data["pay_url"]  # the button and the SMS open the payment screen with its token
    return ctx


def _review_token(review_url: str | None) -> str | None:
    """The signed token of a review link (it travels in the fragment, ``#token=...``)."""
    from urllib.parse import parse_qs, urlsplit

    if not review_url:
        return None
    values = parse_qs(urlsplit(str(review_url)).fragment).get("token") or []
    return values[0] if values else None


def needs(msg: dict) -> set[str]:
    """The fields the message's texts use (the ``{name}`` fields of its texts in any language)."""
    import string as _string

    by_role = texts.TEXTS.get(f"{msg['event_type']}:{msg['recipient']['role']}") or texts.TEXTS.get(msg["event_type"], {})
    return {f for t in by_role.values() for part in t.values()
            for _, f, _, _ in _string.Formatter().parse(part) if f}


