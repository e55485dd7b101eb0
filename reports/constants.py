"""Choices of the reports app, in one place."""

from django.db import models
from django.utils.translation import gettext_lazy as _

#: The sales channel every order has until channels exist (issue 13): the aggregates
#: carry the column now so that adding channels changes no table.
DEFAULT_CHANNEL = "online"


class JobKind(models.TextChoices):
    EXPORT = "export", _("Export")
    IMPORT_CHECK = "import_check", _("Import: dry run")
    IMPORT_APPLY = "import_apply", _("Import: apply")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


FINISHED = (JobStatus.DONE, JobStatus.FAILED, JobStatus.EXPIRED)


class ExportFormat(models.TextChoices):
    CSV = "csv", _("CSV (Excel, UTF-8)")
    XLSX = "xlsx", _("Excel workbook (XLSX)")


class Figure(models.TextChoices):
    """The figures the aggregate check compares with the ledger."""

    SALES = "sales", _("Sales (goods and shipping)")
    REFUNDS = "refunds", _("Refunds")
    FEES = "fees", _("Platform fees")
    PAYOUTS = "payouts", _("Payouts")


# A finished job's file is kept this long, then removed by the clean-up task.
JOB_FILE_DAYS = 7
