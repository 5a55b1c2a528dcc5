"""A régie invoice paid in classic mode (URL aller, SAISIE M and A) through the classic sandbox,
its result applied by the return endpoint: the citizen types and sees the invoice number, PayFiP
receives the REFDET derived from it (protocol 0)."""

import html
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client

from debts.models import ReferenceLink
from payments.models import ReturnNotice, Transaction
from payments.tipi import regie_refdet
from tests.factories import DebtorReferenceFactory, RegieClientFactory, RegieDebtFactory, UserFactory
from tests.integration.staff.console.test_attempts import pay_in_sandbox, sandbox_posts_back  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def portal_address(settings):
    settings.PORTAL_PUBLIC_URL = "http://portail.example"
    settings.TIPI_BASE_URL = "http://portail.example"


@pytest.fixture
def canteen():
    return RegieClientFactory(label="Régie cantine", state="active")


def sent(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def test_manual_form_of_a_regie_asks_the_invoice_number_and_no_year(canteen):
    page = html.unescape(Client().get(f"/payer/{canteen.numcli}/").text)
    assert "Numéro de facture" in page and 'name="numero"' in page
    assert 'name="exercice"' not in page and 'name="ordre"' not in page


def test_a_regie_invoice_paid_from_the_manual_form_through_the_sandbox(canteen, sandbox_posts_back):  # noqa: F811
    debt = RegieDebtFactory(client=canteen, invoice_reference="FAC-2026/0042", amount_cents=4250)
    assert debt.refdet == regie_refdet("FAC-2026/0042") != "FAC-2026/0042"
    payer = Client()
    response = payer.post(
        f"/payer/{canteen.numcli}/",
        {"numero": " FAC-2026/0042 ", "montant": "42,50", "email": "m@example.fr", "email_confirm": "m@example.fr"},
    )
    assert response.status_code == 302, html.unescape(response.text)
    transaction = Transaction.objects.get()
    assert (transaction.debt, transaction.refdet, transaction.saisie) == (debt, debt.refdet, "M")
    params = sent(transaction.url)
    assert params["refdet"] == debt.refdet and params["urlcl"] == "http://portail.example/tipi/retour/"
    assert "exer" not in params
    page = html.unescape(payer.get(response["Location"]).text)
    assert "FAC-2026/0042" in page  # the payer reads their invoice number, not the REFDET
    assert "Votre paiement est accepté" in pay_in_sandbox(Client(), transaction.url)
    transaction.refresh_from_db()
    debt.refresh_from_db()
    assert (transaction.state, debt.state) == ("paid", "in_progress")
    assert ReturnNotice.objects.get().outcome == "applied"


def test_a_wrong_amount_for_a_regie_invoice_is_refused_next_to_the_amount(canteen):
    RegieDebtFactory(client=canteen, invoice_reference="FAC-2026/0042", amount_cents=4250)
    response = Client().post(
        f"/payer/{canteen.numcli}/",
        {"numero": "FAC-2026/0042", "montant": "40,00", "email": "m@example.fr", "email_confirm": "m@example.fr"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["montant"]
    assert not Transaction.objects.exists()


def test_a_regie_invoice_in_the_citizen_s_account_paid_through_the_sandbox(canteen, sandbox_posts_back):  # noqa: F811
    citizen = UserFactory(email="marie.lefevre@example.fr")
    family = DebtorReferenceFactory(client=canteen, reference="FAM0012")
    ReferenceLink.objects.create(user=citizen, debtor=family)
    debt = RegieDebtFactory(client=canteen, debtor=family, debtor_ref="FAM0012", invoice_reference="FAC-2026/0042")
    browser = Client()
    browser.force_login(citizen)
    listing = html.unescape(browser.get("/compte/").text)
    assert "FAC-2026/0042" in listing and debt.refdet not in listing
    assert f"à payer avant le {debt.due_on:%d/%m/%Y}" in listing
    response = browser.post(f"/compte/dettes/{debt.pk}/payer/", {"email": citizen.email})
    assert response.status_code == 302
    transaction = Transaction.objects.get()
    assert (transaction.saisie, sent(transaction.url)["refdet"]) == ("A", debt.refdet)
    assert "Votre paiement est accepté" in pay_in_sandbox(Client(), transaction.url)
    debt.refresh_from_db()
    assert debt.state == "in_progress"
    assert "Paiement CB par Internet en cours de validation" in html.unescape(browser.get("/compte/").text)
