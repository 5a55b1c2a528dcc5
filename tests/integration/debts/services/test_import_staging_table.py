"""The staging table of imports writes no WAL on PostgreSQL (migration debts 0009)."""

import pytest
from django.db import connection

from debts.models import StagedDebt


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_staging_table_is_unlogged_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE oid = %s::regclass", [StagedDebt._meta.db_table])
        assert cursor.fetchone()[0] == "u"  # before: "p", every staged row written twice (WAL and table)
