import payments.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0013_transaction_public_id_fill'),
    ]

    operations = [
        migrations.AlterField(
            model_name='transaction',
            name='public_id',
            field=models.CharField(default=payments.models.new_public_id, editable=False, max_length=32, unique=True, verbose_name='identifiant public'),
        ),
    ]
