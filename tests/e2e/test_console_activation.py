"""An administrator tests then activates a TIPI client in real Chromium, the sandbox playing TIPI:
login, test URL in the pop-up with the test card, its return shown, activation, a second
activation refused with TIPI's T4 guidance."""

import re

import pytest
from playwright.sync_api import expect

from payments.models import ReturnNotice, TipiClient, Transaction
from payments.sandbox.models import SandboxClient
from tests.e2e.conftest import serious_violations
from tests.factories import TipiClientFactory, staff_member

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "mot-de-passe-admin-e2e"
T4_GUIDANCE = (
    "Le client TIPI est déjà activé. Pour effectuer un test, valoriser le champ SAISIE à \"T\" dans l'URL d'appel"
)


@pytest.fixture
def tipi_client():
    return TipiClientFactory(numcli="123456", label="Restauration scolaire", protocol="indigo", state="new")


@pytest.fixture
def administrator():
    return staff_member("admin", PASSWORD, role="Administrateurs", email="admin@mairie.example")


def log_in(page, portal):
    page.goto(f"{portal}/gestion/tipi/")
    expect(page).to_have_url(re.compile(r"/gestion/admin/login/\?next=/gestion/tipi/"))
    page.locator("#id_username").fill("admin")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    expect(page.get_by_role("heading", name="Clients TIPI")).to_be_visible()


def build(page, saisie_label):
    page.get_by_label(saisie_label).check()
    expect(page.get_by_label("Adresse électronique du testeur (MEL)")).to_have_value("admin@mairie.example")
    expect(page.get_by_label("Avec l'adresse de retour du portail (URLCL)")).to_be_checked()
    page.get_by_role("button", name="Construire l'URL").click()


def pay_in_popup(page):
    with page.expect_popup() as popup_info:
        page.get_by_role("link", name=re.compile(r"Payer 1 111,11 € par carte bancaire")).click()
    popup = popup_info.value
    popup.wait_for_load_state()
    expect(popup.get_by_role("heading", name="Paiement de votre dette")).to_be_visible()
    popup.get_by_label("Numéro de carte").fill("1111222233334444")
    popup.get_by_label("Date de fin de validité (MM/AA)").fill("12/39")
    popup.get_by_label("Cryptogramme visuel").fill("123")
    popup.get_by_role("button", name="Valider le paiement").click()
    expect(popup.get_by_role("heading", name="Votre paiement est accepté")).to_be_visible()
    return popup


def test_administrator_tests_then_activates_a_client(page, portal, tipi_client, administrator):
    log_in(page, portal)
    assert serious_violations(page) == []
    page.get_by_role("link", name="123456").click()
    expect(page.get_by_role("heading", name="Client TIPI 123456 – Restauration scolaire")).to_be_visible()
    expect(page.locator("#client-state")).to_contain_text("Nouveau (à activer)")
    assert serious_violations(page) == []

    # A test URL (SAISIE=T): shown in full, opened in the pop-up, paid with the test card.
    build(page, re.compile(r"^URL de test \(SAISIE=T\)"))
    expect(page.get_by_role("heading", name="URL de test (SAISIE=T) du client 123456")).to_be_visible()
    test = Transaction.objects.get()
    expect(page.locator("#attempt-url")).to_have_text(test.url)
    assert "saisie=T" in test.url and "refdet=999900000000999999" in test.url and "montant=111111" in test.url
    assert serious_violations(page) == []
    popup = pay_in_popup(page)
    # The opener follows the return by itself (payment.js polls the status endpoint).
    expect(page.locator("#payment-status")).to_have_text("Paiement CB par Internet en cours de validation")
    popup.close()
    page.get_by_role("link", name="Actualiser les retours reçus").click()
    row = page.locator("#attempts tbody tr").first
    expect(row).to_contain_text("Test (T)")
    expect(row).to_contain_text(
        re.compile(r"Appliqué le .*: RESULTRANS P \(Payée par carte\), NUMAUTO \d{7}, DATTRANS \d\d/\d\d/\d{4}")
    )
    test.refresh_from_db()
    assert test.state == "paid" and test.resultrans == "P"
    assert ReturnNotice.objects.get().outcome == "applied"
    tipi_client.refresh_from_db()
    assert tipi_client.state == "new"  # a test activates nothing

    # The activation URL (SAISIE=X) while the client is new: its return makes the client active.
    page.get_by_role("link", name="Revenir au client (nouvel essai)").click()
    build(page, re.compile(r"^URL d'activation \(SAISIE=X\)"))
    expect(page.get_by_role("heading", name="URL d'activation (SAISIE=X) du client 123456")).to_be_visible()
    pay_in_popup(page).close()
    expect(page.locator("#payment-status")).to_have_text("Paiement CB par Internet en cours de validation")
    page.get_by_role("link", name="Revenir au client (nouvel essai)").click()
    expect(page.locator("#client-state")).to_contain_text("Actif")
    expect(page.locator("#client-state")).to_contain_text("activé le")
    rows = page.locator("#attempts tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Activation (X)")
    expect(rows.first).to_contain_text("RESULTRANS P")
    expect(rows.nth(1)).to_contain_text("Test (T)")
    tipi_client.refresh_from_db()
    assert tipi_client.state == TipiClient.State.ACTIVE
    assert SandboxClient.objects.get(numcli="123456").state == "A"

    # A second activation is refused by the portal, with TIPI's T4 guidance, before any URL.
    build(page, re.compile(r"^URL d'activation \(SAISIE=X\)"))
    expect(page.locator("#id_saisie_erreur")).to_have_text(T4_GUIDANCE)
    assert Transaction.objects.count() == 2
    assert serious_violations(page) == []

    # Tests remain possible after the activation.
    build(page, re.compile(r"^URL de test \(SAISIE=T\)"))
    expect(page.get_by_role("heading", name="URL de test (SAISIE=T) du client 123456")).to_be_visible()
    assert Transaction.objects.count() == 3


def test_administrator_creates_then_edits_a_client(page, portal, administrator):
    log_in(page, portal)
    page.get_by_role("link", name="Ajouter un client TIPI").click()
    page.get_by_label("Numéro client TIPI (NUMCLI)").fill("12345")
    page.get_by_label("Protocole").select_option("rolmre")
    page.get_by_label("Libellé").fill("Service des eaux")
    page.get_by_label("Délai de mise en ligne (jours)").fill("400")
    page.get_by_role("button", name="Créer le client").click()
    expect(page.locator("#id_numcli_erreur")).to_have_text("Le numéro client TIPI comporte exactement 6 chiffres.")
    expect(page.locator("#id_online_delay_days_erreur")).to_have_text(
        "Le délai de mise en ligne est compris entre 10 et 360 jours."
    )
    expect(page.locator("#id_code_recette_erreur")).to_contain_text("le code recette (ROLREC) comporte 2 lettres")
    assert serious_violations(page) == []
    page.get_by_label("Numéro client TIPI (NUMCLI)").fill("654321")
    page.get_by_label("Délai de mise en ligne (jours)").fill("90")
    page.get_by_label("Code recette (ROLMRE)").fill("EA")
    page.get_by_role("button", name="Créer le client").click()
    expect(page.get_by_role("heading", name="Client TIPI 654321 – Service des eaux")).to_be_visible()
    page.get_by_role("link", name="Modifier la configuration").click()
    expect(page.get_by_label("État")).to_have_value("new")
    page.get_by_label("État").select_option("inactive")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#client-state")).to_contain_text("Inactif")
    expect(page.get_by_text("État : Nouveau (à activer) → Inactif")).to_be_visible()
