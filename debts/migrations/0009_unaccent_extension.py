# The staff's debt search ignores accents through PostgreSQL's unaccent (tipiportal.search);
# on SQLite the operation does nothing (the function is registered on each connection).

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('debts', '0008_regie_invoices'),
    ]

    operations = [
        UnaccentExtension(),
    ]
