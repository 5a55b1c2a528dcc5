"""Shared fixtures: factories registered, the database vendor, a return POST helper."""

import os

import pytest
from django.db import connection
from hypothesis import HealthCheck, settings

# Fuzzing: a quick profile in `make test`, a long one (10,000 cases each) with `make fuzz`.
settings.register_profile("quick", max_examples=60, deadline=None)
settings.register_profile("long", max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))


def pytest_collection_modifyitems(config, items):
    # A PostgreSQL-only test must never pass silently on SQLite: the SQLite run deselects
    # them with -m "not postgres"; running one on SQLite anyway is an error, not a skip.
    for item in items:
        if item.get_closest_marker("postgres"):
            item.fixturenames.append("require_postgres")


@pytest.fixture(autouse=True)
def _private_returns_spool(settings, tmp_path):
    """Each test has its own spool: leftovers of `make run` must not leak into tests."""
    settings.RETURNS_SPOOL_DIR = str(tmp_path / "returns-spool")


@pytest.fixture
def fake_payfip(monkeypatch):
    """PayFiP's SOAP service replaced by tests.factories.payfip.FakePayfip (the one client factory)."""
    from payments.services import payfip
    from tests.factories.payfip import FakePayfip

    fake = FakePayfip()
    monkeypatch.setattr(payfip, "payfip_client", lambda: fake)
    return fake


@pytest.fixture
def require_postgres():
    if connection.vendor != "postgresql":
        pytest.fail("this test needs PostgreSQL: run it with DATABASE_URL=postgres://…")


def retour_body(transaction, **overrides) -> str:
    """The form-encoded body TIPI would POST back for this transaction."""
    from urllib.parse import urlencode

    fields = {
        "NUMCLI": transaction.params["numcli"],
        "REFDET": transaction.params["refdet"],
        "OBJET": transaction.params["objet"],
        "MONTANT": transaction.params["montant"],
        "MEL": transaction.params["mel"],
        "SAISIE": transaction.params["saisie"],
        "RESULTRANS": "P",
        "NUMAUTO": "123456",
        "DATTRANS": "22112026",
    }
    fields.update({k.upper(): v for k, v in overrides.items()})
    return urlencode({k: v for k, v in fields.items() if v is not None})
