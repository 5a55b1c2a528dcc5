"""A régie's invoice paid in PayFiP's web-service mode through the sandbox, in real Chromium:
from the account by card, from the manual form by debit with the notification never sent (the
poller applies it), and "Annuler" leaving the invoice payable. The result is always the answer
of the sandbox's SOAP service to the portal's question, asked by the task worker or the poller."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from debts.models import Debt
from payments.models import PayfipCheck, Transaction
from payments.services.payfip_checks import payfip_poll
from tests.e2e.conftest import VIEWPORTS
from tests.e2e.test_account_flow import PASSWORD, log_in
from tests.factories import DebtorReferenceFactory, UserFactory
from tests.factories.payfip import RegieDebtFactory, WebserviceClientFactory

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = "/tmp/shots-wsflow"
TEST_IBAN = "FR7630006000011234567890189"  # the sandbox's (payments/sandbox/payfip_pages.py)


@pytest.fixture
def payfip(portal, settings):
    settings.PAYFIP_SERVICE_URL = f"{portal}/tpa/services/securite"
    settings.PAYFIP_WS_PAYMENT_URL = f"{portal}/tpa/paiementws.web"
    settings.PAYFIP_SANDBOX_NOTIFY = "immediate"
    return portal


def worker_runs() -> None:
    """What `manage.py db_worker` does in production: the sandbox's notification, then the check."""
    for _ in range(3):  # the notification's task queues the check's
        call_command("db_worker", batch=True, no_startup_delay=True, interval=0.05, verbosity=0)


def citizen_with_invoice(amount_cents=4250, label="Cantine janvier"):
    user = UserFactory(password=PASSWORD)
    user.emailaddress_set.create(email=user.email, verified=True, primary=True)
    debtor = DebtorReferenceFactory(client=WebserviceClientFactory())
    user.reference_links.create(debtor=debtor)
    debt = RegieDebtFactory(client=debtor.client, debtor=debtor, amount_cents=amount_cents, label=label)
    return user, debt


def open_payfip(page, link_name=re.compile(r"Payer .* par carte bancaire")):
    with page.expect_popup() as popup_info:
        page.get_by_role("link", name=link_name).click()
    popup = popup_info.value
    expect(popup.get_by_role("heading", name="Paiement de votre facture")).to_be_visible()
    assert re.search(r"/tpa/paiementws\.web\?idop=[0-9a-f-]{36}$", popup.url)
    return popup


def test_from_the_account_by_card_and_back_to_the_site(browser, payfip):
    user, debt = citizen_with_invoice()
    for name, viewport in VIEWPORTS.items():
        context = browser.new_context(viewport=viewport, locale="fr-FR")
        page = context.new_page()
        log_in(page, payfip, user)
        row = page.locator(f'tr[data-debt-id="{debt.pk}"]')
        if name == "phone":  # paid already on the desktop: the list says so
            expect(row.locator(".debt-status")).to_have_text("Paiement CB par Internet en cours de validation")
            page.screenshot(path=f"{SHOTS}/account-paid-{name}.png", full_page=True)
            context.close()
            break
        row.get_by_role("link", name=re.compile("Payer")).click()
        page.get_by_role("button", name="Confirmer et continuer vers le paiement").click()
        popup = open_payfip(page)
        popup.get_by_label("Numéro de carte").fill("1111222233334444")
        popup.get_by_label(re.compile("validité")).fill("12/39")
        popup.get_by_label(re.compile("Cryptogramme")).fill("123")
        popup.get_by_role("button", name="Payer par carte").click()
        expect(popup.get_by_role("heading", name="Votre paiement est accepté")).to_be_visible()
        assert Debt.objects.get(pk=debt.pk).state == Debt.State.OPEN  # nothing believed yet
        worker_runs()
        expect(row.locator(".debt-status")).to_have_text("Paiement CB par Internet en cours de validation")
        page.screenshot(path=f"{SHOTS}/account-paid-{name}.png", full_page=True)
        popup.get_by_role("link", name="Retour site").click()  # urlredirect: back on the portal
        popup.wait_for_url(re.compile(r"/compte/"))
        context.close()
    transaction = Transaction.objects.get()
    assert (transaction.state, transaction.resultrans, transaction.params["saisie"]) == ("paid", "P", "W")
    assert PayfipCheck.objects.filter(trigger="notification", outcome="applied").count() == 1
    assert Debt.objects.get(pk=debt.pk).state == Debt.State.IN_PROGRESS


def test_from_the_manual_form_by_debit_without_notification_the_poller_applies_it(page, payfip, settings):
    settings.PAYFIP_SANDBOX_NOTIFY = "never"
    debt = RegieDebtFactory(amount_cents=1890)
    page.goto(f"{payfip}/payer/{debt.client.numcli}/")
    page.get_by_label("Numéro de facture").fill(debt.refdet)
    page.get_by_label("Montant exact (€)").fill("18,90")
    page.get_by_label("Votre adresse électronique", exact=True).fill("paul.martin@example.fr")
    page.get_by_label("Votre adresse électronique (confirmation)").fill("paul.martin@example.fr")
    page.get_by_role("button", name="Continuer").click()
    popup = open_payfip(page)
    popup.get_by_label("IBAN du compte à débiter").fill(TEST_IBAN)
    popup.get_by_role("button", name="Payer par prélèvement").click()
    expect(popup.get_by_role("heading", name="Votre paiement est accepté")).to_be_visible()
    popup.close()  # no "Retour site", no notification: only the poller can learn it
    worker_runs()
    expect(page.locator("#payment-status")).to_contain_text("En attente du résultat")
    assert payfip_poll(now=timezone.now() + datetime.timedelta(minutes=6)) == {"applied": 1}
    expect(page.locator("#payment-status")).to_have_text("Paiement par prélèvement en cours de validation")
    page.screenshot(path=f"{SHOTS}/manual-debit-desktop.png", full_page=True)
    assert Debt.objects.get(pk=debt.pk).state == Debt.State.IN_PROGRESS
    assert list(PayfipCheck.objects.values_list("trigger", "outcome")) == [("poller", "applied")]


def test_cancel_leaves_the_invoice_payable(page, payfip):
    user, debt = citizen_with_invoice()
    log_in(page, payfip, user)
    row = page.locator(f'tr[data-debt-id="{debt.pk}"]')
    row.get_by_role("link", name=re.compile("Payer")).click()
    page.get_by_role("button", name="Confirmer et continuer vers le paiement").click()
    popup = open_payfip(page)
    popup.get_by_role("button", name="Annuler").click()
    worker_runs()
    expect(page.locator("#payment-status")).to_contain_text("Vous avez annulé le paiement")
    expect(row.get_by_role("link", name=re.compile("Payer"))).to_be_visible()
    assert Transaction.objects.get().state == "cancelled"
    assert Debt.objects.get(pk=debt.pk).state == Debt.State.OPEN
