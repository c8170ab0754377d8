# The bulk-loaded tables keep their references without database constraints (checked per row at commit).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orgs', '0002_user_confirmed'),
        ('parcels', '0005_sweep_marks'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='scanevent',
            name='point',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='orgs.networkpoint'),
        ),
        migrations.AlterField(
            model_name='waybill',
            name='area',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, to='orgs.area'),
        ),
        migrations.AlterField(
            model_name='waybill',
            name='courier',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='waybills', to=settings.AUTH_USER_MODEL, verbose_name='courier'),
        ),
        migrations.AlterField(
            model_name='waybill',
            name='customer',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, to='orgs.customer'),
        ),
        migrations.AlterField(
            model_name='waybill',
            name='point',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='waybills', to='orgs.networkpoint'),
        ),
    ]
