# The public id of a transaction (issue 13, item 10), in three steps as Django's documentation
# adds a unique field to a table with rows: the column, nullable (0012); a distinct random value
# for each existing row (0013); then unique and required (0014).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0011_delete_clientevent'),
    ]

    operations = [
        migrations.AddField(
            model_name='transaction',
            name='public_id',
            field=models.CharField(editable=False, max_length=32, null=True, verbose_name='identifiant public'),
        ),
    ]
