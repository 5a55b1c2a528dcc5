# Every existing transaction gets its own random public id (as payments.models.new_public_id).

import secrets

from django.db import migrations

BATCH = 1000


def fill_public_ids(apps, schema_editor):
    Transaction = apps.get_model('payments', 'Transaction')
    while True:
        batch = list(Transaction.objects.filter(public_id__isnull=True).only('pk')[:BATCH])
        if not batch:
            return
        for transaction in batch:
            transaction.public_id = secrets.token_urlsafe(16)
        Transaction.objects.bulk_update(batch, ['public_id'])


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0012_transaction_public_id'),
    ]

    operations = [
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
    ]
