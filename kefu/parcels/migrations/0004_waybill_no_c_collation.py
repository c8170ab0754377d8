"""Waybill numbers compare byte by byte on PostgreSQL (COLLATE "C").

They are ASCII codes, never sorted for a reader, so a locale's collation only
costs: with a database created in C.UTF-8 or zh_CN.UTF-8 every comparison in the
scan import's unique index and GROUP BY goes through strcoll(), which made the
import of a million scans about twice as slow. SQLite compares bytes already.
"""

from django.db import migrations

TABLES = ("parcels_scanevent", "parcels_waybill")


def to_c(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f'ALTER TABLE {table} ALTER COLUMN waybill_no TYPE varchar(40) COLLATE "C"')


def to_default(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f'ALTER TABLE {table} ALTER COLUMN waybill_no TYPE varchar(40) COLLATE "default"')


class Migration(migrations.Migration):
    dependencies = [("parcels", "0003_sweep_index_skips_missed")]

    operations = [migrations.RunPython(to_c, to_default)]
