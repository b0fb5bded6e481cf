"""Partner invoices (``invoices`` table): one per tenant and month, numbered without gaps.

``issue`` writes an invoice and its number in one transaction: the invoice only if its month has
none yet, the tenant's counter only if it still holds the number read. A concurrent issue of the
same month loses on the first condition (and reads the winner's invoice); of another month on the
second (and takes the next number). A number is given only with the invoice that carries it.
"""
from __future__ import annotations

import dataclasses

from chalicelib.store import current
from chalicelib.store._dynamo import _record
from chalicelib.store.conditions import AlreadyExists, ConditionFailed, is_condition_failure
from chalicelib.store.records import InvoiceRecord

COUNTER = "counter"


def _period_key(period: str) -> str:
    return f"period#{period}"


class Invoices:
    """DynamoDB repository (``models.invoices``)."""

    def last_number(self, tenant_id: str) -> int:
        from chalicelib.models.invoices import Invoice
        try:
            return int(Invoice.get(tenant_id, COUNTER, consistent_read=True).number or 0)
        except Invoice.DoesNotExist:
            return 0

    def issue(self, invoice: InvoiceRecord, *, after: int) -> InvoiceRecord:
        """Store ``invoice`` (its ``number`` must be ``after + 1``). ``AlreadyExists`` if its month
        has an invoice; ``ConditionFailed`` if another invoice took number ``after + 1`` first."""
        from pynamodb.exceptions import TransactWriteError
        from pynamodb.transactions import TransactWrite

        from chalicelib.aws import tx_connection
        from chalicelib.models.invoices import Invoice

        if invoice.number != after + 1:
            raise ValueError("an invoice takes the number after the last one")
        values = {k: v for k, v in dataclasses.asdict(invoice).items() if k != "tenant_id"}
        values["lines"] = [dict(line) for line in invoice.lines]
        item = Invoice(invoice.tenant_id, _period_key(invoice.period), **values)
        counter = Invoice(invoice.tenant_id, COUNTER)
        first = Invoice.number.does_not_exist() if after == 0 else Invoice.number == after
        try:
            with TransactWrite(connection=tx_connection()) as tx:
                tx.save(item, condition=Invoice.key.does_not_exist())
                tx.update(counter, actions=[Invoice.number.set(invoice.number)], condition=first)
        except TransactWriteError as exc:
            if not is_condition_failure(exc):
                raise
            if self.for_period(invoice.tenant_id, invoice.period) is not None:
                raise AlreadyExists(f"{invoice.tenant_id} has an invoice for {invoice.period}") from None
            raise ConditionFailed(f"invoice number {invoice.number} of {invoice.tenant_id} was taken") from None
        return invoice

    def for_period(self, tenant_id: str, period: str) -> InvoiceRecord | None:
        from chalicelib.models.invoices import Invoice
        try:
            return self._record(Invoice.get(tenant_id, _period_key(period), consistent_read=True))
        except Invoice.DoesNotExist:
            return None

    def mark_paid(self, tenant_id: str, period: str, paid_at: str, reference: str) -> InvoiceRecord:
        """Record the invoice as paid, once: ``ConditionFailed`` if it was marked paid before (or
        there is no invoice for ``period``)."""
        from chalicelib.models.invoices import Invoice
        from chalicelib.store._dynamo import _update

        item = Invoice(tenant_id, _period_key(period))
        _update(item, actions=[Invoice.paid_at.set(paid_at), Invoice.paid_reference.set(reference)],
                condition=Invoice.key.exists() & Invoice.paid_at.does_not_exist(),
                refused=f"invoice {period} of {tenant_id} is paid already or does not exist")
        return self.for_period(tenant_id, period)

    def list(self, tenant_id: str) -> list[InvoiceRecord]:
        """The tenant's invoices, newest number first."""
        from chalicelib.models.invoices import Invoice
        rows = [self._record(i) for i in Invoice.query(tenant_id, Invoice.key.startswith("period#"))]
        return sorted(rows, key=lambda r: -r.number)

    @staticmethod
    def _record(item) -> InvoiceRecord:
        rec = _record(InvoiceRecord, item)
        return dataclasses.replace(rec, tenant_id=item.tenant_id,
                                   lines=tuple(dict(line.as_dict() if hasattr(line, "as_dict") else line)
                                               for line in (item.lines or [])))


_invoices = Invoices()


def invoices() -> Invoices:
    """The invoices repository in force (DynamoDB unless a test put a twin in place)."""
    return current("invoices") or _invoices
