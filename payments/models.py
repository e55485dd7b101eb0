"""Payments, the notification inbox, refunds, the cooperative ledger (with the
receivables of invoices), payouts and the sandbox wallet's own record of what it paid.

Writes go through ``payments.services``. Ledger entries are append-only: a balance is
always a sum of entries, never a number kept and updated in place.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models import Cooperative

from .constants import (
    PROVIDER_CHOICES,
    InboxStatus,
    LedgerAccount,
    LedgerKind,
    PaymentStatus,
    PayoutStatus,
    RefundStatus,
    WalletStatus,
)

out_trade_no_validator = RegexValidator(r"^[A-Za-z0-9_-]{6,32}$", _("6–32 of A-Z a-z 0-9 _ -"))


class Receivable(models.Model):
    """What a business buyer owes a cooperative on one invoice (wholesale). Its balance
    is the sum of its ledger entries (account ``receivable``): the invoice, less credit
    notes and payments. ``reference`` is the invoice number; ``debtor_key`` names the
    buyer for the app that issued it (``"wholesale.organisation:12"``)."""

    cooperative = models.ForeignKey(
        "catalog.Cooperative",
        on_delete=models.PROTECT,
        related_name="receivables",
        verbose_name=_("cooperative"),
    )
    reference = models.CharField(_("invoice number"), max_length=40, unique=True)
    debtor = models.CharField(_("debtor"), max_length=150)
    debtor_key = models.CharField(_("debtor key"), max_length=60, db_index=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("receivable")
        verbose_name_plural = _("receivables")

    def __str__(self) -> str:
        return self.reference


class Payment(models.Model):
    """One attempt to pay an order, or an invoice's receivable, with one provider (a
    buyer may retry with another). Exactly one of ``order`` and ``receivable``."""

    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("order"),
        null=True,
        blank=True,
    )
    receivable = models.ForeignKey(
        Receivable,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("receivable"),
        null=True,
        blank=True,
    )
    provider = models.CharField(_("provider"), max_length=16, choices=PROVIDER_CHOICES)
    out_trade_no = models.CharField(
        _("out_trade_no"), max_length=32, unique=True, validators=[out_trade_no_validator]
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    provider_trade_no = models.CharField(_("provider trade no"), max_length=64, blank=True)
    client_payload = models.JSONField(_("client payload"), default=dict, blank=True)
    # Alipay TRADE_FINISHED: paid and past the refund period at the provider.
    finished = models.BooleanField(_("no longer refundable at provider"), default=False)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)
    succeeded_at = models.DateTimeField(_("succeeded at"), null=True, blank=True)
    last_queried_at = models.DateTimeField(_("last queried at"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(order__isnull=True) ^ Q(receivable__isnull=True),
                name="payment_one_target",
            ),
        ]
        indexes = [models.Index(fields=["status", "created"], name="payment_status_created_idx")]

    def __str__(self) -> str:
        return f"{self.out_trade_no} ({self.provider}, {self.status})"


class PaymentNotification(models.Model):
    """The inbox: every verified provider notification, raw, unique per provider event.

    Storing it is what the callback view answers "success" for; applying it is the
    task's job. A row is applied once, or rejected with the reason shown to staff.
    """

    provider = models.CharField(_("provider"), max_length=16, choices=PROVIDER_CHOICES)
    event_id = models.CharField(_("event id"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16)  # "payment" or "refund"
    event_status = models.CharField(_("event status"), max_length=16)
    out_trade_no = models.CharField(_("out_trade_no"), max_length=64)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    refund_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    out_refund_no = models.CharField(max_length=64, blank=True)
    trade_no = models.CharField(max_length=64, blank=True)
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="notifications", null=True, blank=True
    )
    payload = models.JSONField(_("parsed payload"), default=dict)
    raw_body = models.TextField(_("raw body"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=InboxStatus.choices, default=InboxStatus.RECEIVED
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    applied_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("payment notification")
        verbose_name_plural = _("payment notifications (inbox)")
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="inbox_unique_event"),
        ]
        indexes = [
            models.Index(fields=["status", "received_at"], name="inbox_status_received_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id} ({self.status})"


class Refund(models.Model):
    """A refund of a payment through its provider: the whole of what is left of it
    (``key`` "full") or part of it for one cause (``key`` such as "weigh:line:12",
    "line:12:1", naming the order line it gives back). The live refunds of a payment
    never add up to more than it (checked under the payment's row lock); one cause
    refunds at most once (unique live key per payment)."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    out_refund_no = models.CharField(_("out_refund_no"), max_length=64, unique=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    key = models.CharField(_("cause"), max_length=64, default="full")
    # The line a partial refund gives back (its cooperative's ledger takes it); none for
    # a whole refund.
    order_line = models.ForeignKey(
        "orders.OrderLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refunds",
        verbose_name=_("order line"),
    )
    # The part of the line's platform-funded discount this refund takes back from the
    # cooperative's subsidy (a unit refund of a voucher order); zero otherwise.
    subsidy = models.DecimalField(
        _("platform subsidy given back"), max_digits=12, decimal_places=2, default=0
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    provider_refund_id = models.CharField(max_length=64, blank=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    provider_response = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            # One cause gives money back once: a failed refund may be retried by a new row.
            models.UniqueConstraint(
                fields=["payment", "key"],
                condition=~Q(status=RefundStatus.FAILED),
                name="refund_one_live_per_cause",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.out_refund_no} ({self.status})"


class Payout(models.Model):
    """A batch of a cooperative's available balance sent by bank transfer."""

    cooperative = models.ForeignKey(
        "catalog.Cooperative",
        on_delete=models.PROTECT,
        related_name="payouts",
        verbose_name=_("cooperative"),
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=PayoutStatus.choices, default=PayoutStatus.CREATED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        verbose_name=_("created by"),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    exported_at = models.DateTimeField(_("exported at"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.amount}"


class LedgerEntry(models.Model):
    """One append-only line of a cooperative's ledger.

    Two accounts per cooperative: ``pending`` (paid orders not completed yet) and
    ``available`` (may be paid out). A sale and its fee land in ``pending``; when the
    order completes a ``release`` pair moves the net from pending to available; a payout
    takes from available. Each balance is the sum of its account's entries.

    A third account, ``receivable``, holds what business buyers owe on invoices, per
    ``Receivable``: an invoice issued adds its total, a credit note and each payment
    (bank transfer or online) take theirs away. An invoice paid online also adds the
    money to ``available`` (it reached the platform; a bank transfer went straight to
    the cooperative).
    """

    cooperative = models.ForeignKey(
        "catalog.Cooperative",
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        verbose_name=_("cooperative"),
    )
    account = models.CharField(_("account"), max_length=16, choices=LedgerAccount.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=LedgerKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("order"),
    )
    payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        null=True,
        blank=True,
        verbose_name=_("payment"),
    )
    refund = models.ForeignKey(
        Refund,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        null=True,
        blank=True,
        verbose_name=_("refund"),
    )
    payout = models.ForeignKey(
        Payout,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        null=True,
        blank=True,
        verbose_name=_("payout"),
    )
    receivable = models.ForeignKey(
        Receivable,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        null=True,
        blank=True,
        verbose_name=_("receivable"),
    )
    # Receivables: the document an entry records (invoice, credit note or payment
    # reference), unique per receivable and kind, so none is counted twice.
    document = models.CharField(_("document"), max_length=80, blank=True)
    memo = models.CharField(_("memo"), max_length=255, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            # One sale, one fee, one release pair and one reversal per order and
            # cooperative and account, whatever the concurrency: the database says no twice.
            models.UniqueConstraint(
                fields=["order", "cooperative", "kind", "account"],
                condition=Q(
                    kind__in=[
                        LedgerKind.SALE,
                        LedgerKind.PLATFORM_FEE,
                        LedgerKind.PLATFORM_SUBSIDY,
                        LedgerKind.RELEASE,
                        LedgerKind.REFUND_REVERSAL,
                    ]
                ),
                name="ledger_once_per_order",
            ),
            # A partial refund is written once, whatever the concurrency.
            models.UniqueConstraint(
                fields=["refund", "kind"],
                condition=Q(
                    kind__in=[
                        LedgerKind.PARTIAL_REFUND,
                        LedgerKind.SUBSIDY_REVERSAL,
                        LedgerKind.FEE_REVERSAL,
                    ]
                ),
                name="ledger_once_per_partial_refund",
            ),
            models.UniqueConstraint(
                fields=["payout"],
                condition=Q(kind=LedgerKind.PAYOUT),
                name="ledger_once_per_payout",
            ),
            models.UniqueConstraint(
                fields=["receivable", "kind", "document"],
                condition=Q(receivable__isnull=False),
                name="ledger_once_per_document",
            ),
        ]
        indexes = [
            models.Index(fields=["cooperative", "account"], name="ledger_coop_account_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.cooperative_id} {self.account} {self.kind} {self.amount}"

    def save(self, *args, **kwargs):
        # Append-only: correcting an entry means writing another one.
        if self.pk is not None and not self._state.adding:
            raise ValueError("ledger entries are append-only")
        return super().save(*args, **kwargs)


class SandboxWalletPayment(models.Model):
    """The sandbox wallet's own side: what it paid (and refunded), and the event ids it
    sends, so that a retried or duplicated delivery carries the same id."""

    out_trade_no = models.CharField(max_length=32, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(max_length=16, choices=WalletStatus.choices)
    trade_no = models.CharField(max_length=40, unique=True)
    pay_event_id = models.CharField(max_length=40, unique=True)
    refund_event_id = models.CharField(max_length=40, blank=True)
    out_refund_no = models.CharField(max_length=64, blank=True)
    paid_at = models.DateTimeField(auto_now_add=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    # What the wallet has given back so far (partial refunds add up to at most amount).
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    class Meta:
        ordering = ["-paid_at", "-id"]
        verbose_name = _("sandbox wallet payment")
        verbose_name_plural = _("sandbox wallet payments")

    def __str__(self) -> str:
        return f"wallet {self.out_trade_no} ({self.status})"


class SandboxWalletRefund(models.Model):
    """One refund the sandbox wallet made of a payment (whole or partial), with the
    event id its notification carries; idempotent on ``out_refund_no``."""

    wallet = models.ForeignKey(
        SandboxWalletPayment, on_delete=models.CASCADE, related_name="refunds"
    )
    out_refund_no = models.CharField(max_length=64, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    event_id = models.CharField(max_length=40, unique=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("sandbox wallet refund")
        verbose_name_plural = _("sandbox wallet refunds")

    def __str__(self) -> str:
        return f"wallet refund {self.out_refund_no}"


class CooperativeBalance(Cooperative):
    """The cooperatives seen from the ledger (admin: balances and payouts)."""

    class Meta:
        proxy = True
        verbose_name = _("cooperative balance")
        verbose_name_plural = _("cooperative balances")
