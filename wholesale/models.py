"""Wholesale: business buyers, their price lists and credit, quotes, purchase orders,
invoices and credit notes. Writes go through ``wholesale.services``."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .constants import (
    ContractStatus,
    DeliveryStatus,
    InvoiceKind,
    OrgRole,
    OrgStatus,
    PaymentMethod,
    QuoteStatus,
)
from .validators import validate_credit_code

MONEY = {"max_digits": 14, "decimal_places": 2}
ZERO = Decimal("0.00")


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=150)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
    )
    invoice_title = models.CharField(_("invoice title"), max_length=150)
    tax_number = models.CharField(_("tax number"), max_length=20)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=40, blank=True)
    address = models.CharField(_("registered address"), max_length=255)
    delivery_address = models.JSONField(_("delivery address"), default=dict, blank=True)
    # The cooperative the organisation applied to buy from (its manager may approve).
    cooperative = models.ForeignKey(
        "catalog.Cooperative",
        on_delete=models.PROTECT,
        related_name="wholesale_organisations",
        verbose_name=_("cooperative"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=OrgStatus.choices, default=OrgStatus.PENDING
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business buyer")
        verbose_name_plural = _("business buyers")

    def __str__(self) -> str:
        return self.name


class OrgMember(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="members")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wholesale_membership"
    )
    role = models.CharField(_("role"), max_length=12, choices=OrgRole.choices)

    class Meta:
        verbose_name = _("organisation user")
        verbose_name_plural = _("organisation users")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.organisation})"


class BuyerGroup(models.Model):
    cooperative = models.ForeignKey(
        "catalog.Cooperative", on_delete=models.CASCADE, related_name="buyer_groups"
    )
    name = models.CharField(_("name"), max_length=100)
    organisations = models.ManyToManyField(Organisation, related_name="groups", blank=True)

    class Meta:
        verbose_name = _("buyer group")
        verbose_name_plural = _("buyer groups")

    def __str__(self) -> str:
        return self.name


class PriceList(models.Model):
    """Prices for one organisation or one buyer group (exactly one of them)."""

    cooperative = models.ForeignKey(
        "catalog.Cooperative", on_delete=models.CASCADE, related_name="price_lists"
    )
    name = models.CharField(_("name"), max_length=100)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="price_lists"
    )
    group = models.ForeignKey(
        BuyerGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="price_lists"
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    min_order_amount = models.DecimalField(_("minimum order (CNY)"), default=ZERO, **MONEY)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        constraints = [
            models.CheckConstraint(
                condition=(Q(organisation__isnull=True) ^ Q(group__isnull=True)),
                name="pricelist_one_audience",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PriceTier(models.Model):
    """From ``min_quantity`` units (bags, or the variant's unit) the unit price is ..."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="tiers")
    variant = models.ForeignKey("catalog.Variant", on_delete=models.CASCADE, related_name="+")
    min_quantity = models.PositiveIntegerField(_("from quantity"))
    unit_price = models.DecimalField(_("unit price (CNY)"), max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["variant_id", "min_quantity"]
        verbose_name = _("quantity tier")
        verbose_name_plural = _("quantity tiers")
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "variant", "min_quantity"], name="tier_unique_min"
            ),
            models.CheckConstraint(condition=Q(min_quantity__gte=1), name="tier_min_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="tier_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"≥{self.min_quantity}: {self.unit_price}"


class CreditAccount(models.Model):
    """Credit terms a cooperative grants an organisation. ``used`` is what orders on
    credit owe and have not paid; it never passes ``limit`` (one conditional UPDATE)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="credit_accounts"
    )
    cooperative = models.ForeignKey(
        "catalog.Cooperative", on_delete=models.CASCADE, related_name="credit_accounts"
    )
    limit = models.DecimalField(_("credit limit (CNY)"), **MONEY)
    used = models.DecimalField(_("used"), default=ZERO, **MONEY)
    terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=30)
    approval_above = models.DecimalField(
        _("approver needed above (CNY)"), null=True, blank=True, **MONEY
    )

    class Meta:
        verbose_name = _("credit account")
        verbose_name_plural = _("credit accounts")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "cooperative"], name="credit_one"),
            models.CheckConstraint(
                condition=Q(used__gte=0) & Q(used__lte=F("limit")), name="credit_within_limit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} @ {self.cooperative}: {self.used}/{self.limit}"

    @property
    def available(self) -> Decimal:
        return self.limit - self.used


class QuoteRequest(models.Model):
    """A buyer asks for a quantity and delivery schedule; the cooperative answers
    with a price, validity, delivery dates and a quality specification."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="quotes")
    cooperative = models.ForeignKey(
        "catalog.Cooperative", on_delete=models.CASCADE, related_name="quote_requests"
    )
    variant = models.ForeignKey("catalog.Variant", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    schedule = models.CharField(_("delivery schedule"), max_length=255, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=QuoteStatus.choices, default=QuoteStatus.REQUESTED
    )
    unit_price = models.DecimalField(
        _("quoted unit price"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    valid_until = models.DateField(_("quote valid until"), null=True, blank=True)
    delivery_dates = models.JSONField(_("delivery dates"), default=list, blank=True)
    # Quality specification: {"protein_pct": [min, max], "moisture_pct": [null, 14], ...}
    spec = models.JSONField(_("quality specification"), default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")

    def __str__(self) -> str:
        return f"RFQ-{self.pk}"


class Contract(models.Model):
    """An accepted quote: the price, the quality specification and the schedule of
    deliveries (``deliveries``, whose quantities add up to ``quantity``)."""

    quote = models.OneToOneField(
        QuoteRequest, on_delete=models.PROTECT, related_name="contract", verbose_name=_("quote")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="contracts"
    )
    cooperative = models.ForeignKey(
        "catalog.Cooperative", on_delete=models.PROTECT, related_name="wholesale_contracts"
    )
    variant = models.ForeignKey("catalog.Variant", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("contract unit price"), max_digits=10, decimal_places=2)
    spec = models.JSONField(_("quality specification"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ContractStatus.choices, default=ContractStatus.ACTIVE
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"C{self.pk}"


class ContractDelivery(models.Model):
    """One scheduled delivery of a contract. When due, the delivery sweep claims it with
    one conditional UPDATE and places its order through checkout in the same
    transaction; short of stock (or of a batch on specification) it waits, with the
    reason, and is tried again."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="deliveries")
    seq = models.PositiveSmallIntegerField(_("delivery no."))
    due_on = models.DateField(_("due on"))
    quantity = models.PositiveIntegerField(_("quantity"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.SCHEDULED,
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_tried_at = models.DateTimeField(_("last tried at"), null=True, blank=True)
    order = models.OneToOneField(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contract_delivery",
        verbose_name=_("order"),
    )
    batch = models.ForeignKey(
        "catalog.Batch",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("batch"),
    )
    placed_at = models.DateTimeField(_("placed at"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "seq"]
        verbose_name = _("contract delivery")
        verbose_name_plural = _("contract deliveries")
        constraints = [
            models.UniqueConstraint(fields=["contract", "seq"], name="delivery_seq_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="delivery_quantity_pos"),
            models.CheckConstraint(
                condition=(Q(status=DeliveryStatus.PLACED) & Q(order__isnull=False))
                | (~Q(status=DeliveryStatus.PLACED) & Q(order__isnull=True)),
                name="delivery_placed_has_order",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="delivery_status_due_idx")]

    def __str__(self) -> str:
        return f"{self.contract.number}-{self.seq}"


class WholesaleOrder(models.Model):
    """The wholesale side of one order: purchase order number, credit, and which price
    list and tier priced each line (``pricing``: ``{variant_id: {...}}``)."""

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="wholesale")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="orders")
    cooperative = models.ForeignKey(
        "catalog.Cooperative", on_delete=models.PROTECT, related_name="+"
    )
    po_number = models.CharField(_("PO number"), max_length=40)
    on_credit = models.BooleanField(_("on credit"), default=False)
    credit_amount = models.DecimalField(_("credit taken"), default=ZERO, **MONEY)
    credit_released = models.BooleanField(default=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pricing = models.JSONField(_("pricing"), default=dict)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "po_number"], name="po_unique"),
        ]

    def __str__(self) -> str:
        return f"PO {self.po_number}"


class InvoiceCounter(models.Model):
    """The last invoice number of a cooperative: taken under a row lock, so numbers are
    gapless (a rolled-back issue gives its number back with the rollback)."""

    cooperative = models.OneToOneField(
        "catalog.Cooperative", on_delete=models.CASCADE, related_name="+"
    )
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.cooperative_id}: {self.last}"


class Invoice(models.Model):
    cooperative = models.ForeignKey(
        "catalog.Cooperative", on_delete=models.PROTECT, related_name="invoices"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="invoices"
    )
    wholesale_order = models.ForeignKey(
        WholesaleOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=InvoiceKind.choices)
    credits = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes"
    )
    seq = models.PositiveIntegerField(_("sequence"))
    number = models.CharField(_("number"), max_length=32, unique=True)
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    # Positive for both kinds: a credit note's total reduces the receivable.
    net_total = models.DecimalField(_("net"), **MONEY)
    tax_total = models.DecimalField(_("tax"), **MONEY)
    total = models.DecimalField(_("total"), **MONEY)
    # Invoices only: what payments and credit notes have settled so far.
    settled = models.DecimalField(_("settled"), default=ZERO, **MONEY)
    seller = models.JSONField(_("seller"), default=dict)
    buyer = models.JSONField(_("buyer"), default=dict)
    batches = models.JSONField(_("batches shipped"), default=list, blank=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    e_invoice_id = models.CharField(_("e-invoice id"), max_length=64, blank=True)

    class Meta:
        ordering = ["-issued_at", "-seq"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "seq"], name="invoice_seq_unique"),
            models.CheckConstraint(
                condition=Q(settled__gte=0) & Q(settled__lte=F("total")),
                name="invoice_settled_within_total",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def outstanding(self) -> Decimal:
        return self.total - self.settled if self.kind == InvoiceKind.INVOICE else ZERO


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    description = models.CharField(_("description"), max_length=240)
    sku = models.CharField(_("SKU"), max_length=40, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2)
    net = models.DecimalField(_("net"), **MONEY)
    tax_rate = models.DecimalField(_("tax rate"), max_digits=5, decimal_places=4, default=ZERO)
    tax = models.DecimalField(_("tax"), **MONEY)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description


class InvoicePayment(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("amount"), **MONEY)
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices)
    reference = models.CharField(_("reference"), max_length=80)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at"]
        verbose_name = _("invoice payment")
        verbose_name_plural = _("invoice payments")
        constraints = [
            models.UniqueConstraint(fields=["invoice", "reference"], name="invoice_payment_ref"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_payment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.amount}"


class TaxRate(models.Model):
    """The VAT rate on a variant's invoice lines (data, not code): agricultural products
    sold by the producing cooperative are commonly exempt, which is also the default
    when a variant has no row."""

    variant = models.OneToOneField(
        "catalog.Variant", on_delete=models.CASCADE, related_name="wholesale_tax_rate"
    )
    rate = models.DecimalField(_("tax rate"), max_digits=5, decimal_places=4, default=ZERO)
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("tax rate")
        verbose_name_plural = _("tax rates")
        constraints = [
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(rate__lt=1), name="tax_rate_range"),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id}: {self.rate}"


class CreditNote(Invoice):
    """Credit notes (red invoices) in the admin: the add form issues one."""

    class Meta:
        proxy = True
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
