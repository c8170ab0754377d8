"""Customer moves from `orgs` to its own app: the table `orgs_customer` and its rows stay
as they are (state only); the content type is renamed so that permissions and admin
history follow the model."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def rename_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="customers", model="customer").exists():
        ContentType.objects.filter(app_label="orgs", model="customer").update(app_label="customers")


def restore_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="orgs", model="customer").exists():
        ContentType.objects.filter(app_label="customers", model="customer").update(app_label="orgs")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("orgs", "0002_user_confirmed"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Customer",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("code", models.CharField(max_length=32, verbose_name="code")),
                        ("name", models.CharField(max_length=100, verbose_name="name")),
                        ("tier", models.CharField(choices=[("regular", "Regular"), ("mid", "Mid-range"), ("high", "High-end"), ("ka", "Key account")], default="regular", max_length=20, verbose_name="tier")),
                        ("kind", models.CharField(choices=[("ecommerce", "E-commerce shop"), ("walk_in", "Walk-in"), ("enterprise", "Enterprise")], default="ecommerce", max_length=20, verbose_name="type")),
                        ("phone", models.CharField(blank=True, db_index=True, max_length=32, verbose_name="phone")),
                        ("address", models.CharField(blank=True, max_length=200, verbose_name="address")),
                        ("time_sensitive", models.BooleanField(default=False, verbose_name="time-sensitive")),
                        ("area", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to="orgs.area")),
                        ("named_agent", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="named_customers", to=settings.AUTH_USER_MODEL, verbose_name="named agent")),
                        ("point", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="customers", to="orgs.networkpoint")),
                    ],
                    options={
                        "verbose_name": "customer",
                        "verbose_name_plural": "customers",
                        "db_table": "orgs_customer",
                        "constraints": [models.UniqueConstraint(fields=("point", "code"), name="customer_code_per_point")],
                    },
                ),
            ],
        ),
        migrations.RunPython(rename_content_type, restore_content_type),
    ]
