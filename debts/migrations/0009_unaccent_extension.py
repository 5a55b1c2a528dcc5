# The staff's debt search ignores accents through PostgreSQL's unaccent (tipiportal.search);
# on SQLite the operation does nothing (the function is registered on each connection).
# Written out rather than django.contrib.postgres's UnaccentExtension, whose backwards step queries
# pg_extension whatever the database (the migration tests run migrations backwards on SQLite too);
# going back leaves the extension in place: other database objects may use it.

from django.db import migrations


def _unaccent_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")


class Migration(migrations.Migration):

    dependencies = [
        ('debts', '0008_regie_invoices'),
    ]

    operations = [
        migrations.RunPython(_unaccent_create, migrations.RunPython.noop, elidable=False),
    ]
