"""What happens to an invoice's receivable, told to whoever keeps the ledger.

Every write that changes what an organisation owes (an invoice issued, a credit note,
a payment recorded: ``wholesale.services``) calls ``receivable_changed`` inside its
transaction. The lifecycle app registers the listener that writes the payments ledger's
receivable entries (``lifecycle.services.receivables``): wholesale sits beside payments
and never imports it, and every entry point (admin, API, pages, the beat) reaches the
ledger because the services themselves tell it. A listener that raises rolls the write
back with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Invoice


class Change(StrEnum):
    ISSUED = "issued"
    CREDITED = "credited"
    PAID = "paid"


@dataclass(frozen=True)
class ReceivableChange:
    """``invoice`` (the one owed; for a credit note, the invoice it credits) changed by
    ``amount`` (positive) through ``document``: the invoice's own number, the credit
    note's number, or the payment's reference (``method``: bank transfer or online)."""

    change: Change
    invoice: Invoice
    amount: Decimal
    document: str
    method: str = ""


Listener = Callable[[ReceivableChange], None]

_listeners: list[Listener] = []


def on_receivable_change(listener: Listener) -> Listener:
    """Register ``listener`` (once, whatever the number of calls); returns it."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def receivable_changed(change: ReceivableChange) -> None:
    """Tell every listener. Precondition: inside the transaction of the change."""
    for listener in list(_listeners):
        listener(change)
