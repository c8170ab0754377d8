"""Fast inserts for the demo's history: plain rows, one executemany per table.

Building 300,000 model instances and passing them through `bulk_create`
costs most of a minute on SQLite; the rows themselves take seconds. A `Row`
reads like a model instance (attributes by field name, related objects by
name) without Django's per-instance machinery, and `Table.insert` writes many
rows with the backend's own value adapters, so the same code serves SQLite
and PostgreSQL. Automatic fields (auto_now, auto_now_add) are not touched:
a row's times are the story's times.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, models

CHUNK = 5000


class Row:
    """A row to insert: `row.status`, `row.assignee` (an object with `.pk`), …; `pk` once written."""

    def __init__(self, **values):
        self.pk = None
        self.__dict__.update(values)


class Table:
    """INSERT for every concrete non-primary-key column of `model`."""

    def __init__(self, model: type[models.Model]):
        ops = connection.ops
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        columns = ", ".join(ops.quote_name(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        self.sql = f"INSERT INTO {ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({marks})"
        self.getters = [self._getter(f) for f in self.fields]

    @staticmethod
    def _getter(field: models.Field):
        ops = connection.ops
        default = field.get_default()
        if field.is_relation:
            def related(row, name=field.name, attname=field.attname):
                obj = row.__dict__.get(name)
                return obj.pk if obj is not None else row.__dict__.get(attname)
            return related
        if isinstance(field, models.DateTimeField):
            adapt = _datetime_adapter()
            return lambda row, name=field.attname: adapt(row.__dict__.get(name))
        if isinstance(field, models.JSONField):
            return lambda row, name=field.attname, enc=field.encoder: ops.adapt_json_value(
                row.__dict__.get(name, default), enc)
        return lambda row, name=field.attname: row.__dict__.get(name, default)

    def insert(self, rows: Iterable[Row]) -> int:
        count = 0
        batch: list[tuple] = []
        with connection.cursor() as cursor:
            for row in rows:
                batch.append(tuple([get(row) for get in self.getters]))
                if len(batch) >= CHUNK:
                    cursor.executemany(self.sql, batch)
                    count, batch = count + len(batch), []
            if batch:
                cursor.executemany(self.sql, batch)
                count += len(batch)
        return count


def delete_rows(model: type[models.Model], where: str, params: list) -> int:
    """DELETE FROM model's table WHERE `where` (column names as written in SQL).

    Only for rows nothing points to any more: Django's `delete()` loads every
    row to look for dependents, which takes seconds for 100,000 rows."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {where}", params)
        return cursor.rowcount


def _datetime_adapter():
    """The backend's datetime adapter; for SQLite storing UTC, the same result
    (naive UTC as text) without the per-call checks, which were a large part of the
    insert time of the demo's hundreds of thousands of rows."""
    if connection.vendor == "sqlite" and settings.USE_TZ and connection.timezone == dt.UTC:
        utc = dt.UTC
        return lambda value: None if value is None else str(value.astimezone(utc).replace(tzinfo=None))
    return connection.ops.adapt_datetimefield_value
