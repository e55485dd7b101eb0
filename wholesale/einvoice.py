"""The e-invoice provider interface: an issued invoice (or credit note) is sent to the
tax authority's platform by a provider; the sandbox one only stamps an id. A real
provider is a class with the same ``submit`` named in ``WHOLESALE_EINVOICE_PROVIDER``."""

from __future__ import annotations

from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string


class EInvoiceProvider(Protocol):
    def submit(self, invoice) -> str:
        """Send ``invoice``; return the platform's id for it."""


class SandboxEInvoice:
    def submit(self, invoice) -> str:
        return f"SANDBOX-{invoice.number}"


def provider() -> EInvoiceProvider:
    path = getattr(settings, "WHOLESALE_EINVOICE_PROVIDER", "wholesale.einvoice.SandboxEInvoice")
    return import_string(path)()


def einvoice_submit(invoice_id: int) -> str:
    from .models import Invoice

    invoice = Invoice.objects.get(pk=invoice_id)
    if not invoice.e_invoice_id:
        invoice.e_invoice_id = provider().submit(invoice)
        Invoice.objects.filter(pk=invoice.pk, e_invoice_id="").update(
            e_invoice_id=invoice.e_invoice_id
        )
    return invoice.e_invoice_id


def einvoice_submit_on_commit(invoice_id: int) -> None:
    """After the invoice is committed (a provider is never called inside a
    transaction); a failure leaves the id empty for a retry."""

    def run():
        try:
            einvoice_submit(invoice_id)
        except Exception:
            import logging

            logging.getLogger(__name__).exception("e-invoice submit failed for %s", invoice_id)

    transaction.on_commit(run)
