"""Team offers, teams and their members; harvest pre-sales and their orders."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .constants import DEFAULT_TIME_TO_FILL_HOURS, PreSaleStatus, TeamStatus


class TeamOffer(models.Model):
    """A team price on one variant: a buyer starts a team, others join; once ``size``
    members have paid, every member gets the goods at ``team_price``."""

    variant = models.ForeignKey(
        "catalog.Variant",
        on_delete=models.PROTECT,
        related_name="team_offers",
        verbose_name=_("variant"),
    )
    team_price = models.DecimalField(_("team price (CNY)"), max_digits=10, decimal_places=2)
    team_size = models.PositiveSmallIntegerField(_("team size"), default=2)
    time_to_fill = models.DurationField(
        _("time to fill"), default=timedelta(hours=DEFAULT_TIME_TO_FILL_HOURS)
    )
    stock_cap = models.PositiveIntegerField(
        _("units on offer"), help_text=_("The most units sold at the team price.")
    )
    units_claimed = models.PositiveIntegerField(_("units claimed"), default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("team offer")
        verbose_name_plural = _("team offers")
        constraints = [
            models.CheckConstraint(condition=Q(team_size__gte=2), name="teamoffer_size_min_2"),
            models.CheckConstraint(condition=Q(team_price__gt=0), name="teamoffer_price_positive"),
            models.CheckConstraint(
                condition=Q(units_claimed__lte=F("stock_cap")), name="teamoffer_within_cap"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.variant} × {self.team_size} @ {self.team_price}"


class Team(models.Model):
    offer = models.ForeignKey(
        TeamOffer, on_delete=models.PROTECT, related_name="teams", verbose_name=_("offer")
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="teams_led",
        verbose_name=_("leader"),
    )
    size = models.PositiveSmallIntegerField(_("size"))
    seats_taken = models.PositiveSmallIntegerField(_("seats taken"), default=0)
    deadline = models.DateTimeField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=10, choices=TeamStatus.choices, default=TeamStatus.OPEN
    )
    filled_at = models.DateTimeField(_("filled at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.CheckConstraint(condition=Q(seats_taken__lte=F("size")), name="team_not_over"),
        ]
        indexes = [models.Index(fields=["status", "deadline"], name="team_status_deadline_idx")]

    def __str__(self) -> str:
        return f"team {self.pk} ({self.status})"

    @property
    def is_joinable(self) -> bool:
        return (
            self.status == TeamStatus.OPEN
            and self.seats_taken < self.size
            and self.deadline > timezone.now()
        )


class TeamMember(models.Model):
    """One seat: the order that claimed it. Counts toward filling once ``paid_at`` is
    set; ``settled_at`` is when a failed team's sweep refunded or cancelled it (once)."""

    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="members", verbose_name=_("team")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("buyer")
    )
    order = models.OneToOneField(
        "orders.Order",
        on_delete=models.PROTECT,
        related_name="team_member",
        verbose_name=_("order"),
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    released_at = models.DateTimeField(_("seat given back at"), null=True, blank=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    refund_key = models.CharField(
        _("refund key"), max_length=64, null=True, blank=True, unique=True, editable=False
    )
    created = models.DateTimeField(_("joined"), auto_now_add=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class PreSale(models.Model):
    """A quota of a future harvest sold now at a fixed price."""

    variant = models.ForeignKey(
        "catalog.Variant",
        on_delete=models.PROTECT,
        related_name="presales",
        verbose_name=_("variant"),
    )
    title = models.CharField(_("title"), max_length=150)
    price = models.DecimalField(_("pre-sale price (CNY)"), max_digits=10, decimal_places=2)
    quota = models.PositiveIntegerField(_("quota (units)"))
    sold = models.PositiveIntegerField(_("units sold"), default=0, editable=False)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    ships_on = models.DateField(_("planned ship date"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=PreSaleStatus.choices,
        default=PreSaleStatus.OPEN,
        editable=False,
    )
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True, editable=False)
    shortfall = models.PositiveIntegerField(_("shortfall (units)"), default=0, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("pre-sale")
        verbose_name_plural = _("pre-sales")
        constraints = [
            models.CheckConstraint(condition=Q(sold__lte=F("quota")), name="presale_never_over"),
            models.CheckConstraint(condition=Q(price__gt=0), name="presale_price_positive"),
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="presale_closes_after_open"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def left(self) -> int:
        return max(self.quota - self.sold, 0)

    @property
    def is_selling(self) -> bool:
        now = timezone.now()
        return (
            self.status == PreSaleStatus.OPEN
            and self.opens_at <= now < self.closes_at
            and self.sold < self.quota
        )


class PreSaleOrder(models.Model):
    """An order's claim on a pre-sale's quota; ``outcome`` once converted or refunded."""

    presale = models.ForeignKey(
        PreSale, on_delete=models.PROTECT, related_name="orders", verbose_name=_("pre-sale")
    )
    order = models.OneToOneField(
        "orders.Order",
        on_delete=models.PROTECT,
        related_name="presale_claim",
        verbose_name=_("order"),
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    released_at = models.DateTimeField(_("quota given back at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, blank=True)
    refund_key = models.CharField(
        _("refund key"), max_length=64, null=True, blank=True, unique=True, editable=False
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("pre-sale order")
        verbose_name_plural = _("pre-sale orders")

    def __str__(self) -> str:
        return f"{self.order_id} in {self.presale}"
