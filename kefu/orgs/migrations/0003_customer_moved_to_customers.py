"""Customer moved to `kefu.customers` with its table and rows (state only): the contact's
foreign key points at the same table, and orgs no longer holds the model. Runs after
every app whose foreign keys were moved over."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0001_initial"),
        ("orgs", "0002_user_confirmed"),
        ("parcels", "0011_customer_moved_to_customers"),
        ("tickets", "0006_customer_moved_to_customers"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="user",
                    name="customer",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                                            related_name="contacts", to="customers.customer"),
                ),
                migrations.DeleteModel(name="Customer"),
            ],
        ),
    ]
