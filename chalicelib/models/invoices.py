from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.models.base import BaseMeta, Model, table_name


class Invoice(Model):
    """A partner's monthly invoice (``services.billing``), and per tenant one ``counter`` item
    holding the last number given. An invoice and its number are written in one transaction
    (the invoice only if its month has none, the counter only if it still holds the number read),
    so numbers run 1, 2, 3 ... per tenant without gaps or doubles."""

    class Meta(BaseMeta):
        table_name = table_name("invoices")

    tenant_id = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)  # "period#YYYY-MM" for an invoice, "counter" for the counter
    number = NumberAttribute(null=True)  # the invoice's number; on the counter: the last number given
    invoice_id = UnicodeAttribute(null=True)
    period = UnicodeAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    country = UnicodeAttribute(null=True)
    vat_rate_bp = NumberAttribute(null=True)
    gross = NumberAttribute(null=True)
    commission = NumberAttribute(null=True)
    net = NumberAttribute(null=True)
    vat = NumberAttribute(null=True)
    total = NumberAttribute(null=True)
    lines = ListAttribute(of=MapAttribute, null=True)
    issued_at = UnicodeAttribute(null=True)
    cut = UnicodeAttribute(null=True)  # ledger entries up to this instant are on this or an earlier invoice
    paid_at = UnicodeAttribute(null=True)  # the partner's payment, recorded once by operations
    paid_reference = UnicodeAttribute(null=True)
