"""Migrations 0012-0014: every transaction already there gets its own random public id."""

import string

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from payments.models import Transaction

BEFORE = [("payments", "0011_delete_clientevent")]
AFTER = [("payments", "0014_transaction_public_id_unique")]
URL_SAFE = set(string.ascii_letters + string.digits + "-_")


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.fixture
def old_apps():
    apps = migrate(BEFORE)
    yield apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_transactions_get_distinct_random_public_ids(old_apps, monkeypatch):
    monkeypatch.setattr("payments.migrations.0013_transaction_public_id_fill.BATCH", 7)
    client = old_apps.get_model("payments", "TipiClient").objects.create(
        numcli="123456", protocol="indigo", label="Cantine", state="active"
    )
    OldTransaction = old_apps.get_model("payments", "Transaction")
    tokens = [f"OldToken{n:016d}" for n in range(25)]
    OldTransaction.objects.bulk_create(
        OldTransaction(
            token=token,
            client=client,
            saisie="M",
            refdet=f"2026{n:014d}",
            amount_cents=100,
            email="a@b.fr",
            params={},
            url="https://www.payfip.gouv.fr/tpa/paiement.web",
        )
        for n, token in enumerate(tokens)
    )
    migrate(AFTER)
    rows = list(Transaction.objects.values_list("token", "public_id"))
    assert sorted(token for token, _ in rows) == tokens  # the OBJET tokens are untouched
    public_ids = [public_id for _, public_id in rows]
    assert len(set(public_ids)) == 25
    assert all(len(public_id) == 22 and set(public_id) <= URL_SAFE for public_id in public_ids)
    assert not set(public_ids) & set(tokens)
