"""Member households of a cooperative and the money that reached them.

A cooperative records its households (most have no Farmgate account) and what each was
paid: for produce delivered to the cooperative, or as its share of a dividend. The
poverty-relief impact report follows each yuan from buyers to these rows. Whether a
household is registered as poor is sensitive: only platform staff and the managers of
its cooperative see it (admin scoping), and county or public figures are aggregates with
small cells suppressed (``reports.impact``).

Writes go through ``members.services``; payments are append-only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .constants import DividendRule, PaymentKind


def _cooperative(related_name: str) -> models.ForeignKey:
    """The cooperative a row belongs to (never deleted while it has rows)."""
    return models.ForeignKey(
        "catalog.Cooperative",
        on_delete=models.PROTECT,
        related_name=related_name,
        verbose_name=_("cooperative"),
    )


class Household(models.Model):
    cooperative = _cooperative("households")
    name = models.CharField(
        _("head of household"), max_length=100, help_text=_("As the cooperative knows them.")
    )
    village = models.CharField(_("village"), max_length=100, blank=True)
    registered_poor = models.BooleanField(
        _("registered poor household"),
        default=False,
        help_text=_("Sensitive: visible only to platform staff and this cooperative's managers."),
    )
    share_units = models.PositiveIntegerField(
        _("shares held"), default=1, help_text=_("Used by dividends split by shares held.")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="households",
        verbose_name=_("Farmgate account"),
        help_text=_("Only when a member of the household has one."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created = models.DateTimeField(_("registered"), auto_now_add=True)

    class Meta:
        ordering = ["cooperative", "name", "id"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        indexes = [
            models.Index(fields=["cooperative", "is_active"], name="household_coop_active_idx")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.village})" if self.village else self.name


class PaidRecord(models.Model):
    """What a dividend and a household payment both record: a sum paid on a day, by whom."""

    paid_on = models.DateField(_("paid on"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    note = models.CharField(_("note"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["-paid_on", "-id"]


class Dividend(PaidRecord):
    """One distribution of a sum to the cooperative's active households by a rule."""

    cooperative = _cooperative("dividends")
    rule = models.CharField(_("rule"), max_length=16, choices=DividendRule.choices)
    period_start = models.DateField(_("produce from"), null=True, blank=True)
    period_end = models.DateField(_("produce until"), null=True, blank=True)

    class Meta(PaidRecord.Meta):
        verbose_name = _("dividend")
        verbose_name_plural = _("dividends")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="dividend_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.cooperative} {self.paid_on} {self.amount}"


class HouseholdPayment(PaidRecord):
    """Money that reached one household from its cooperative (append-only)."""

    cooperative = _cooperative("household_payments")
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("household"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=PaymentKind.choices)
    quantity_kg = models.DecimalField(
        _("produce delivered (kg)"), max_digits=10, decimal_places=1, null=True, blank=True
    )
    dividend = models.ForeignKey(
        Dividend,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("dividend"),
    )

    class Meta(PaidRecord.Meta):
        verbose_name = _("household payment")
        verbose_name_plural = _("household payments")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="household_payment_amount_gte0"
            ),
            models.CheckConstraint(
                condition=Q(kind=PaymentKind.DIVIDEND, dividend__isnull=False)
                | Q(kind=PaymentKind.PRODUCE, dividend__isnull=True),
                name="household_payment_dividend_kind",
            ),
            models.UniqueConstraint(
                fields=["dividend", "household"],
                condition=Q(dividend__isnull=False),
                name="household_payment_once_per_dividend",
            ),
        ]
        indexes = [
            models.Index(fields=["cooperative", "paid_on"], name="hhpayment_coop_paid_idx"),
            models.Index(fields=["household", "paid_on"], name="hhpayment_household_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.paid_on} {self.amount}"
