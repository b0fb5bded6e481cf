"""Double-entry ledger of every cent. Pure: no AWS, no Stripe.

A *movement* is one business event (capture, platform fee, partner share, helper earning, payout,
refund, cancellation fee, transfer reversal) written as entries whose amounts sum to zero, in
integer minor units of one currency. A positive amount is money *into* an account.

Accounts (one string each, so balances are a sum over a key):

- ``customer:<id>``        what a customer paid (negative) or got back (positive)
- ``clearing:<booking>``   captured money of one booking not yet divided (back to 0 after settling)
- ``platform:<tenant>``    the platform's fee income, per tenant
- ``partner:<tenant>``     a partner tenant's revenue share
- ``helper:<id>``          what a helper has earned and not yet been paid out
- ``payout:<id>``          what was transferred to the helper's Stripe account (net of reversals)
- ``receivable:<tenant>``  what a partner billed by invoice owes (negative until it pays)
- ``vat:<country>``        VAT invoiced, owed to that country's tax office
- ``paid_in:<tenant>``     what a partner paid on its invoices (negative, like a customer's)

A sandbox booking books on its tenant's test book (``<tenant>~test``, :func:`test_book`).

A movement's id is ``<booking>#<step>``: writing it twice is a no-op (idempotent settlement).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from chalicelib.domain.errors import Conflict, ValidationFailed

KINDS = ("capture", "platform_fee", "partner_share", "helper_earning", "payout", "refund",
         "cancellation_fee", "reversal",
         # a partner billed by invoice (domain/invoicing.py): what it owes per booking, and on its
         # monthly invoice its commission set off and the VAT
         "invoiced", "invoice_commission", "vat",
         # the partner paid the invoice (recorded by operations): its receivable cleared
         "invoice_paid")


def customer(cid: str) -> str: return f"customer:{cid}"
def clearing(bid: str) -> str: return f"clearing:{bid}"
def platform(tid: str) -> str: return f"platform:{tid}"
def partner(tid: str) -> str: return f"partner:{tid}"
def helper(hid: str) -> str: return f"helper:{hid}"
def payout(hid: str) -> str: return f"payout:{hid}"
def paid_in(tid: str) -> str: return f"paid_in:{tid}"


TEST_BOOK = "~test"


def test_book(tid: str) -> str:
    """The book a tenant's sandbox (test-key) bookings are kept on: its accounts
    (``partner:<tenant>~test``, ``platform:<tenant>~test``, ``receivable:<tenant>~test``) are apart
    from the live ones, so test money never shows on a live statement, invoice or fee income. A
    tenant id cannot hold ``~``, so no live tenant's book is ever a test book."""
    return tid if tid.endswith(TEST_BOOK) else f"{tid}{TEST_BOOK}"


def is_test_book(tid: str) -> bool:
    return tid.endswith(TEST_BOOK)


class Unbalanced(Conflict):
    code, title = "ledger-unbalanced", "The ledger would not balance"


@dataclass(frozen=True)
class Entry:
    account: str
    amount: int


@dataclass(frozen=True)
class Movement:
    movement_id: str
    kind: str
    booking_id: str
    tenant_id: str
    currency: str
    entries: tuple[Entry, ...]
    meta: Mapping[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValidationFailed(f"unknown ledger movement {self.kind!r}", field="kind")
        if len(self.entries) < 2:
            raise Unbalanced("a movement needs at least two entries")
        if any(type(e.amount) is not int for e in self.entries):
            raise Unbalanced("ledger amounts are integer minor units")
        if sum(e.amount for e in self.entries) != 0:
            raise Unbalanced(f"movement {self.movement_id} does not sum to zero")
        if len(self.currency) != 3 or not self.currency.isupper():
            raise ValidationFailed("currency must be an ISO 4217 code", field="currency")


@dataclass(frozen=True)
class Parties:
    """Who a booking's money moves between."""
    booking_id: str
    tenant_id: str
    customer_id: str
    helper_id: str | None
    currency: str


def _move(p: Parties, step: str, kind: str, pairs: Iterable[tuple[str, int]], **meta) -> Movement | None:
    entries = tuple(Entry(a, int(x)) for a, x in pairs if x != 0)
    if not entries:
        return None
    return Movement(f"{p.booking_id}#{step}", kind, p.booking_id, p.tenant_id, p.currency, entries,
                    {k: str(v) for k, v in meta.items() if v is not None})


def _need_helper(p: Parties) -> str:
    if not p.helper_id:
        raise ValidationFailed("this booking has no helper to pay", field="helper_id")
    return p.helper_id


def capture(p: Parties, amount: int, step: str = "capture", **meta) -> Movement | None:
    """The customer's card was charged ``amount``: it sits in the booking's clearing account."""
    if amount < 0:
        raise ValidationFailed("a capture cannot be negative", field="amount")
    return _move(p, step, "capture", [(customer(p.customer_id), -amount), (clearing(p.booking_id), amount)], **meta)


def divide(p: Parties, platform_fee: int, partner_share: int, helper_earning: int) -> list[Movement]:
    """Empty the clearing account into fee, partner share and the helper's earning."""
    h = _need_helper(p)
    out = [_move(p, "platform_fee", "platform_fee",
                 [(clearing(p.booking_id), -platform_fee), (platform(p.tenant_id), platform_fee)]),
           _move(p, "partner_share", "partner_share",
                 [(clearing(p.booking_id), -partner_share), (partner(p.tenant_id), partner_share)]),
           _move(p, "helper_earning", "helper_earning",
                 [(clearing(p.booking_id), -helper_earning), (helper(h), helper_earning)])]
    return [m for m in out if m]


def cancellation_fee(p: Parties, amount: int) -> Movement | None:
    """A late cancellation: the captured fee goes to the helper."""
    h = _need_helper(p)
    return _move(p, "cancellation_fee", "cancellation_fee", [(clearing(p.booking_id), -amount), (helper(h), amount)])


def payout_movement(p: Parties, amount: int, transfer_id: str | None = None, step: str = "payout") -> Movement | None:
    """The helper's earning was transferred to their Stripe account."""
    h = _need_helper(p)
    return _move(p, step, "payout", [(helper(h), -amount), (payout(h), amount)], transfer=transfer_id)


@dataclass(frozen=True)
class RefundAllocation:
    """Where a refund is taken from: the helper (transfer reversal or not-yet-paid earning), the
    platform fee and the partner share. ``helper + fee + share == amount``."""
    amount: int
    helper: int
    fee: int
    share: int


def allocate_refund(amount: int, remaining_helper: int, remaining_fee: int, remaining_share: int) -> RefundAllocation:
    """Split a refund in proportion to what each party still holds of this booking (largest
    remainder, so the parts are whole minor units, sum exactly to ``amount`` and none exceeds what
    its party holds)."""
    pool = remaining_helper + remaining_fee + remaining_share
    if amount <= 0:
        raise ValidationFailed("a refund must be more than nothing", field="amount")
    if amount > pool:
        raise ValidationFailed(f"at most {pool} can still be refunded", field="amount")
    parts = [remaining_helper, remaining_fee, remaining_share]
    exact = [amount * x for x in parts]
    floors = [e // pool for e in exact]
    left = amount - sum(floors)
    order = sorted(range(3), key=lambda i: (-(exact[i] % pool), i))
    for i in order[:left]:
        floors[i] += 1
    return RefundAllocation(amount, *floors)


def refund(p: Parties, seq: int, alloc: RefundAllocation, helper_paid_out: bool, refund_id: str | None = None,
           reversal_id: str | None = None) -> list[Movement]:
    """A refund of ``alloc.amount`` to the customer. If the helper was paid out, their part first
    comes back from their Stripe account by a transfer reversal; either way it then comes off what
    they earned."""
    h = p.helper_id
    out: list[Movement | None] = []
    if alloc.helper:
        h = _need_helper(p)
        if helper_paid_out:
            out.append(_move(p, f"reversal-{seq}", "reversal", [(payout(h), -alloc.helper), (helper(h), alloc.helper)],
                             reversal=reversal_id))
    out.append(_move(p, f"refund-{seq}", "refund",
                     [(helper(h) if h else clearing(p.booking_id), -alloc.helper), (platform(p.tenant_id), -alloc.fee),
                      (partner(p.tenant_id), -alloc.share), (customer(p.customer_id), alloc.amount)],
                     refund=refund_id))
    return [m for m in out if m]


class Ledger:
    """An in-memory set of movements (used by the domain tests and to summarise stored entries)."""

    def __init__(self, movements: Iterable[Movement] = ()):
        self.movements: dict[str, Movement] = {}
        for m in movements:
            self.post(m)

    def post(self, movement: Movement | None) -> bool:
        """Add a movement; False if the same id is already posted (idempotent). The same id with
        other entries is a conflict: a step is never booked two ways."""
        if movement is None:
            return False
        existing = self.movements.get(movement.movement_id)
        if existing is not None:
            if existing.entries != movement.entries:
                raise Conflict(f"movement {movement.movement_id} was already booked differently")
            return False
        self.movements[movement.movement_id] = movement
        return True

    def balances(self, booking_id: str | None = None) -> dict[tuple[str, str], int]:
        """(account, currency) -> balance, optionally for one booking's movements."""
        out: dict[tuple[str, str], int] = defaultdict(int)
        for m in self.movements.values():
            if booking_id is None or m.booking_id == booking_id:
                for e in m.entries:
                    out[(e.account, m.currency)] += e.amount
        return dict(out)

    def balance(self, account: str, currency: str) -> int:
        return self.balances().get((account, currency), 0)

    def total(self) -> dict[str, int]:
        """Sum of every balance per currency: always zero in a double-entry ledger."""
        out: dict[str, int] = defaultdict(int)
        for (_, cur), v in self.balances().items():
            out[cur] += v
        return dict(out)


def booking_summary(movements: Iterable[Movement]) -> dict[str, int]:
    """What happened to one booking's money, from its movements."""
    s = {"captured": 0, "platform_fee": 0, "partner_share": 0, "helper_earning": 0, "paid_out": 0,
         "refunded": 0, "reversed": 0, "cancellation_fee": 0, "invoiced": 0}
    for m in movements:
        amounts = {e.account.split(":", 1)[0]: e.amount for e in m.entries}
        if m.kind == "capture":
            s["captured"] += -amounts.get("customer", 0)
        elif m.kind == "invoiced":
            s["invoiced"] += -amounts.get("receivable", 0)
        elif m.kind == "platform_fee":
            s["platform_fee"] += amounts.get("platform", 0)
        elif m.kind == "partner_share":
            s["partner_share"] += amounts.get("partner", 0)
        elif m.kind in ("helper_earning", "cancellation_fee"):
            s["helper_earning"] += amounts.get("helper", 0)
            if m.kind == "cancellation_fee":
                s["cancellation_fee"] += amounts.get("helper", 0)
        elif m.kind == "payout":
            s["paid_out"] += amounts.get("payout", 0)
        elif m.kind == "reversal":
            s["reversed"] += -amounts.get("payout", 0)
        elif m.kind == "refund":
            s["refunded"] += amounts.get("customer", 0)
            s["platform_fee"] += amounts.get("platform", 0)
            s["partner_share"] += amounts.get("partner", 0)
            s["helper_earning"] += amounts.get("helper", 0)
    return s
