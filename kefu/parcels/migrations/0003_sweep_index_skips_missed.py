# The sweep's warn index: a missed waybill leaves it, and the deadline is in the key.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('parcels', '0002_fewer_indexes'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='waybill',
            name='waybill_to_warn',
        ),
        migrations.AddIndex(
            model_name='waybill',
            index=models.Index(condition=models.Q(('deadline__isnull', False), ('missed_at__isnull', True), ('warned_at__isnull', True), models.Q(('settled_at__isnull', True), ('settled_at__gt', models.F('warn_at')), _connector='OR')), fields=['warn_at', 'deadline'], name='waybill_to_warn'),
        ),
    ]
