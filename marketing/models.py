"""Marketing tables. Writes go through ``marketing.services``; reads through
``marketing.selectors``."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from catalog.models import Category, Cooperative, County, Product, Variant
from orders.models import Order

from .constants import VoucherKind, VoucherScope

MONEY = {"max_digits": 10, "decimal_places": 2}


class Voucher(models.Model):
    """A code that takes a fixed amount or a percent off the eligible goods of one order.

    ``used`` counts the uses not given back; it only moves through one conditional
    UPDATE (``marketing.services.vouchers``), so it never passes ``total_limit``."""

    code = models.CharField(_("code"), max_length=40)
    kind = models.CharField(_("kind"), max_length=10, choices=VoucherKind.choices)
    value = models.DecimalField(
        _("value"),
        **MONEY,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Yuan off, or the percent off the eligible goods."),
    )
    min_spend = models.DecimalField(
        _("minimum spend"),
        **MONEY,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text=_("On the eligible goods, before the voucher."),
    )
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    total_limit = models.PositiveIntegerField(
        _("total uses"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    used = models.PositiveIntegerField(_("used"), default=0, editable=False)
    per_buyer_limit = models.PositiveIntegerField(
        _("uses per buyer"), null=True, blank=True, default=1, help_text=_("Empty: no limit.")
    )
    scope = models.CharField(
        _("applies to"), max_length=12, choices=VoucherScope.choices, default=VoucherScope.SITE
    )
    county = models.ForeignKey(
        County, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("county")
    )
    cooperative = models.ForeignKey(
        Cooperative,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cooperative"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("category")
    )
    products = models.ManyToManyField(
        Product, blank=True, related_name="+", verbose_name=_("products")
    )
    funded_by = models.ForeignKey(
        Cooperative,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="funded_vouchers",
        verbose_name=_("funded by"),
        help_text=_("Empty: the platform pays for the discount."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(Upper("code"), name="voucher_code_ci_unique"),
            models.CheckConstraint(
                condition=Q(total_limit__isnull=True) | Q(used__lte=F("total_limit")),
                name="voucher_used_within_limit",
            ),
            models.CheckConstraint(
                condition=~Q(kind=VoucherKind.PERCENT) | Q(value__lte=100),
                name="voucher_percent_at_most_100",
            ),
            models.CheckConstraint(condition=Q(value__gt=0), name="voucher_value_positive"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def platform_funded(self) -> bool:
        return self.funded_by_id is None


class VoucherUse(models.Model):
    """One order's use of a voucher; ``released_at`` is set (once) when the unpaid order
    is cancelled or expires and the use is given back."""

    order = models.OneToOneField(
        Order, on_delete=models.PROTECT, related_name="voucher_use", verbose_name=_("order")
    )
    voucher = models.ForeignKey(
        Voucher, on_delete=models.PROTECT, related_name="uses", verbose_name=_("voucher")
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("buyer"),
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    released_at = models.DateTimeField(_("given back"), null=True, blank=True)

    class Meta:
        verbose_name = _("voucher use")
        verbose_name_plural = _("voucher uses")
        indexes = [models.Index(fields=["voucher", "buyer"], name="voucheruse_voucher_buyer_idx")]

    def __str__(self) -> str:
        return f"{self.voucher_id} on {self.order_id}"


class Campaign(models.Model):
    """A harvest festival, a livestream, a partner link: dates, a banner, featured
    products (optionally at a campaign price) and a short code used in links (``?c=``)."""

    code = models.SlugField(_("code"), max_length=40, help_text=_("Used in links: ?c=CODE"))
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    starts = models.DateTimeField(_("starts"))
    ends = models.DateTimeField(_("ends"))
    banner = models.ImageField(_("banner"), upload_to="campaigns/", blank=True)
    cooperative = models.ForeignKey(
        Cooperative,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name=_("cooperative"),
        help_text=_("Empty: a platform campaign."),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts", "-id"]
        constraints = [
            models.UniqueConstraint(Upper("code"), name="campaign_code_ci_unique"),
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="campaign_ends_after"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("campaign_detail", kwargs={"code": self.code})


class CampaignItem(models.Model):
    """A featured variant, at ``campaign_price`` while the campaign runs (when set)."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="items", verbose_name=_("campaign")
    )
    variant = models.ForeignKey(
        Variant, on_delete=models.PROTECT, related_name="+", verbose_name=_("variant")
    )
    campaign_price = models.DecimalField(
        _("campaign price"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Empty: featured at the list price."),
    )

    class Meta:
        verbose_name = _("featured product")
        verbose_name_plural = _("featured products")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "variant"], name="campaignitem_unique"),
            models.CheckConstraint(
                condition=Q(campaign_price__isnull=True) | Q(campaign_price__gt=0),
                name="campaignitem_price_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.variant_id}"


class BuyerTouch(models.Model):
    """The campaigns a signed-in buyer arrived with since their last order (kept on the
    server with the cart, so it survives devices and the trip to the wallet)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    first_campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", verbose_name=_("first touch")
    )
    last_campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", verbose_name=_("last touch")
    )
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.first_campaign_id} → {self.last_campaign_id}"


class OrderAttribution(models.Model):
    """Which campaigns brought an order (first and last touch), written when it is placed."""

    order = models.OneToOneField(
        Order, on_delete=models.CASCADE, related_name="attribution", verbose_name=_("order")
    )
    first_campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="+", verbose_name=_("first touch")
    )
    last_campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        related_name="attributed_orders",
        verbose_name=_("last touch"),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("order attribution")
        verbose_name_plural = _("order attributions")

    def __str__(self) -> str:
        return f"{self.order_id}: {self.last_campaign_id}"
