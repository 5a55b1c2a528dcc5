"""The staging table of imports is UNLOGGED on PostgreSQL: its rows live for one import only, so
they need no write-ahead log (a million staged rows wrote about a gigabyte of WAL, then as much
again to mark and delete them, forcing checkpoints in the middle of the import). After a crash
PostgreSQL empties an unlogged table, which is what an interrupted import's staging should be
anyway (the batch is failed and run again). Other databases: nothing to do."""

from django.db import migrations


def _set(logged: bool):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(apps.get_model("debts", "StagedDebt")._meta.db_table)
        schema_editor.execute(f"ALTER TABLE {table} SET {'LOGGED' if logged else 'UNLOGGED'}")

    return run


class Migration(migrations.Migration):
    dependencies = [("debts", "0010_debt_in_progress_label_any_means")]

    operations = [migrations.RunPython(_set(logged=False), _set(logged=True), elidable=False)]
