"""Customer moved to `kefu.customers` with its table: the foreign key's target is the
same table (state only)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0001_initial"),
        ("parcels", "0010_waybill_due_brin"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="waybill",
                    name="customer",
                    field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True,
                                            on_delete=django.db.models.deletion.SET_NULL, to="customers.customer"),
                ),
            ],
        ),
    ]
