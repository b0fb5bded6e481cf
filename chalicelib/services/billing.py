"""Billing a partner by invoice (issue 17; the rules are in ``domain/invoicing.py``).

- ``settle_effect``: the ``settle`` effect of ``complete``: a booking of a tenant billed by invoice
  is settled here (``settle_by_invoice``), any other by its card (``payments.settle_booking``).
- ``settle_by_invoice``: priced by the one pricing function,
  booked as ``invoiced`` and divided as a card payment would be, the helper paid out as usual.
- ``issue_invoice``: the month's invoice of one tenant, from the ledger (every ``invoiced``
  entry of the month not on an invoice yet), numbered without gaps (``store.invoices``), and the
  commission set-off and VAT booked under the invoice's own movement ids.
- ``issue_due_invoices``: the monthly schedule, every invoice-billed tenant for the last month.
- JSON, CSV and PDF of an invoice; partner keys and admins read their own, ops every tenant's.
- ``mark_invoice_paid``: operations record that the partner paid an invoice (once; its
  receivable cleared in the ledger).
- The sandbox: a test key's bookings are booked on the tenant's test book (``ledger.test_book``)
  and billed on its *test invoices* (their own series, ``<TENANT>-TEST-000001``), which a test key
  issues and reads; live keys, the statement and the monthly schedule never see them.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from chalicelib.domain import booking_states as bs
from chalicelib.domain import invoicing as inv
from chalicelib.domain import ledger as L
from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.store.conditions import AlreadyExists, ConditionFailed
from chalicelib.store.invoices import invoices as invoices_store
from chalicelib.store.records import InvoiceRecord

log = logging.getLogger(__name__)


def _plain(v):
    return v.as_dict() if v is not None and hasattr(v, "as_dict") else v


# ---------------------------------------------------------------------------------------------
# which bookings are billed by invoice

def billed_by_invoice(booking) -> bool:
    """A partner's booking whose tenant bills by invoice: by the terms copied onto the booking
    (``billing_model``), else (a booking from before the copy) the tenant's current model."""
    if not booking.partner_id:
        return False
    model = (_plain(booking.terms) or {}).get("billing_model")
    if model is None:
        from chalicelib.services.tenants import tenant_policy
        model = tenant_policy(booking.tenant_id).get("billing_model", "card")
    return model == "invoice"


# ---------------------------------------------------------------------------------------------
# settlement

def settle_effect(booking: dict, entry: dict, old: dict | None) -> None:
    """Effect ``settle``: by invoice for a tenant billed so, else by the card."""
    from chalicelib.services import payments
    from chalicelib.services.transitions import load_booking

    if billed_by_invoice(load_booking(booking["booking_id"])):
        log.info("settle %s: %s", booking["booking_id"], settle_by_invoice(booking["booking_id"]))
        return
    payments.settle_effect(booking, entry, old)


def settle_by_invoice(booking_id: str) -> dict:
    """Price the completed visit, book what the partner owes and divide it; pay the helper.
    Each step is idempotent (movement ids ``<booking>#invoiced`` and the division's), so running
    it again books nothing twice."""
    from chalicelib.domain.pricing import Part, split_charge, total_of, visit_line_items
    from chalicelib.services import payments
    from chalicelib.services.payments.booking import booking as booking_record, copy_to_booking, helper_account
    from chalicelib.services.payments.payouts import pay_helper
    from chalicelib.services.payments.record import ensure_payment

    booking = booking_record(booking_id)
    if booking.state != bs.COMPLETED:
        return {"result": "not-completed"}
    test = booking.sandbox == "test"  # a test key's booking: on the tenant's test book and test invoice
    pol = payments.booking_terms(booking)
    cap = _plain(booking.price_cap) or {}
    currency = cap.get("currency") or "CHF"
    helper = helper_account(booking.helper_id)
    pay = payments.get_payment(booking_id)
    parts = [Part(p["description"], int(p["amount"])) for p in (payments.billed_parts(pay) if pay else [])]
    items = visit_line_items(pol, mode=booking.mode, minutes=int(booking.minutes_worked or 0), currency=currency,
                             helper_rate=booking.hourly_rate or helper.hourly_rate,
                             limit=int(cap["amount"]) if cap.get("amount") is not None else None, parts=parts)
    total = total_of(items)
    split = split_charge(total, 0, pol)
    book = L.test_book(booking.tenant_id) if test else booking.tenant_id
    parties = L.Parties(booking_id, book, booking.customer_id, booking.helper_id, currency)
    # the division first, what the partner owes last: the invoice finds a visit by its ``invoiced``
    # entry, and by then the partner's share it sets off is booked too
    for m in L.divide(parties, split.platform_fee, split.partner_share, split.helper_payout):
        payments.post_movement(m)
    payments.post_movement(inv.invoiced(parties, total, minutes=int(booking.minutes_worked or 0)))
    # the ledger is the record; the copy on the booking is for reading
    copy_to_booking(booking_id, {"line_items": [i.as_dict() for i in items]}, in_state=bs.COMPLETED)
    # the helper is paid as for a card booking (the platform advances it; the partner pays the invoice);
    # a test booking's simulated helper is paid nothing
    ensure_payment(booking)
    payout = "simulated" if test else pay_helper(booking_id, helper, split.helper_payout)
    return {"result": "invoiced-test" if test else "invoiced", "total": total, "payout": payout}


# ---------------------------------------------------------------------------------------------
# the monthly invoice

def _check_reader(actor: Actor, tenant_id: str) -> None:
    from chalicelib.services.partners import check_tenant_admin
    check_tenant_admin(actor, tenant_id, allow_partner_key=True)


def book_of(tenant_id: str, environment: str | None) -> str:
    """The book invoices are read from: a test key's is the tenant's test book."""
    return L.test_book(tenant_id) if environment == "test" else tenant_id


def _period(period: str) -> str:
    try:
        datetime.strptime(period, "%Y-%m")
    except ValueError:
        raise ValidationFailed("period must be a month like 2026-11", field="period") from None
    return period


LOOKBACK = timedelta(hours=1)  # longer than an index takes to show a new ledger entry


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _cut_of(period: str, now: datetime) -> str:
    """Up to when an invoice for ``period`` bills: the month's end, or now for a month not over."""
    start = datetime.strptime(period, "%Y-%m").replace(tzinfo=timezone.utc)
    if start > now:
        raise ValidationFailed("this month has not begun; invoices are for months that have", field="period")
    end = (start + timedelta(days=32)).replace(day=1)
    return _iso(min(end, now))


def _lines_of(tenant_id: str, cut: str, earlier: list[InvoiceRecord]) -> list[inv.InvoiceLine]:
    """The visits to bill: every ``invoiced`` entry of the tenant up to ``cut`` not on an earlier
    invoice (from a little before the last invoice's cut, so an entry the index showed late is
    billed next time, and never twice), with the partner's share booked for the same visit."""
    from chalicelib.services.payments import booking_movements
    from chalicelib.services.transitions import load_booking
    from chalicelib.store.ledger import ledger

    start = ""
    if earlier:
        last_cut = datetime.fromisoformat(earlier[0].cut.replace("Z", "+00:00"))
        start = _iso(last_cut - LOOKBACK)
    billed = {line["booking_id"] for record in earlier if record.cut >= start for line in record.lines}
    lines = []
    for e in ledger().of_account(inv.receivable(tenant_id), since=start or "0", until=cut + "#~"):
        if e.kind != "invoiced" or e.booking_id in billed or e.created_at > cut:
            continue
        summary = L.booking_summary(booking_movements(e.booking_id))
        booking = load_booking(e.booking_id)
        meta = e.meta or {}
        minutes = meta.get("minutes") or booking.minutes_worked or 0
        lines.append(inv.InvoiceLine(
            booking_id=e.booking_id, external_ref=booking.external_ref, completed_at=e.created_at,
            description=f"{booking.category}, {booking.mode}, {int(minutes)} min",
            amount=-int(e.amount), commission=int(summary["partner_share"])))
    return sorted(lines, key=lambda line: (line.completed_at, line.booking_id))


def issue_invoice(actor: Actor, tenant_id: str, period: str, environment: str | None = None) -> InvoiceRecord:
    """The invoice of ``tenant_id`` for ``period`` (YYYY-MM): made once (a second call returns
    it), numbered after the tenant's last invoice, its set-off and VAT booked in the ledger.
    ``environment="test"``: the tenant's test invoice (its test bookings), which its test key
    may issue too (the sandbox)."""
    from chalicelib.services import payments
    from chalicelib.services.tenants import get_tenant

    test = environment == "test"
    sandbox_key = test and actor.role == "partner" and actor.tenant_id == tenant_id
    if not sandbox_key and (actor.role not in ("ops", "system") or actor.tenant_id != "*"):
        from chalicelib.domain.errors import Forbidden
        raise Forbidden("invoices are issued by crowdfix (monthly, or by operations)")
    period = _period(period)
    repo = invoices_store()
    real_tenant, tenant_id = tenant_id, book_of(tenant_id, environment)
    existing = repo.for_period(tenant_id, period)
    if existing is None:
        tenant = get_tenant(real_tenant)
        settings = dict(tenant.settings)
        if settings.get("billing_model") != "invoice":
            raise ValidationFailed(f"tenant {real_tenant} is billed by card, not by invoice", field="tenant_id")
        country = inv.country_of(settings, tenant.currency)
        now = datetime.now(timezone.utc)
        cut = _cut_of(period, now)
        for _ in range(20):
            after = repo.last_number(tenant_id)
            earlier = repo.list(tenant_id)
            if earlier and earlier[0].period > period:
                raise ValidationFailed(f"invoices go forward: the last one is for {earlier[0].period}", field="period")
            lines = _lines_of(tenant_id, cut, earlier)
            t = inv.totals(lines, inv.VAT_RATES_BP[country])
            record = InvoiceRecord(
                tenant_id=tenant_id, period=period, number=after + 1,
                invoice_id=inv.display_number(tenant_id, after + 1), currency=tenant.currency, country=country,
                vat_rate_bp=t.vat_rate_bp, gross=t.gross, commission=t.commission, net=t.net, vat=t.vat,
                total=t.total, lines=tuple(dict(vars(line)) for line in lines), issued_at=_iso(now), cut=cut)
            try:
                existing = repo.issue(record, after=after)
                break
            except AlreadyExists:
                existing = repo.for_period(tenant_id, period)
                break
            except ConditionFailed:
                continue  # another month's invoice took this number: take the next
        else:
            from chalicelib.domain.errors import Conflict
            raise Conflict("invoices of this tenant are being issued right now; try again in a moment")
    # booked after the number is fixed; the ids are the invoice's, so a retry books once
    t = inv.InvoiceTotals(existing.gross, existing.commission, existing.net, existing.vat_rate_bp, existing.vat,
                          existing.total)
    for m in inv.invoice_movements(existing.invoice_id, tenant_id, existing.currency, existing.country, t):
        payments.post_movement(m)
    return existing


def issue_due_invoices(now: datetime | None = None) -> dict[str, int]:
    """The monthly schedule: last month's invoice of every tenant billed by invoice."""
    from chalicelib.domain.actors import SYSTEM_ACTOR
    from chalicelib.store.tenants import tenants

    now = now or datetime.now(timezone.utc)
    period = (now.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    done = 0
    for tenant in tenants().all():
        if tenant.settings.get("billing_model") == "invoice":
            issue_invoice(SYSTEM_ACTOR, tenant.tenant_id, period)
            done += 1
    return {"issued": done}


def list_invoices(actor: Actor, tenant_id: str, environment: str | None = None) -> list[InvoiceRecord]:
    """The tenant's invoices, newest first; a test key's: its test invoices."""
    _check_reader(actor, tenant_id)
    return invoices_store().list(book_of(tenant_id, environment))


def get_invoice(actor: Actor, tenant_id: str, number: int, environment: str | None = None) -> InvoiceRecord:
    _check_reader(actor, tenant_id)
    for record in invoices_store().list(book_of(tenant_id, environment)):
        if record.number == number:
            return record
    raise NotFound(f"invoice {number} of {tenant_id} was not found", field="number")


def mark_invoice_paid(actor: Actor, tenant_id: str, number: int, reference: str,
                      environment: str | None = None) -> InvoiceRecord:
    """Operations record that the partner paid invoice ``number`` (its bank ``reference``): the
    invoice shows ``paid`` and the ledger clears what the partner owed (``invoice_paid``:
    receivable +total, paid-in -total). Idempotent: marking it again answers the invoice as it
    was marked first and books nothing twice; a crash between the two writes is healed by a retry
    (the movement's id is the invoice's)."""
    from chalicelib.domain.errors import Forbidden
    from chalicelib.services import payments

    if actor.role != "ops" or not actor.may_see_tenant(tenant_id):
        raise Forbidden("an invoice is marked paid by crowdfix's operations")
    record = get_invoice(actor, tenant_id, number, environment)
    if record.paid_at is None:
        try:
            record = invoices_store().mark_paid(record.tenant_id, record.period, _iso(datetime.now(timezone.utc)),
                                                reference)
        except ConditionFailed:
            record = get_invoice(actor, tenant_id, number, environment)  # marked by a concurrent call
    payments.post_movement(inv.invoice_paid(record.invoice_id, record.tenant_id, record.currency, record.total,
                                            record.paid_reference or reference))
    return record


def invoice_view(record: InvoiceRecord) -> dict:
    test = L.is_test_book(record.tenant_id)
    tenant_id = record.tenant_id[:-len(L.TEST_BOOK)] if test else record.tenant_id
    return {"tenant_id": tenant_id, "test": test, "status": "paid" if record.paid_at else "open",
            "paid_at": record.paid_at, "paid_reference": record.paid_reference,
            "period": record.period, "number": record.number,
            "number_display": record.invoice_id, "currency": record.currency, "country": record.country,
            "vat_rate_bp": record.vat_rate_bp, "gross": record.gross, "commission": record.commission,
            "net": record.net, "vat": record.vat, "total": record.total, "issued_at": record.issued_at,
            "lines": [dict(line) for line in record.lines]}


def invoice_csv(record: InvoiceRecord) -> str:
    return inv.to_csv(invoice_view(record))


def invoice_pdf(record: InvoiceRecord, tenant_name: str) -> bytes:
    """The invoice as a PDF document (fpdf2, pure Python; imported here only, never at cold start)."""
    from fpdf import FPDF

    def txt(s) -> str:  # the core fonts are Latin-1
        return str(s).encode("latin-1", "replace").decode("latin-1")

    v = invoice_view(record)
    cur = v["currency"]
    pdf = FPDF(format="A4")
    pdf.set_title(txt(f"Invoice {v['number_display']}"))
    pdf.set_author("crowdfix")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, txt(f"Invoice {v['number_display']}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    for line in (f"To: {tenant_name} ({v['tenant_id']})", f"Period: {v['period']}", f"Issued: {v['issued_at']}",
                 f"Country: {v['country']}, VAT {v['vat_rate_bp'] / 100:g} %"):
        pdf.cell(0, 6, txt(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 10)
    widths = (38, 30, 72, 40)
    for w, head in zip(widths, ("Booking", "Your ref.", "Visit", "Amount")):
        pdf.cell(w, 7, head, border="B", align="R" if head == "Amount" else "L")
    pdf.ln()
    pdf.set_font("Helvetica", "", 10)
    for line in v["lines"]:
        cells = (line["booking_id"], line.get("external_ref") or "", f"{line['completed_at'][:10]} {line['description']}",
                 inv.money(int(line["amount"]), cur))
        for w, c in zip(widths, cells):
            pdf.cell(w, 6, txt(c)[:48], align="R" if c is cells[-1] else "L")
        pdf.ln()
    pdf.ln(3)
    for label, amount, bold in (("Visits", v["gross"], False), ("Your commission (set off)", -v["commission"], False),
                                ("Net", v["net"], False), (f"VAT {v['vat_rate_bp'] / 100:g} %", v["vat"], False),
                                ("Total due", v["total"], True)):
        pdf.set_font("Helvetica", "B" if bold else "", 11)
        pdf.cell(140, 7, txt(label), align="R")
        pdf.cell(40, 7, txt(inv.money(int(amount), cur)), align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
