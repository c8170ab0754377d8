"""Seed the shared category taxonomy and default SLA policies."""

from django.db import migrations

# Business minutes. A point's day is 08:30–18:00 (570 minutes) by default.
DEFAULT_POLICIES = [
    # name, queue, tier, first response, resolution, warn before
    ("默认 Default", "", "", 120, 1140, 30),
    ("到件 Arrival", "arrival", "", 60, 570, 30),
    ("出发 Departure", "departure", "", 120, 1140, 30),
    ("高端 High-end", "", "high", 45, 570, 20),
    ("KA", "", "ka", 30, 285, 15),
]


def seed(apps, schema_editor):
    from kefu.tickets.taxonomy import DEFAULT_CATEGORIES

    Category = apps.get_model("tickets", "Category")
    SLAPolicy = apps.get_model("tickets", "SLAPolicy")
    for sort, (code, zh, en, group, urgent, dept, _words) in enumerate(DEFAULT_CATEGORIES):
        Category.objects.get_or_create(
            point=None, code=code,
            defaults={"name": zh, "name_en": en, "group": group, "urgent": urgent,
                      "department_kind": dept, "sort": sort},
        )
    for name, queue, tier, first, resolution, warn in DEFAULT_POLICIES:
        SLAPolicy.objects.get_or_create(
            point=None, name=name,
            defaults={"queue": queue, "tier": tier, "first_response_minutes": first,
                      "resolution_minutes": resolution, "warn_before_minutes": warn},
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
