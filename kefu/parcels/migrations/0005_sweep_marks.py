"""The sweep's marks move off the waybill into WaybillMark (a miss is one small insert
instead of a new version of the wide waybill row in every index), the candidate indexes
are keyed by the time a waybill becomes due and read from the sweep's horizon on, and a
warning can close as returned (退回). Warnings lose the indexes their composite indexes
do not need and their foreign-key constraints (the sweep inserts them by
the ten thousand)."""

import django.db.models.deletion
import django.db.models.functions.comparison
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orgs', '0002_user_confirmed'),
        ('parcels', '0004_waybill_no_c_collation'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SweepHorizon',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('missed_through', models.DateTimeField(blank=True, null=True)),
                ('warned_through', models.DateTimeField(blank=True, null=True)),
                ('imports_through', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='WaybillMark',
            fields=[
                ('waybill', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='mark', serialize=False, to='parcels.waybill')),
                ('warned_at', models.DateTimeField(blank=True, null=True)),
                ('missed_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'verbose_name': 'sweep mark',
                'verbose_name_plural': 'sweep marks',
            },
        ),
        # Marks made before this migration move over.
        migrations.RunSQL(
            "INSERT INTO parcels_waybillmark (waybill_id, warned_at, missed_at) "
            "SELECT id, warned_at, missed_at FROM parcels_waybill WHERE warned_at IS NOT NULL OR missed_at IS NOT NULL",
            "UPDATE parcels_waybill SET "
            "warned_at = (SELECT m.warned_at FROM parcels_waybillmark m WHERE m.waybill_id = parcels_waybill.id), "
            "missed_at = (SELECT m.missed_at FROM parcels_waybillmark m WHERE m.waybill_id = parcels_waybill.id) "
            "WHERE id IN (SELECT waybill_id FROM parcels_waybillmark)",
        ),
        migrations.RemoveIndex(
            model_name='waybill',
            name='waybill_to_miss',
        ),
        migrations.RemoveIndex(
            model_name='waybill',
            name='waybill_to_warn',
        ),
        migrations.RemoveField(
            model_name='waybill',
            name='missed_at',
        ),
        migrations.RemoveField(
            model_name='waybill',
            name='warned_at',
        ),
        migrations.AlterField(
            model_name='parcelwarning',
            name='state',
            field=models.CharField(choices=[('open', 'Open'), ('acknowledged', 'Acknowledged'), ('saved', 'Saved'), ('missed', 'Missed'), ('returned', 'Returned')], default='open', max_length=20, verbose_name='state'),
        ),
        migrations.AddIndex(
            model_name='waybill',
            index=models.Index(django.db.models.functions.comparison.Greatest('warn_at', 'arrived_at'), models.F('deadline'), models.F('id'), condition=models.Q(('arrived_at__isnull', False), ('deadline__isnull', False), models.Q(('settled_at__isnull', True), ('settled_at__gt', models.F('warn_at')), _connector='OR')), name='waybill_to_warn'),
        ),
        migrations.AddIndex(
            model_name='waybill',
            index=models.Index(django.db.models.functions.comparison.Greatest('deadline', 'arrived_at'), models.F('id'), models.F('deadline'), models.F('arrived_at'), condition=models.Q(('arrived_at__isnull', False), ('deadline__isnull', False), models.Q(('settled_at__isnull', True), ('settled_at__gt', models.F('deadline')), _connector='OR')), name='waybill_to_miss'),
        ),
        # Warnings: no indexes a composite index already leads with, no FK constraint to the waybill.
        migrations.AlterField(
            model_name='parcelwarning',
            name='courier',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='parcel_warnings', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='parcelwarning',
            name='escalated_to',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='parcelwarning',
            name='point',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='orgs.networkpoint'),
        ),
        migrations.AlterField(
            model_name='parcelwarning',
            name='waybill',
            field=models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='warning', to='parcels.waybill'),
        ),
        migrations.AlterField(
            model_name='parcelwarning',
            name='area',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, to='orgs.area'),
        ),
    ]
