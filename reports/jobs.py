"""Background jobs: exports and product imports, with progress on the job row, a file
kept for a week, and an e-mail to the owner when done.

Creating a job checks everything that can be checked at once (the list, its filters,
the owner's scope, the uploaded file's size and type) and enqueues the run on commit;
``job_run`` does the work in a worker and may run again for the same job (a worker that
died mid-way): it starts over and overwrites the file.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.files import File
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from catalog.models import Cooperative
from catalog.selectors import user_managed_cooperative_ids
from storefront import metrics
from storefront.errors import ApplicationError, InvalidInput, NotFound
from storefront.queue import send_on_commit

from . import exports, imports
from .constants import FINISHED, JOB_FILE_DAYS, ExportFormat, JobKind, JobStatus
from .models import Job
from .progress import Progress

logger = logging.getLogger(__name__)


def _is_platform(user) -> bool:
    return bool(getattr(user, "is_platform", False))


def user_scope(user) -> list[int] | None:
    """None for platform staff (everything), else the cooperatives ``user`` manages."""
    return None if _is_platform(user) else sorted(user_managed_cooperative_ids(user))


def _source_model(source: str):
    try:
        return apps.get_model(source)
    except (LookupError, ValueError):
        raise NotFound(details={"source": source}) from None


def _enqueue(job: Job) -> None:
    from .tasks import job_run_task

    send_on_commit(job_run_task, job.pk)


# --------------------------------------------------------------------------- exports


@transaction.atomic
def export_job_create(
    *, user, export: str, fmt: str, source: str, params: dict[str, list[str]]
) -> Job:
    """An export of ``source``'s admin list (``app_label.Model``) with ``params`` (its
    query string), run by a worker. Raises ``NotFound`` when ``user`` may not view that
    list, ``InvalidInput`` for an unknown export or format or a filter the list refuses.
    """
    model = _source_model(source)
    exporter = exports.export_get(export, model)
    if fmt not in ExportFormat.values:
        raise InvalidInput(details={"format": [_("Choose CSV or XLSX.")]})
    clean = {k: v for k, v in params.items() if k not in ("p", "all", "_changelist_filters")}
    exports.changelist_queryset(user=user, model=model, params=clean)  # checks, then drops
    job = Job.objects.create(
        owner=user,
        token=secrets.token_hex(16),
        kind=JobKind.EXPORT,
        export=exporter.name,
        format=fmt,
        params={"source": model._meta.label, "filters": clean},
        scope=user_scope(user) or [],
    )
    _enqueue(job)
    return job


def _run_export(job: Job) -> None:
    model = _source_model(job.params["source"])
    exporter = exports.export_get(job.export, model)
    source = exports.changelist_queryset(user=job.owner, model=model, params=job.params["filters"])
    scope = user_scope(job.owner)
    rows = exporter.values(source, scope)
    progress = Progress(job.pk, total=rows.count())
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    filename = f"farmgate-{exporter.name}-{stamp}.{job.format}"
    with exports.output_file() as out:
        exports.write_export(exporter, rows, job.format, out, progress.advance)
        progress.close()
        out.seek(0)
        job.file.save(filename, File(out, name=filename), save=False)
    job.filename = filename
    job.result = {"rows": progress.done}
    job.save(update_fields=["file", "filename", "result"])


# --------------------------------------------------------------------------- imports


def _import_cooperative(user, cooperative_id: int) -> Cooperative:
    scope = user_scope(user)
    coop = Cooperative.objects.filter(pk=cooperative_id).first()
    if coop is None or (scope is not None and coop.pk not in scope):
        raise NotFound(details={"cooperative": cooperative_id})
    return coop


@transaction.atomic
def import_job_create(*, user, cooperative_id: int, upload, name: str) -> Job:
    """A dry run of a product import for one of ``user``'s cooperatives."""
    coop = _import_cooperative(user, cooperative_id)
    name = (name or "").rsplit("/", 1)[-1][-100:]
    if not name.lower().endswith((".csv", ".xlsx")):
        raise InvalidInput(details={"file": [_("Upload a .csv or .xlsx file.")]})
    if upload.size > imports.MAX_FILE_BYTES:
        raise InvalidInput(details={"file": [_("The file is larger than 20 MB.")]})
    job = Job(
        owner=user,
        token=secrets.token_hex(16),
        kind=JobKind.IMPORT_CHECK,
        cooperative=coop,
        scope=user_scope(user) or [],
        filename=name,
    )
    suffix = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
    job.upload.save(f"upload{suffix}", File(upload), save=False)
    job.save()
    _enqueue(job)
    return job


@transaction.atomic
def import_job_apply(*, user, checked_job_id: int) -> Job:
    """Apply a file whose dry run found no error (a new job; the same file)."""
    checked = job_get_for_user(user=user, job_id=checked_job_id)
    if (
        checked.kind != JobKind.IMPORT_CHECK
        or checked.status != JobStatus.DONE
        or checked.result.get("errors")
    ):
        raise InvalidInput(details={"job": [_("Only a dry run without errors can be applied.")]})
    _import_cooperative(user, checked.cooperative_id)
    job = Job.objects.create(
        owner=user,
        token=secrets.token_hex(16),
        kind=JobKind.IMPORT_APPLY,
        cooperative=checked.cooperative,
        scope=checked.scope,
        upload=checked.upload.name,
        filename=checked.filename,
        checked_by=checked,
    )
    _enqueue(job)
    return job


def _run_import(job: Job) -> None:
    coop = _import_cooperative(job.owner, job.cooperative_id)
    with job.upload.open("rb") as upload:
        data = upload.read(imports.MAX_FILE_BYTES + 1)
    import io

    progress = Progress(job.pk, total=0)

    def advance(n: int) -> None:
        progress.advance(n)

    try:
        if job.kind == JobKind.IMPORT_CHECK:
            plan = imports.import_check(
                cooperative=coop, upload=io.BytesIO(data), name=job.filename, advance=advance
            )
        else:
            progress.total = job.checked_by.result.get("rows", 0) if job.checked_by else 0
            plan = imports.import_apply(
                cooperative=coop,
                upload=io.BytesIO(data),
                name=job.filename,
                actor=job.owner,
                advance=advance,
            )
    except imports.ImportRefused as exc:
        job.result = {"errors": exc.details.get("errors", []), "applied": False}
        job.save(update_fields=["result"])
        raise
    finally:
        progress.total = max(progress.total, progress.done)
        progress.close()
    job.result = {**plan.summary(), "applied": job.kind == JobKind.IMPORT_APPLY}
    job.save(update_fields=["result"])


# --------------------------------------------------------------------------- running


def job_run(*, job_id: int) -> Job | None:
    """Run a queued (or interrupted) job to the end. A finished job is left alone."""
    job = Job.objects.select_related("owner", "checked_by").filter(pk=job_id).first()
    if job is None or job.status in FINISHED:
        return job
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), done=0, error=""
    )
    try:
        with translation.override(_language(job.owner)):
            if job.kind == JobKind.EXPORT:
                _run_export(job)
            else:
                _run_import(job)
    except ApplicationError as exc:
        _finish(job, JobStatus.FAILED, error=exc.message)
        return job
    except Exception as exc:
        logger.exception("report job %s failed", job.pk)
        metrics.incr("report_job_failed")
        _finish(
            job,
            JobStatus.FAILED,
            error=_("The job failed: %(error)s") % {"error": type(exc).__name__},
        )
        raise
    _finish(job, JobStatus.DONE)
    return job


def _language(user) -> str:
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def _finish(job: Job, status: str, *, error: str = "") -> None:
    now = timezone.now()
    expires = now + timedelta(days=JOB_FILE_DAYS)
    Job.objects.filter(pk=job.pk).update(
        status=status, finished_at=now, expires_at=expires, error=error[:2000]
    )
    job.status, job.finished_at, job.expires_at, job.error = status, now, expires, error
    _email(job)


def _email(job: Job) -> None:
    """Tell the owner the job has finished (once: ``emailed_at`` is claimed first)."""
    if not job.owner.email:
        return
    claimed = Job.objects.filter(pk=job.pk, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return
    with translation.override(_language(job.owner)):
        context = {"job": job, "url": settings.PUBLIC_BASE_URL + job.get_absolute_url()}
        subject = " ".join(render_to_string("emails/reports/job_done_subject.txt", context).split())
        body = render_to_string("emails/reports/job_done.txt", context)
    try:
        send_mail(subject, body, None, [job.owner.email])
    except Exception:  # the job is done; a lost e-mail must not fail it
        logger.exception("job %s: e-mail not sent", job.pk)
        metrics.incr("report_job_email_failed")


# --------------------------------------------------------------------------- reading


def job_get_for_user(*, user, job_id: int) -> Job:
    """The job if ``user`` owns it, else ``NotFound`` (never another person's job)."""
    job = Job.objects.filter(pk=job_id, owner=user).select_related("cooperative").first()
    if job is None:
        raise NotFound()
    return job


def job_download_get(*, user, job_id: int) -> Job:
    """A finished export ``user`` owns and may still see: its rows were chosen with the
    cooperatives they managed then; one they manage no longer closes the download."""
    job = job_get_for_user(user=user, job_id=job_id)
    if job.kind != JobKind.EXPORT or job.status != JobStatus.DONE or not job.file:
        raise NotFound()
    scope = user_scope(user)
    if scope is not None and (not job.scope or not set(job.scope) <= set(scope)):
        raise NotFound()
    return job


def jobs_expire(*, now=None) -> int:
    """Remove the files of finished jobs older than a week; returns how many."""
    now = now or timezone.now()
    expired = 0
    for job in Job.objects.filter(
        status__in=[JobStatus.DONE, JobStatus.FAILED], expires_at__lte=now
    ).order_by("pk")[:500]:
        for stored in (job.file, job.upload):
            if (
                stored
                and not Job.objects.filter(upload=stored.name)
                .exclude(pk=job.pk)
                .exclude(status=JobStatus.EXPIRED)
                .exists()
            ):
                stored.storage.delete(stored.name)
        Job.objects.filter(pk=job.pk).update(status=JobStatus.EXPIRED, file="", upload="")
        expired += 1
    return expired
