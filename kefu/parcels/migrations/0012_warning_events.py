"""Every change to a warning is a WarningEvent row: acknowledged, reported (with the
previous reason), escalated, saved, returned, missed; who (None: the sweep) and when.
One index, a warning's history; no foreign-key constraints (the sweep writes them
by the thousand)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('parcels', '0011_customer_moved_to_customers'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='WarningEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('verb', models.CharField(choices=[('acknowledged', 'acknowledged'), ('reported', 'reported a reason'), ('escalated', 'escalated'), ('saved', 'saved'), ('returned', 'returned'), ('missed', 'missed')], max_length=20)),
                ('data', models.JSONField(blank=True, default=dict)),
                ('created_at', models.DateTimeField()),
                ('actor', models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('warning', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='parcels.parcelwarning')),
            ],
            options={
                'verbose_name': 'warning event',
                'verbose_name_plural': 'warning events',
                'ordering': ['created_at', 'pk'],
                'indexes': [models.Index(fields=['warning', 'created_at'], name='warning_event_history')],
            },
        ),
    ]
