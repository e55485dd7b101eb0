"""A job's progress, written to its row while it runs.

Writes are throttled (at most a few a second) and go through the job's own connection
when no transaction is open. Inside a long all-or-nothing transaction (an import being
applied) the main connection's writes would stay invisible until the commit, so on
PostgreSQL the progress goes through a second, autocommitting connection; SQLite allows
one writer at a time, so there the progress of such a phase is written once it commits.
"""

from __future__ import annotations

import time

from django.db import connection, connections

from .models import Job

WRITE_EVERY_SECONDS = 0.5


class Progress:
    def __init__(self, job_id: int, *, total: int, done: int = 0) -> None:
        self.job_id = job_id
        self.total = total
        self.done = done
        self._written_at = 0.0
        self._side = None
        Job.objects.filter(pk=job_id).update(total=total, done=done)

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self._written_at >= WRITE_EVERY_SECONDS:
            self._written_at = now
            self._write()

    def _write(self) -> None:
        if not connection.in_atomic_block:
            Job.objects.filter(pk=self.job_id).update(done=self.done, total=self.total)
            return
        if connection.vendor != "postgresql":
            return
        if self._side is None:
            self._side = connections.create_connection("default")
        table = connection.ops.quote_name(Job._meta.db_table)
        with self._side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET done = %s, total = %s WHERE id = %s",  # noqa: S608 — table from the model
                [self.done, self.total, self.job_id],
            )

    def close(self) -> None:
        """The final figures, through the job's own connection (after the work's
        transaction, if it had one)."""
        if self._side is not None:
            self._side.close()
            self._side = None
        Job.objects.filter(pk=self.job_id).update(done=self.done, total=self.total)
