"""PayFiP's payment page as the sandbox plays it, in real Chromium: accessible, the debit pays V,
and "Retour site" takes the user to urlredirect?idop=. (The portal's own journeys in web-service
mode are tested with the portal's flow.)"""

import re

import pytest
from playwright.sync_api import expect

from payments.payfip import PayfipClient
from payments.sandbox.payfip_pages import TEST_IBAN
from tests.e2e.conftest import VIEWPORTS, serious_violations
from tests.integration.payments.sandbox.payfip_helpers import webservice_client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client(portal):
    # Closed at the end: a kept-alive connection holds the server thread, and its database session.
    with PayfipClient(service_url=f"{portal}/tpa/services/securite", timeout=10) as client:
        yield client


def test_pay_by_debit_then_back_to_the_site(browser, portal, client, settings, viewport):
    settings.PAYFIP_SANDBOX_NOTIFY = "never"
    idop = client.create_payment(
        numcli=webservice_client().numcli,
        exer="2026",
        refdet="FACT2026001",
        montant=4250,
        mel="marie.lefevre@example.org",
        objet="Cantine janvier",
        saisie="W",
        urlnotif=f"{portal}/payfip/notification/",
        urlredirect=f"{portal}/payfip/retour/",
    )
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="fr-FR")
    page = context.new_page()
    page.goto(f"{portal}/tpa/paiementws.web?idop={idop}")
    expect(page.get_by_role("heading", name="Paiement de votre facture")).to_be_visible()
    expect(page.get_by_text("42,50 €")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_label("IBAN du compte à débiter").fill(TEST_IBAN)
    page.get_by_role("button", name="Payer par prélèvement").click()
    expect(page.get_by_role("heading", name="Votre paiement est accepté")).to_be_visible()
    expect(page.get_by_text("Prélèvement SEPA unique")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_role("link", name="Retour site").click()
    page.wait_for_url(re.compile(r"/payfip/retour/\?idop="))
    assert page.url == f"{portal}/payfip/retour/?idop={idop}"
    detail = client.payment_detail(idop)
    assert (detail.resultrans, detail.montant, detail.refdet) == ("V", 4250, "FACT2026001")
    context.close()
