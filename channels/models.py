"""Places of the offline channel and the orders placed there.

Writes go through ``channels.services`` (and the cross-app flows in
``lifecycle.services.channels``)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .constants import BASIS_POINTS, PlaceKind


class Place(models.Model):
    """A county store (sells over the counter) or a village service station (places
    orders for villagers; a pickup point receives their parcels)."""

    kind = models.CharField(_("kind"), max_length=10, choices=PlaceKind.choices)
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    county = models.ForeignKey(
        "catalog.County", on_delete=models.PROTECT, related_name="places", verbose_name=_("county")
    )
    province = models.CharField(_("province"), max_length=50)
    city = models.CharField(_("city"), max_length=50)
    district = models.CharField(_("district"), max_length=50)
    address = models.CharField(_("address"), max_length=200)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=120, blank=True)
    agents = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="channel_places",
        verbose_name=_("agents"),
        help_text=_("The station agents or store clerks who may sell here."),
    )
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="managed_places",
        verbose_name=_("store managers"),
        help_text=_("They confirm the cash each clerk hands over at the end of the day."),
    )
    is_pickup_point = models.BooleanField(_("pickup point"), default=False)
    commission_bp = models.PositiveIntegerField(
        _("commission (basis points)"),
        default=0,
        validators=[MaxValueValidator(BASIS_POINTS)],
        help_text=_("On what assisted orders paid, net of refunds: 150 = 1.5 %."),
    )
    pickup_days = models.PositiveSmallIntegerField(
        _("days to collect"),
        default=7,
        help_text=_("Parcels not collected after this many days are flagged to the agent."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["county", "name"]
        verbose_name = _("store or station")
        verbose_name_plural = _("stores and stations")
        constraints = [
            models.CheckConstraint(
                condition=Q(commission_bp__lte=BASIS_POINTS), name="place_commission_bp_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def address_fields(self) -> dict[str, str]:
        return {
            "province": self.province,
            "city": self.city,
            "district": self.district,
            "address": self.address,
        }


class CountyManager(models.Model):
    """A county's manager: in the admin, manages that county's stores and stations."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="managed_counties",
        verbose_name=_("user"),
    )
    county = models.ForeignKey(
        "catalog.County", on_delete=models.CASCADE, related_name="+", verbose_name=_("county")
    )

    class Meta:
        verbose_name = _("county manager")
        verbose_name_plural = _("county managers")
        constraints = [
            models.UniqueConstraint(fields=["user", "county"], name="countymanager_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} / {self.county}"


class ChannelOrder(models.Model):
    """An order placed at a place: by a station agent for a walk-in villager (delivered
    to the station, collected with the pickup code), sold at a store counter, or a
    buyer's own online order to collect at a pickup station (no agent; the contact's
    name and phone are kept like a villager's)."""

    order = models.OneToOneField(
        "orders.Order", on_delete=models.PROTECT, related_name="channel_order"
    )
    place = models.ForeignKey(
        Place, on_delete=models.PROTECT, related_name="orders", verbose_name=_("place")
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("agent"),
        help_text=_("Empty: a buyer's own order to collect at this station."),
    )
    villager_name = models.CharField(_("villager"), max_length=50, blank=True)
    villager_phone = models.CharField(_("villager's phone"), max_length=20, blank=True)
    pickup_code = models.CharField(_("pickup code"), max_length=6, blank=True)
    ready_at = models.DateTimeField(_("at the station since"), null=True, blank=True)
    collected_at = models.DateTimeField(_("collected at"), null=True, blank=True)
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handed over by"),
    )
    flagged_at = models.DateTimeField(_("flagged uncollected at"), null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("store or station order")
        verbose_name_plural = _("store and station orders")
        constraints = [
            models.UniqueConstraint(
                fields=["place", "pickup_code"],
                condition=Q(collected_at__isnull=True) & ~Q(pickup_code=""),
                name="channelorder_pickup_code_live",
            ),
        ]
        indexes = [models.Index(fields=["agent", "-created"], name="channelorder_agent_idx")]

    def __str__(self) -> str:
        return f"{self.place}: {self.order_id}"


class CashEntryKind(models.TextChoices):
    #: The cash a clerk took on a day, closed at the end of it: the store owes it.
    TAKEN = "taken", _("cash taken (to hand over)")
    #: The store manager confirmed the clerk handed that cash over (the negative).
    HANDED_OVER = "handed_over", _("handed over")


class StoreCashEntry(models.Model):
    """One append-only line of a store's cash ledger: per clerk and day, the cash taken
    (positive, from the clerk's cash payments to the fen) and, once the store manager
    confirms, the same amount handed over (negative). A place's balance is the cash
    still in its clerks' hands."""

    place = models.ForeignKey(
        Place, on_delete=models.PROTECT, related_name="cash_entries", verbose_name=_("place")
    )
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("clerk"),
    )
    day = models.DateField(_("day"))
    kind = models.CharField(_("kind"), max_length=12, choices=CashEntryKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    payments = models.PositiveIntegerField(_("cash payments"), default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["day", "clerk_id", "id"]
        verbose_name = _("store cash entry")
        verbose_name_plural = _("store cash entries")
        constraints = [
            models.UniqueConstraint(
                fields=["place", "clerk", "day", "kind"], name="storecash_once_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.place_id} {self.clerk_id} {self.day} {self.kind} {self.amount}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError("cash entries are append-only")
        return super().save(*args, **kwargs)
