"""One audit trail per TIPI client: django-simple-history, shown readably on the console's client page.

Console saves, the `tipi_client` command and TIPI's activation return (SAISIE=X) all land in
the same history, with who and, where the change is not a person's, why.
"""

import html

import pytest
from django.test import Client

import payments.models
from payments.models import TipiClient
from payments.services.tipi_clients import tipi_client_save
from staff.followup.audit import client_audit_entries
from tests.conftest import retour_body
from tests.factories import TipiClientFactory, TransactionFactory, staff_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator():
    return staff_member("admin", "mot-de-passe-admin", role="Administrateurs", email="admin@mairie.example")


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


def test_the_console_keeps_no_second_journal():
    assert not hasattr(payments.models, "ClientEvent")


def test_the_service_records_who_even_outside_a_request(administrator):
    """A command or a shell has no request for simple-history's middleware: the service says who."""
    saved = tipi_client_save(
        user=administrator, numcli="654321", protocol="indigo", label="Cantine", online_delay_days=60
    )
    tipi_client_save(
        user=administrator,
        client=saved,
        numcli="654321",
        protocol="indigo",
        label="Cantine scolaire",
        online_delay_days=60,
    )
    changed, created = client_audit_entries(saved)
    assert (created.type_label, created.user, changed.type_label, changed.user) == (
        "Création",
        administrator,
        "Modification",
        administrator,
    )
    assert [(c.label, c.before, c.after) for c in changed.changes] == [("libellé", "Cantine", "Cantine scolaire")]


def test_the_activation_return_is_in_the_history_with_its_reason(admin_client):
    tipi_client = TipiClientFactory(state="new")
    transaction = TransactionFactory(
        saisie="X", debt=None, client=tipi_client, refdet="999900000000999999", amount_cents=111111
    )
    response = Client().post(
        "/tipi/retour/", retour_body(transaction), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    latest = tipi_client.history.latest()
    assert (latest.state, latest.history_user, latest.history_change_reason) == (
        "active",
        None,
        TipiClient.ACTIVATED_REASON,
    )
    entry = client_audit_entries(tipi_client)[0]
    assert entry.reason == TipiClient.ACTIVATED_REASON
    assert [(c.label, c.before, c.after) for c in entry.changes] == [("état", "Nouveau (à activer)", "Actif")]
    page = html.unescape(admin_client.get(f"/gestion/tipi/clients/{tipi_client.pk}/").text)
    assert TipiClient.ACTIVATED_REASON in page
    assert "État : Nouveau (à activer) → Actif" in page


def test_the_console_page_shows_every_change_of_the_client_not_only_the_console_s(admin_client):
    tipi_client = TipiClientFactory(numcli="654321", label="Cantine", state="new")  # not through the console
    page = html.unescape(admin_client.get(f"/gestion/tipi/clients/{tipi_client.pk}/").text)
    assert "Création" in page and "Libellé : Cantine" in page
    assert "Aucune modification enregistrée" not in page


def test_the_activation_reason_fits_simple_history_s_column():
    assert (
        len(TipiClient.ACTIVATED_REASON) <= TipiClient.history.model._meta.get_field("history_change_reason").max_length
    )
