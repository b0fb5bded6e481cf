"""Line items of a booking's final price, computed on the server. Pure: no AWS, no Stripe.

Money is integer minor units (cents/Rappen) of one ISO currency; nothing here uses floats.

- time: billed in blocks (``billing_block_minutes``, 15) after a minimum (``min_billable_minutes``);
  a started block counts in full; the block price is the helper's hourly rate pro rata, rounded
  half up to a whole minor unit.
- travel: a flat fee for on-site visits (``travel_fee_minor``).
- parts: what the helper bought for the customer, at cost, as declared.
- tip: optional, from the customer, goes wholly to the helper.

The total never exceeds what was authorised (the price cap, or a higher amount the customer
approved): above it a ``cap_reduction`` line brings the total down to the limit.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Iterable, Mapping

from chalicelib.domain.errors import ValidationFailed


@dataclass(frozen=True)
class LineItem:
    code: str  # time | travel | part | tip | cap_reduction
    description: str
    quantity: int
    unit_amount: int
    amount: int
    currency: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Part:
    description: str
    amount: int


def _div_round_half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def billable_minutes(minutes_worked: int, minimum: int, block: int) -> int:
    """Minutes billed: at least ``minimum``, rounded up to whole blocks."""
    if minutes_worked < 0:
        raise ValidationFailed("minutes worked cannot be negative", field="minutes_worked")
    if block <= 0 or minimum < 0:
        raise ValidationFailed("billing blocks must be positive", field="billing_block_minutes")
    minutes = max(int(minutes_worked), int(minimum))
    return -(-minutes // block) * block


def price_line_items(*, minutes_worked: int, hourly_rate: int, mode: str, currency: str,
                     policy: Mapping[str, Any], parts: Iterable[Part] = (), tip: int = 0,
                     limit: int | None = None) -> list[LineItem]:
    """The final line items. ``limit`` is the authorised amount (cap or approved more); the total of
    the returned items never exceeds it."""
    if hourly_rate < 0 or tip < 0:
        raise ValidationFailed("prices cannot be negative", field="tip" if tip < 0 else "hourly_rate")
    block = int(policy["billing_block_minutes"])
    billed = billable_minutes(minutes_worked, int(policy["min_billable_minutes"]), block)
    blocks = billed // block
    block_price = _div_round_half_up(int(hourly_rate) * block, 60)
    items = [LineItem("time", f"{billed} minutes of help ({blocks} x {block} min)", blocks, block_price,
                      blocks * block_price, currency)]
    if mode == "onsite" and int(policy["travel_fee_minor"]) > 0:
        fee = int(policy["travel_fee_minor"])
        items.append(LineItem("travel", "travel (flat fee)", 1, fee, fee, currency))
    for part in parts:
        if part.amount < 0:
            raise ValidationFailed("a part cannot cost less than nothing", field="parts")
        items.append(LineItem("part", part.description, 1, part.amount, part.amount, currency))
    if tip:
        items.append(LineItem("tip", "tip for your helper", 1, int(tip), int(tip), currency))
    total = sum(i.amount for i in items)
    if limit is not None and total > limit:
        cut = total - int(limit)
        items.append(LineItem("cap_reduction", "reduced to the price limit you agreed", 1, -cut, -cut, currency))
    return items


def total_of(items: Iterable[LineItem | Mapping[str, Any]]) -> int:
    return sum(int(i.amount if isinstance(i, LineItem) else i["amount"]) for i in items)


def tip_of(items: Iterable[LineItem | Mapping[str, Any]]) -> int:
    """The tip actually charged. A cut to the price limit comes out of the tip first, so the
    service amount (which fees are computed on) is only reduced when the tip is used up."""
    rows = [i.as_dict() if isinstance(i, LineItem) else dict(i) for i in items]
    tip = sum(int(r["amount"]) for r in rows if r["code"] == "tip")
    service = sum(int(r["amount"]) for r in rows if r["code"] not in ("tip", "cap_reduction"))
    return max(0, min(tip, total_of(rows) - service))


@dataclass(frozen=True)
class Split:
    """How a charged amount is divided: platform fee + partner share + helper payout == charged."""
    charged: int
    platform_fee: int
    partner_share: int
    helper_payout: int


def split_charge(charged: int, tip: int, policy: Mapping[str, Any]) -> Split:
    """Platform fee and partner share are basis points of the service amount (the charge without
    the tip); the helper gets the rest, tip included. Rounded half up; never negative."""
    fee_bps = int(policy["platform_fee_bps"])
    share_bps = int(policy["partner_share_bps"])
    if not (0 <= fee_bps and 0 <= share_bps and fee_bps + share_bps <= 10_000):
        raise ValidationFailed("platform fee and partner share must be 0..100% together",
                               field="platform_fee_bps")
    if charged < 0 or not 0 <= tip <= charged:
        raise ValidationFailed("the tip must be within the charged amount", field="tip")
    service = charged - tip
    fee = _div_round_half_up(service * fee_bps, 10_000)
    share = min(_div_round_half_up(service * share_bps, 10_000), service - fee)
    return Split(charged, fee, share, charged - fee - share)


def receipt_summary(items: Iterable[LineItem | Mapping[str, Any]], charged: int, authorised: int,
                    currency: str) -> dict[str, Any]:
    """What the customer's receipt says: the final line items, the total charged (their sum), the
    currency and what the card hold released (authorised but not charged)."""
    rows = [i.as_dict() if isinstance(i, LineItem) else dict(i) for i in items]
    if total_of(rows) != int(charged):
        raise ValidationFailed("the line items do not add up to the amount charged", field="line_items")
    return {"currency": currency.upper(), "line_items": rows, "total": int(charged),
            "authorised": int(authorised), "released": max(0, int(authorised) - int(charged))}


# A partner tenant's tariff (its ``pricing`` terms, set by crowdfix operations): the same values as
# ``domain.partners.PricingPolicy``'s defaults (a unit test keeps the two equal; pydantic stays out
# of this module).
PARTNER_TARIFF_DEFAULTS = {"hourly_rate_minor": 6000, "call_out_fee_minor": 2500, "remote_discount_percent": 20}


def with_partner_tariff(policy: Mapping[str, Any], pricing: Mapping[str, Any] | None) -> dict[str, Any]:
    """A partner's bookings are priced by its tariff, whichever helper comes: the partner quotes
    its customers one price. Its call-out fee is the travel fee; its hourly rate (less the remote
    discount for remote help) replaces the helper's own."""
    terms = {**PARTNER_TARIFF_DEFAULTS, **{k: v for k, v in (pricing or {}).items() if v is not None}}
    return {**policy, "travel_fee_minor": int(terms["call_out_fee_minor"]),
            "tariff": {"hourly_rate_minor": int(terms["hourly_rate_minor"]),
                       "remote_discount_percent": int(terms["remote_discount_percent"])}}


def hourly_rate_of(helper_rate: int | None, policy: Mapping[str, Any], mode: str = "onsite") -> int:
    """The rate a booking's time is billed at, for discovery, quotes and settlement alike: a
    partner's tariff (remote discounted) when the tenant has one, else the helper's own rate, else
    the tenant's default."""
    tariff = policy.get("tariff")
    if tariff:
        rate = int(tariff["hourly_rate_minor"])
        if mode == "remote":
            rate = rate * (100 - int(tariff.get("remote_discount_percent", 0))) // 100
        return rate
    return int(helper_rate or policy["default_hourly_rate_minor"])


def visit_line_items(policy: Mapping[str, Any], *, mode: str, minutes: int, currency: str,
                     helper_rate: int | None = None, limit: int | None = None, parts: Iterable[Part] = (),
                     tip: int = 0) -> list[LineItem]:
    """The one pricing function: the line items of a visit of ``minutes`` under ``policy``. The
    partner quote calls it with the tenant's policy and the price cap as ``limit``; settlement with
    the booking's copied terms (the same values for a booking made under those terms), the minutes
    worked, the authorised amount, parts and tip. The rate is ``hourly_rate_of`` (a partner's
    tariff whichever helper comes)."""
    return price_line_items(minutes_worked=int(minutes), hourly_rate=hourly_rate_of(helper_rate, policy, mode),
                            mode=mode, currency=currency, policy=policy, parts=parts, tip=tip, limit=limit)


def typical_total(*, hourly_rate: int, minutes: int, mode: str, currency: str,
                  policy: Mapping[str, Any], limit: int | None = None) -> dict[str, Any]:
    """What a visit of ``minutes`` costs in total, shown before booking (discovery's typical total,
    the partner quote): the very line items settlement computes for that many minutes worked (time
    in blocks after the minimum, travel for on-site, never above ``limit``, the price cap), without
    parts or tip. ``amount`` is their sum; ``travel`` the travel fee included (0 remote)."""
    items = price_line_items(minutes_worked=int(minutes), hourly_rate=int(hourly_rate), mode=mode,
                             currency=currency, policy=policy, limit=limit)
    return {"amount": total_of(items), "currency": currency, "minutes": int(minutes),
            "travel": sum(i.amount for i in items if i.code == "travel"),
            "line_items": [i.as_dict() for i in items]}
