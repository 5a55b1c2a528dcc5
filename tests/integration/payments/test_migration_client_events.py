"""Migrations 0010-0011: ClientEvent goes, and what only it knew is now in the clients' history."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from payments.models import TipiClient
from staff.followup.audit import client_audit_entries
from tests.factories import staff_member

BEFORE = [("payments", "0009_returnnotice_outcome_review")]
AFTER = [("payments", "0011_delete_clientevent")]
T0 = timezone.make_aware(datetime.datetime(2026, 11, 23, 10, 0))
VALUES = {
    "protocol": "indigo",
    "label": "Cantine",
    "online_delay_days": 60,
    "code_recette": "",
    "accept_only_known_debts": False,
    "state": "new",
}


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


def event(apps, client, user, action, changes, at):
    created = apps.get_model("payments", "ClientEvent").objects.create(
        client_id=client.pk, user_id=user.pk, action=action, changes=changes
    )
    type(created).objects.filter(pk=created.pk).update(at=at)


def history(apps, client, at, kind, user=None, **values):
    apps.get_model("payments", "HistoricalTipiClient").objects.create(
        id=client.pk,
        numcli=client.numcli,
        history_date=at,
        history_type=kind,
        history_user_id=user.pk if user else None,
        **{**VALUES, **values},
    )


def label_change(before, after):
    return [{"field": "label", "label": "libellé", "before": before, "after": after}]


@pytest.mark.django_db(transaction=True)
def test_what_only_the_console_journal_knew_is_kept_in_the_history(old_apps):
    admin = staff_member("admin", "mot-de-passe-admin", role="Administrateurs")
    OldClient = old_apps.get_model("payments", "TipiClient")

    # Created in the console (a request: simple-history knew who): nothing to copy.
    console = OldClient.objects.create(numcli="111111", **VALUES)
    history(old_apps, console, T0, "+", admin)
    created = [{"field": f, "label": f, "before": "", "after": str(v)} for f, v in VALUES.items()]
    event(old_apps, console, admin, "created", created, T0 + datetime.timedelta(milliseconds=5))

    # Created before the history existed, then changed by a save outside a request.
    older = OldClient.objects.create(numcli="222222", **{**VALUES, "label": "Cantine scolaire"})
    history(old_apps, older, T0, "~", label="Cantine scolaire")
    event(old_apps, older, admin, "changed", label_change("Cantine", "Cantine scolaire"), T0)

    # An event whose save left no history row (not expected, kept anyway).
    lost = OldClient.objects.create(numcli="333333", **{**VALUES, "state": "inactive"})
    history(old_apps, lost, T0, "+", admin, state="new")
    state_change = [{"field": "state", "label": "état", "before": "Nouveau (à activer)", "after": "Inactif"}]
    event(old_apps, lost, admin, "changed", state_change, T0 + datetime.timedelta(hours=1))

    migrate(AFTER)

    assert "payments_clientevent" not in connection.introspection.table_names()
    # The checks below read through today's models: bring the later migrations' columns in.
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert TipiClient.history.filter(id=console.pk).count() == 1

    [change, before] = client_audit_entries(TipiClient.objects.get(pk=older.pk))
    assert (change.user, [(c.label, c.before, c.after) for c in change.changes]) == (
        admin,
        [("libellé", "Cantine", "Cantine scolaire")],
    )
    assert not change.before_unknown
    assert before.reason == "Valeurs avant la première modification, reprises du journal de la console"
    assert ("libellé", "—", "Cantine") in [(c.label, c.before, c.after) for c in before.changes]

    [copied, _] = client_audit_entries(TipiClient.objects.get(pk=lost.pk))
    assert (copied.at, copied.user, copied.reason) == (
        T0 + datetime.timedelta(hours=1),
        admin,
        "Repris du journal de la console",
    )
    assert [(c.label, c.before, c.after) for c in copied.changes] == [("état", "Nouveau (à activer)", "Inactif")]
