"""A GIN index that the SQLite demo database can live with."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex


class PostgresGinIndex(GinIndex):
    """GIN (with its operator classes) on PostgreSQL; on other databases, which have no
    GIN, a plain index on the same columns, so one set of migrations serves both."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "postgresql":
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        fields = [model._meta.get_field(name) for name in self.fields]
        return schema_editor._create_index_sql(model, fields=fields, name=self.name)


def ensure_trigram_extension(sender, using="default", **kwargs) -> None:
    """``pre_migrate``: pg_trgm before any table is made (test databases are made without
    migrations, so the migration's ``TrigramExtension`` alone would come too late)."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
