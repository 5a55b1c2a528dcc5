"""Chorus Pro staff pages: roles, settings without secrets, marking a public body, sending with the
codes asked first, the rejection and its correction; the sandbox never routed in production."""

import os
import subprocess
import sys

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from choruspro.models import ChorusInvoice, ChorusSettings, PublicBody
from choruspro.sandbox import chorus_side
from choruspro.sandbox.models import SandboxInvoice
from choruspro.sandbox.seed import SUPPLIER_SIRET
from choruspro.services import invoices as invoice_services
from choruspro.services import public_bodies as public_body_services
from tests import paths
from tests.factories import DebtFactory, DebtorReferenceFactory, TipiClientFactory, staff_member
from tests.integration.choruspro.test_client import COLLEGE, chorus_live  # noqa: F401 - fixture
from tests.integration.choruspro.test_services import configured  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = paths.ROOT


@pytest.fixture
def roles():
    """The role groups come from a data migration, which a transactional test's flush empties."""
    from django.contrib.auth.models import Group, Permission

    from tipiportal.roles import ADMINISTRATOR_PERMISSIONS, ADMINISTRATORS, AGENT_PERMISSIONS, AGENTS

    for name, codes in ((AGENTS, AGENT_PERMISSIONS), (ADMINISTRATORS, ADMINISTRATOR_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


@pytest.fixture
def agent(roles):
    client = Client()
    client.force_login(staff_member("agent", "mot-de-passe-agent"))
    return client


@pytest.fixture
def admin(roles):
    client = Client()
    client.force_login(staff_member("admin", "mot-de-passe-admin", role="Administrateurs"))
    return client


def a_debt(**fields):
    tipi = TipiClientFactory()
    debtor = DebtorReferenceFactory(client=tipi)
    return DebtFactory(client=tipi, debtor=debtor, debtor_ref=debtor.reference, amount_cents=184_250, **fields)


def test_roles(agent, admin, client):
    assert client.get("/gestion/chorus-pro/").status_code == 302
    assert agent.get("/gestion/chorus-pro/").status_code == 200
    assert agent.get("/gestion/chorus-pro/parametres/").status_code == 403
    assert agent.post("/gestion/chorus-pro/parametres/tester/").status_code == 403
    assert admin.get("/gestion/chorus-pro/parametres/").status_code == 200
    home = admin.get("/gestion/").content.decode()
    assert "/gestion/chorus-pro/" in home and "/gestion/chorus-pro/parametres/" in home


def test_settings_page_names_the_variables_and_never_shows_a_secret(admin, settings):
    settings.CHORUS_CREDENTIALS = {
        "qualification": {"client_id": "id-q", "client_secret": "SECRET-Q", "login": "tech-q", "password": "PASS-Q"},
        "production": {"client_id": "", "client_secret": "", "login": "", "password": ""},
    }
    page = admin.get("/gestion/chorus-pro/parametres/").content.decode()
    for name in ("CHORUS_QUALIFICATION_CLIENT_SECRET", "CHORUS_PRODUCTION_PASSWORD"):
        assert name in page
    assert "absente" in page and "définie" in page
    for value in ("SECRET-Q", "PASS-Q", "id-q", "tech-q"):
        assert value not in page
    response = admin.post(
        "/gestion/chorus-pro/parametres/",
        {
            "environment": "production",
            "supplier_siret": "21990001600012",
            "supplier_name": "Commune",
            "vat_mention": "TVA non applicable",
            "payment_days": "30",
        },
    )
    assert response.status_code == 400
    assert "n&#x27;est pas un SIRET valide" in response.content.decode()
    response = admin.post(
        "/gestion/chorus-pro/parametres/",
        {
            "environment": "production",
            "supplier_siret": "219 900 016 00011",
            "supplier_name": "Commune de Démo",
            "iban": "fr14 2004 1010 0505 0001 3m02 606",
            "bic": "BDFEFRPPCCT",
            "vat_mention": "TVA non applicable",
            "payment_days": "30",
            "qualification-password_expires_on": "2026-12-31",
        },
    )
    assert response.status_code == 302
    config = ChorusSettings.objects.get()
    assert (config.environment, config.supplier_siret, config.iban) == (
        "production",
        SUPPLIER_SIRET,
        "FR14 2004 1010 0505 0001 3M02 606",
    )
    assert not any("SECRET" in str(value) for value in ChorusSettings.objects.values().first().values())


def test_connection_test_button(admin, configured):  # noqa: F811
    response = admin.post("/gestion/chorus-pro/parametres/tester/", follow=True)
    page = response.content.decode()
    assert "Connexion avec Chorus Pro établie." in page
    assert "idFournisseur" in page and "Trésorerie de Démo" in page


def test_an_agent_marks_a_debtor_public_then_sends_with_the_service_code_asked_first(agent, configured):  # noqa: F811
    debt = a_debt()
    page = agent.get(f"/gestion/chorus-pro/dettes/{debt.pk}/").content.decode()
    assert "Désigner ce débiteur comme organisme public" in page
    response = agent.post(f"/gestion/chorus-pro/dettes/{debt.pk}/organisme/", {"siret": "1942001270001"}, follow=True)
    assert "n&#x27;est pas un SIRET valide" in response.content.decode()
    assert not PublicBody.objects.exists()
    response = agent.post(f"/gestion/chorus-pro/dettes/{debt.pk}/organisme/", {"siret": COLLEGE}, follow=True)
    page = response.content.decode()
    assert "COLLÈGE JEAN MOULIN" in page and "code service obligatoire" in page
    # The list offers it; the sending page asks for the service code, from the recipient's services.
    assert f'value="{debt.pk}"' in agent.get("/gestion/chorus-pro/").content.decode()
    page = agent.get(f"/gestion/chorus-pro/envoyer/?dette={debt.pk}").content.decode()
    assert "INTENDANCE – Intendance" in page and "ANCIEN-SERVICE" not in page
    response = agent.post(
        "/gestion/chorus-pro/envoyer/", {"dette": [debt.pk], "envoyer": "1", f"service_{debt.pk}": ""}
    )
    assert response.status_code == 400
    assert "Le destinataire exige un code service" in response.content.decode()
    assert not ChorusInvoice.objects.exists()
    response = agent.post(
        "/gestion/chorus-pro/envoyer/", {"dette": [debt.pk], "envoyer": "1", f"service_{debt.pk}": "INTENDANCE"}
    )
    invoice = ChorusInvoice.objects.get()
    assert response.status_code == 302 and response.url == f"/gestion/chorus-pro/envois/{invoice.batch_id}/"
    assert DBTaskResult.objects.filter(task_path="choruspro.tasks.invoice_submit_task").count() == 1
    batch_page = agent.get(response.url).content.decode()
    assert "En attente d&#x27;envoi" in batch_page and 'data-pending="true"' in batch_page
    assert agent.get(f"/gestion/chorus-pro/envois/{invoice.batch_id}/etat/").json()["pending"] is True
    invoice_services.invoice_submit(invoice_id=invoice.pk)
    assert agent.get(f"/gestion/chorus-pro/envois/{invoice.batch_id}/etat/").json()["pending"] is False
    assert "Déposée" in agent.get(response.url).content.decode()
    pdf = agent.get(f"/gestion/chorus-pro/factures/{invoice.pk}/facture.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")


def test_the_debt_page_shows_the_rejection_and_resends_the_correction(agent, configured):  # noqa: F811
    debt = a_debt()
    public_body_services.public_body_mark(debtor=debt.debtor, siret=COLLEGE)
    batch = invoice_services.invoices_send(requests=[invoice_services.SendRequest(debt, "VIE-SCOLAIRE")], enqueue=False)
    invoice = invoice_services.invoice_submit(invoice_id=batch.invoices.get().pk)
    chorus_side.invoice_force(
        invoice=SandboxInvoice.objects.get(pk=invoice.chorus_id),
        status="REJETEE",
        comment="Le code service VIE-SCOLAIRE n'existe pas pour ce marché.",
    )
    page = agent.post(f"/gestion/chorus-pro/dettes/{debt.pk}/actualiser/", follow=True).content.decode()
    assert "Rejetée" in page and "VIE-SCOLAIRE n&#x27;existe pas pour ce marché" in page
    assert "Corriger et renvoyer" in page
    response = agent.post(
        f"/gestion/chorus-pro/factures/{invoice.pk}/renvoyer/", {"service_code": "INTENDANCE"}, follow=True
    )
    assert "Facture corrigée" in response.content.decode()
    new = ChorusInvoice.objects.exclude(pk=invoice.pk).get()
    assert (new.attempt, new.service_code) == (2, "INTENDANCE")


def test_the_sandbox_is_never_routed_nor_installed_in_production():
    code = (
        "import django; django.setup();"
        "from django.apps import apps; from django.conf import settings;"
        "from django.urls import resolve, Resolver404\n"
        "print(settings.CHORUS_SANDBOX, apps.is_installed('choruspro.sandbox'), apps.is_installed('choruspro'))\n"
        "print(settings.CHORUS_URLS['qualification']['oauth'], settings.CHORUS_URLS['production']['api'])\n"
        "print(repr(settings.CHORUS_CREDENTIALS['production']['client_secret']))\n"
        "try:\n    resolve('/chorus-sandbox/'); print('ROUTED')\n"
        "except Resolver404:\n    print('NOT ROUTED')"
    )
    production = {
        "DEBUG": "0",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "paiement.ville.example",
        "PORTAL_PUBLIC_URL": "https://paiement.ville.example",
        "TIPI_SANDBOX": "0",
        "EMAIL_URL": "dummymail://",  # production refuses to start without one
    }
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "SECRET_KEY", "TIPI_SANDBOX", "CHORUS_SANDBOX", "DATABASE_URL")
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **production, "DJANGO_SETTINGS_MODULE": "tipiportal.settings"},
    )
    assert result.stdout.splitlines() == [
        "False False True",
        "https://sandbox-oauth.piste.gouv.fr https://api.piste.gouv.fr",
        "''",
        "NOT ROUTED",
    ], result.stderr


def test_development_defaults_are_the_sandboxs_own_demo_credentials():
    from django.conf import settings

    from choruspro.sandbox.seed import CREDENTIALS

    assert settings.CHORUS_SANDBOX is True
    for environment, (_, client_id, secret, login, password) in CREDENTIALS.items():
        assert settings.CHORUS_CREDENTIALS[environment] == {
            "client_id": client_id,
            "client_secret": secret,
            "login": login,
            "password": password,
        }
        assert settings.CHORUS_URLS[environment]["oauth"].endswith(f"/chorus-sandbox/{environment}/oauth")
