"""On PostgreSQL the board's index of a point's waybills by deadline is a BRIN index.

Waybills arrive day by day, so a block of the table holds a few days' deadlines
at most, and a BRIN index (the least and greatest point and deadline of each
range of 128 blocks) finds a period's waybills almost as well as a B-tree. It
costs next to nothing to keep: the B-tree took 1.2 s of the 2.5 s that a
million-scan file's 333,334 new waybills cost to insert (its entries landed all
over the tree). SQLite has no BRIN and keeps the B-tree. Django's migration
state still holds the model's index `waybill_due`; only its kind differs.
"""

from django.db import migrations

# autosummarize: autovacuum summarizes each range of blocks as it fills (until then it is always read).
BRIN = "CREATE INDEX waybill_due ON parcels_waybill USING brin (point_id, deadline) WITH (autosummarize = on)"
BTREE = "CREATE INDEX waybill_due ON parcels_waybill (point_id, deadline)"


def _replace(create):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("DROP INDEX IF EXISTS waybill_due")
        schema_editor.execute(create)

    return run


class Migration(migrations.Migration):
    dependencies = [("parcels", "0009_waybill_due_index")]

    operations = [migrations.RunPython(_replace(BRIN), _replace(BTREE))]
