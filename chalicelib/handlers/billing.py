"""Billing (issue 17): the payment link a card-billed partner's customer pays through, and the
monthly invoices of partners billed by invoice (JSON, CSV, PDF), with their schedule."""
from __future__ import annotations

from chalice import Blueprint, Cron, Response

from chalicelib.http import ADMIN_OR_KEY, Auth, Edge, Reply, signed_in
from chalicelib.http import types as t
from chalicelib.lazy import lazy

bp = Blueprint(__name__)
api = Edge(bp, tag="billing")
links = lazy("chalicelib.services.payment_links")
svc = lazy("chalicelib.services.billing")
NUMBER = {"number": t.integer(1, 10_000_000, description="the invoice's number")}


def _payer(request, path):
    """The customer of the booking, by the payment link's token (``X-Payment-Token``)."""
    from chalicelib.domain.errors import Unauthenticated

    token = (request.headers or {}).get("x-payment-token", "").strip()
    if not token:
        raise Unauthenticated("open the payment link from your e-mail or SMS again", field="X-Payment-Token")
    booking_id = t.BookingId.parse("booking_id", path.get("booking_id"))
    return links.payer_from_token(token, booking_id), None


PAYER = Auth("the payment link's token", ("paymentLinkToken",), _payer)


@api.get("/v1/pay/{booking_id}", auth=PAYER, response="billing_schemas:PaymentLinkOut")
def payment_page(call, booking_id):
    """What the payment link's screen shows (the partner's name and colours, the most held)"""
    return Reply(links.payment_page(call.actor, booking_id), headers={"Cache-Control": "no-store"})


@api.post("/v1/pay/{booking_id}", auth=PAYER, body="billing_schemas:PayByLink",
          response="billing_schemas:PaymentLinkOut", errors=(402, 502))
def pay_by_link(call, booking_id):
    """Hold the card for the booking; it is then dispatched"""
    return Reply(links.pay(call.actor, booking_id, call.body.payment_method), headers={"Cache-Control": "no-store"})


@api.get("/v1/tenants/{tenant_id}/invoices", auth=ADMIN_OR_KEY, response="billing_schemas:InvoiceList",
         tag="tenants")
def list_invoices(call, tenant_id):
    """The tenant's invoices, newest first (a test key: its test invoices)"""
    return {"items": [svc.invoice_view(i) for i in svc.list_invoices(call.actor, tenant_id, call.environment)]}


@api.post("/v1/tenants/{tenant_id}/invoices", auth=signed_in("ops"), body="billing_schemas:IssueInvoice",
          response="billing_schemas:InvoiceOut", status=201, tag="tenants")
def issue_invoice(call, tenant_id):
    """Issue the month's invoice now (platform ops; the schedule does it on the 1st)

    Once per tenant and month: issuing again answers the same invoice. A month not over yet is
    billed up to now; what comes later is on the next invoice."""
    record = svc.issue_invoice(call.actor, tenant_id, call.body.period)
    return Reply(svc.invoice_view(record), headers={"Location": f"/v1/tenants/{tenant_id}/invoices/{record.number}"})


@api.get("/v1/tenants/{tenant_id}/invoices/{number}", auth=ADMIN_OR_KEY, path_types=NUMBER,
         response="billing_schemas:InvoiceOut", tag="tenants")
def get_invoice(call, tenant_id, number):
    """One invoice (JSON)"""
    return svc.invoice_view(svc.get_invoice(call.actor, tenant_id, number, call.environment))


@api.get("/v1/tenants/{tenant_id}/invoices/{number}/csv", auth=ADMIN_OR_KEY, path_types=NUMBER,
         response="text/csv", tag="tenants")
def get_invoice_csv(call, tenant_id, number):
    """One invoice as CSV"""
    record = svc.get_invoice(call.actor, tenant_id, number, call.environment)
    return Response(body=svc.invoice_csv(record), status_code=200,
                    headers={"Content-Type": "text/csv; charset=utf-8",
                             "Content-Disposition": f'attachment; filename="{record.invoice_id}.csv"'})


@api.get("/v1/tenants/{tenant_id}/invoices/{number}/pdf", auth=ADMIN_OR_KEY, path_types=NUMBER,
         response="application/pdf", tag="tenants")
def get_invoice_pdf(call, tenant_id, number):
    """One invoice as a PDF document"""
    from chalicelib.services.tenants import get_tenant

    record = svc.get_invoice(call.actor, tenant_id, number, call.environment)
    return Response(body=svc.invoice_pdf(record, get_tenant(tenant_id).name), status_code=200,
                    headers={"Content-Type": "application/pdf",
                             "Content-Disposition": f'attachment; filename="{record.invoice_id}.pdf"'})


@api.post("/v1/tenants/{tenant_id}/invoices/{number}/paid", auth=signed_in("ops"), path_types=NUMBER,
          body="billing_schemas:MarkInvoicePaid", response="billing_schemas:InvoiceOut", tag="tenants")
def mark_invoice_paid(call, tenant_id, number):
    """Record that the partner paid the invoice (platform ops)

    Once: the invoice shows ``paid`` and the ledger clears what the partner owed (receivable
    cleared against paid-in); marking it again answers the invoice as first marked."""
    return svc.invoice_view(svc.mark_invoice_paid(call.actor, tenant_id, number, call.body.reference))


@bp.schedule(Cron(0, 3, 1, "*", "?", "*"))
def issue_monthly_invoices(event):
    """On the 1st of each month, 03:00 UTC: last month's invoice of every tenant billed by invoice."""
    return svc.issue_due_invoices()
