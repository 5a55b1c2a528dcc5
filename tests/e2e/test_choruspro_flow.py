"""An agent, in real Chromium, invoices a public body through Chorus Pro (the sandbox) and follows
the invoice to payment: marks the debtor public, sends (service code asked first), sees it
deposited, a rejection forced in the sandbox, corrects the service code, resends, sees MISE_EN_PAIEMENT.

Submissions run in a real django-tasks-db worker (a thread of this process), as with `db_worker`.
"""

import re
import time

import pytest
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import expect

from choruspro.client import token_cache_clear
from choruspro.models import ChorusInvoice, ChorusSettings
from choruspro.sandbox.seed import CREDENTIALS, SUPPLIER_SIRET
from tests.e2e.conftest import serious_violations
from tests.e2e.test_staff_import import worker  # noqa: F401 - fixture
from tests.factories import DebtFactory, DebtorReferenceFactory, TipiClientFactory, staff_member
from tipiportal.roles import ADMINISTRATOR_PERMISSIONS, ADMINISTRATORS, AGENT_PERMISSIONS, AGENTS

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "mot-de-passe-agent-e2e"
COLLEGE = "19420012700018"


@pytest.fixture
def chorus(portal, settings):
    root = f"{portal}/chorus-sandbox"
    settings.CHORUS_URLS = {
        e: {"oauth": f"{root}/{e}/oauth", "api": f"{root}/{e}/api"} for e in ("qualification", "production")
    }
    settings.CHORUS_CREDENTIALS = {
        e: dict(zip(("client_id", "client_secret", "login", "password"), CREDENTIALS[e][1:]))
        for e in ("qualification", "production")
    }
    settings.CHORUS_HTTP_BACKOFF = 0
    settings.CHORUS_FOLLOW_UP_SECONDS = 0
    settings.CHORUS_SANDBOX_STEP_SECONDS = 3600
    token_cache_clear()
    ChorusSettings.objects.update_or_create(
        pk=1,
        defaults={
            "supplier_siret": SUPPLIER_SIRET,
            "supplier_name": "COMMUNE DE DÉMO",
            "supplier_address": "1 place de la Mairie\n99000 DÉMO",
        },
    )
    for name, codes in ((AGENTS, AGENT_PERMISSIONS), (ADMINISTRATORS, ADMINISTRATOR_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    staff_member("agent", PASSWORD, email="agent@mairie.example")
    yield portal
    token_cache_clear()


def reload_until(page, text: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while text not in page.content():
        assert time.monotonic() < deadline, f"« {text} » never appeared"
        time.sleep(0.4)
        page.reload()


def force_in_sandbox(page, portal: str, number: str, status: str, reason: str = "") -> None:
    page.goto(f"{portal}/chorus-sandbox/")
    page.get_by_label(f"Statut à donner à la facture {number}").select_option(status)
    if reason:
        page.get_by_label(f"Motif (rejet) de la facture {number}").fill(reason)
    page.get_by_role("button", name=f"Forcer le statut de {number}").click()
    expect(page.locator(f'[data-sandbox-invoice="{number}"] .sandbox-status')).to_have_text(status)


def test_agent_invoices_a_public_body_and_follows_it_to_payment(page, chorus, worker):  # noqa: F811
    portal = chorus
    tipi = TipiClientFactory(label="Restauration scolaire")
    debtor = DebtorReferenceFactory(client=tipi, reference="COLLEGE42")
    debt = DebtFactory(
        client=tipi,
        debtor=debtor,
        debtor_ref="COLLEGE42",
        debtor_name="COLLÈGE JEAN MOULIN",
        amount_cents=184_250,
        label="Repas des élèves – mars",
    )
    worker.start()

    # Log in, open the debt's Chorus Pro page, mark its debtor a public body.
    page.goto(f"{portal}/gestion/chorus-pro/dettes/{debt.pk}/")
    expect(page).to_have_url(re.compile(r"/gestion/admin/login/"))
    page.locator("#id_username").fill("agent")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    expect(page.get_by_role("heading", name=f"Chorus Pro – dette {debt.refdet}")).to_be_visible()
    page.get_by_label("SIRET de l'organisme public").fill("194 200 127 00018")
    page.get_by_role("button", name="Désigner comme organisme public").click()
    expect(page.get_by_text("Débiteur COLLEGE42 désigné comme organisme public : COLLÈGE JEAN MOULIN.")).to_be_visible()
    expect(page.locator("#structure-rules")).to_contain_text("code service obligatoire")
    assert serious_violations(page) == []

    # Send: the service code is asked first (a wrong one is chosen here, to be rejected later).
    page.get_by_role("link", name="Envoyer la facture sur Chorus Pro").click()
    service = page.get_by_label(f"Code service pour {debt.refdet}")
    expect(service).to_have_attribute("required", "")
    service.select_option("VIE-SCOLAIRE")
    page.get_by_role("button", name="Envoyer 1 facture sur Chorus Pro").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Envoi sur Chorus Pro du"))).to_be_visible()
    # The worker deposits it; the page follows by itself and shows the outcome.
    expect(page.get_by_text("Envoi terminé")).to_be_visible(timeout=20_000)
    expect(page.get_by_role("table").get_by_text("Déposée", exact=True)).to_be_visible()
    first = ChorusInvoice.objects.get()
    assert first.state == "submitted"

    # The recipient rejects it (forced in the sandbox); the agent sees why.
    force_in_sandbox(page, portal, first.number, "REJETEE", "Le service VIE-SCOLAIRE n'a pas passé cette commande.")
    page.goto(f"{portal}/gestion/chorus-pro/dettes/{debt.pk}/")
    page.get_by_role("button", name="Actualiser le statut Chorus Pro").click()
    expect(page.locator("#rejection-reason")).to_have_text("Le service VIE-SCOLAIRE n'a pas passé cette commande.")

    # Corrected and sent again, as a new invoice.
    page.get_by_label("Code service corrigé").select_option("INTENDANCE")
    page.get_by_role("button", name="Renvoyer la facture corrigée").click()
    expect(page.get_by_text(re.compile(r"Facture corrigée CPP\d{4}-\d{6} en cours d'envoi"))).to_be_visible()
    reload_until(page, "Actualiser le statut Chorus Pro")
    second = ChorusInvoice.objects.exclude(pk=first.pk).get()
    assert (second.attempt, second.service_code, second.state) == (2, "INTENDANCE", "submitted")

    # Paid by the public body: MISE_EN_PAIEMENT, shown so that staff reconcile.
    force_in_sandbox(page, portal, second.number, "MISE_EN_PAIEMENT")
    page.goto(f"{portal}/gestion/chorus-pro/dettes/{debt.pk}/")
    page.get_by_role("button", name="Actualiser le statut Chorus Pro").click()
    expect(page.get_by_text("Statut actuel : Mise en paiement")).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"Mise en paiement le \d{2}/\d{2}/\d{4} par l'organisme : rapprochez"))
    ).to_be_visible()
    expect(page.get_by_role("link", name="marquez la dette payée")).to_have_attribute(
        "href", f"/gestion/dettes/{debt.pk}/marquer-payee/"
    )
    expect(page.get_by_role("table", name=re.compile(rf"Facture {first.number} .* Rejetée"))).to_be_visible()
