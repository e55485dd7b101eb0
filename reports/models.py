"""Tables of the reports app: the daily aggregates the dashboards read, the check of
those aggregates against the ledger, and background jobs (exports and imports).

The aggregates are derived data: ``reports.aggregates`` rebuilds any day from orders,
refunds, payouts and shipments (delete and insert under the day's lock), so a row is
never edited in place.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .constants import DEFAULT_CHANNEL, ExportFormat, Figure, JobKind, JobStatus

_MONEY = {"max_digits": 14, "decimal_places": 2, "default": 0}


class DailySales(models.Model):
    """One day of one cooperative's sales of one variant, per channel and campaign.

    The row with an empty ``sku`` holds what belongs to the cooperative but to no variant:
    shipping fees and platform fees (and the number of orders, which variant rows cannot
    add up to). Days are local dates (``TIME_ZONE``); a sale counts on the day the order
    was paid, a refund on the day it succeeded.
    """

    day = models.DateField(_("day"))
    cooperative = models.ForeignKey(
        "catalog.Cooperative", on_delete=models.CASCADE, related_name="+"
    )
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sku = models.CharField(_("SKU"), max_length=40, blank=True)
    title = models.CharField(_("title"), max_length=240, blank=True)
    # Ready for issue 13's channels and campaigns: every order is online until then.
    channel = models.CharField(_("channel"), max_length=24, default=DEFAULT_CHANNEL)
    campaign_id = models.BigIntegerField(_("campaign"), null=True, blank=True)
    orders = models.PositiveIntegerField(_("orders"), default=0)
    units = models.PositiveIntegerField(_("units sold"), default=0)
    sales = models.DecimalField(_("sales"), **_MONEY)
    shipping = models.DecimalField(_("shipping"), **_MONEY)
    fees = models.DecimalField(_("platform fees"), **_MONEY)
    refunded_units = models.PositiveIntegerField(_("units refunded"), default=0)
    refunds = models.DecimalField(_("refunds"), **_MONEY)

    class Meta:
        ordering = ["-day", "cooperative", "sku"]
        verbose_name = _("daily sales")
        verbose_name_plural = _("daily sales")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "cooperative", "sku", "channel"],
                condition=Q(campaign_id__isnull=True),
                name="dailysales_unique_no_campaign",
            ),
            models.UniqueConstraint(
                fields=["day", "cooperative", "sku", "channel", "campaign_id"],
                condition=Q(campaign_id__isnull=False),
                name="dailysales_unique_campaign",
            ),
        ]
        indexes = [
            models.Index(fields=["cooperative", "day"], name="dailysales_coop_day_idx"),
            models.Index(fields=["day"], name="dailysales_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.cooperative_id} {self.sku or '—'}"


class DailyCooperative(models.Model):
    """One day of one cooperative: payouts, deliveries and the breakdowns the dashboard
    ranks (buyers' provinces, delivery time per carrier) as small JSON maps."""

    day = models.DateField(_("day"))
    cooperative = models.ForeignKey(
        "catalog.Cooperative", on_delete=models.CASCADE, related_name="+"
    )
    payouts = models.DecimalField(_("payouts"), **_MONEY)
    # {"北京市": {"orders": 3, "sales": "120.00"}}: orders paid that day, by province.
    provinces = models.JSONField(_("buyers' provinces"), default=dict, blank=True)
    # {"sf": {"name": "顺丰", "delivered": 2, "hours": 96.5}}: parcels delivered that day.
    carriers = models.JSONField(_("deliveries by carrier"), default=dict, blank=True)

    class Meta:
        ordering = ["-day", "cooperative"]
        verbose_name = _("daily cooperative figures")
        verbose_name_plural = _("daily cooperative figures")
        constraints = [
            models.UniqueConstraint(fields=["day", "cooperative"], name="dailycoop_unique"),
        ]
        indexes = [models.Index(fields=["cooperative", "day"], name="dailycoop_coop_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.cooperative_id}"


class AggregateDay(models.Model):
    """When a day's aggregates were last built and checked; its row is the lock that
    keeps two rebuilds of one day from interleaving."""

    day = models.DateField(_("day"), unique=True)
    built_at = models.DateTimeField(_("built at"), null=True, blank=True)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    differences = models.PositiveIntegerField(_("differences found"), default=0)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("aggregated day")
        verbose_name_plural = _("aggregated days")

    def __str__(self) -> str:
        return str(self.day)


class AggregateDifference(models.Model):
    """A figure of a day where the aggregates and the ledger disagree: someone must look."""

    day = models.DateField(_("day"))
    cooperative = models.ForeignKey(
        "catalog.Cooperative", on_delete=models.CASCADE, related_name="+"
    )
    figure = models.CharField(_("figure"), max_length=16, choices=Figure.choices)
    aggregated = models.DecimalField(_("in the aggregates"), max_digits=14, decimal_places=2)
    ledger = models.DecimalField(_("in the ledger"), max_digits=14, decimal_places=2)
    checked_at = models.DateTimeField(_("found at"), auto_now=True)

    class Meta:
        ordering = ["-day", "cooperative", "figure"]
        verbose_name = _("aggregate difference")
        verbose_name_plural = _("aggregate differences")
        constraints = [
            models.UniqueConstraint(fields=["day", "cooperative", "figure"], name="aggdiff_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.cooperative_id} {self.figure}"

    @property
    def difference(self):
        return self.aggregated - self.ledger


def job_file_path(job: Job, filename: str) -> str:
    return f"reports/jobs/{job.owner_id}/{job.token}/{filename}"


class Job(models.Model):
    """A background export or import, its progress and its file.

    Only its owner sees it; an export's rows were chosen with the owner's scope when it
    ran, and the download checks that scope again. Files are removed after
    ``JOB_FILE_DAYS`` (the job row stays, marked expired).
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_jobs"
    )
    token = models.CharField(max_length=32, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=JobKind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    # Exports: which export, in which format, from which admin list with which filters.
    export = models.CharField(_("export"), max_length=32, blank=True)
    format = models.CharField(_("format"), max_length=8, choices=ExportFormat.choices, blank=True)
    params = models.JSONField(default=dict, blank=True)
    # The cooperatives the owner managed when the job was made; empty for platform staff.
    scope = models.JSONField(default=list, blank=True)
    # Imports: the cooperative the products belong to and the uploaded file.
    cooperative = models.ForeignKey(
        "catalog.Cooperative", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    upload = models.FileField(upload_to=job_file_path, blank=True)
    checked_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    total = models.PositiveIntegerField(_("rows"), default=0)
    done = models.PositiveIntegerField(_("rows done"), default=0)
    file = models.FileField(upload_to=job_file_path, blank=True)
    filename = models.CharField(max_length=150, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("file kept until"), null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("report job")
        verbose_name_plural = _("report jobs")
        indexes = [
            models.Index(fields=["owner", "-created"], name="job_owner_created_idx"),
            models.Index(fields=["status", "expires_at"], name="job_status_expires_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.export or ''} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("reports_admin:job", kwargs={"job_id": self.pk})

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        return min(99, self.done * 100 // self.total) if self.total else 0
