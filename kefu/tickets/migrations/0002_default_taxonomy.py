"""Seed the shared category taxonomy and default SLA policies."""

from django.db import migrations


def seed(apps, schema_editor):
    from kefu.tickets.taxonomy import seed_defaults

    seed_defaults(apps.get_model("tickets", "Category"), apps.get_model("tickets", "SLAPolicy"))


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
