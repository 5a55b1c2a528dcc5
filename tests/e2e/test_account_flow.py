"""A citizen signs up, links a reference with its code, pays a debt from the list, in real Chromium."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from debts.models import Debt
from tests.factories import DebtFactory, DebtorReferenceFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "Un-mot-de-passe-solide-2026"


def sign_up_and_confirm(page, portal, email="camille.noel@example.fr"):
    page.goto(f"{portal}/compte/signup/")
    page.get_by_label("Courriel").fill(email)
    page.get_by_label(re.compile(r"^Mot de passe\s*:?$")).fill(PASSWORD)
    page.get_by_label("Mot de passe (confirmation)").fill(PASSWORD)
    page.get_by_role("button", name="Création de compte").click()
    expect(page.get_by_role("heading", name=re.compile("Vérifiez votre"))).to_be_visible()
    link = re.search(r"https?://\S+/compte/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirmer").click()


def log_in(page, portal, user):
    page.goto(f"{portal}/compte/login/")
    page.get_by_label("Courriel").fill(user.email)
    page.get_by_label(re.compile(r"^Mot de passe\s*:?$")).fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()


def link_reference(page, debtor, code):
    page.goto(page.url.split("/compte/")[0] + "/compte/references/")
    page.get_by_label("Référence débiteur").fill(debtor.reference)
    page.get_by_label("Code d'accès").fill(code)
    page.get_by_role("button", name="Ajouter").click()


def pay_from_list(page, debt, card="1111222233334444"):
    row = page.locator(f'tr[data-debt-id="{debt.pk}"]')
    row.get_by_role("link", name=re.compile("Payer")).click()
    page.get_by_role("button", name="Confirmer et continuer vers le paiement").click()
    with page.expect_popup() as popup_info:
        page.get_by_role("link", name=re.compile("Payer .* par carte bancaire")).click()
    popup = popup_info.value
    popup.get_by_label("Numéro de carte").fill(card)
    popup.get_by_label("Date de fin de validité (MM/AA)").fill("12/39")
    popup.get_by_label("Cryptogramme visuel").fill("123")
    popup.get_by_role("button", name="Valider le paiement").click()
    return popup, row


def test_sign_up_link_pay_and_see_in_progress_in_the_list(page, portal):
    debtor = DebtorReferenceFactory(access_code="ABCD234567")
    debt = DebtFactory(client=debtor.client, debtor=debtor, amount_cents=4520, label="Cantine octobre")
    sign_up_and_confirm(page, portal)
    link_reference(page, debtor, "abcd234567")
    expect(page.get_by_text(f"La référence {debtor.reference} est rattachée à votre compte.")).to_be_visible()
    page.get_by_role("link", name="Voir mes factures").click()
    expect(page.get_by_text("Cantine octobre")).to_be_visible()
    navigations = []
    popup, row = pay_from_list(page, debt)
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    expect(popup.get_by_role("heading", name="Votre paiement est accepté")).to_be_visible()
    expect(row.locator(".debt-status")).to_have_text("Paiement CB par Internet en cours de validation", timeout=3000)
    expect(row.get_by_role("link", name=re.compile("Payer"))).to_be_hidden()
    # Read out by screen readers (aria-live), the outstanding amount and the totals follow.
    expect(page.locator("[data-debt-announce]")).to_contain_text("Paiement CB par Internet en cours de validation")
    expect(row.locator(".debt-outstanding")).to_have_text("0,00\xa0€")
    expect(page.locator("[data-total='outstanding']")).to_have_text("0,00\xa0€")
    assert navigations == []
    debt.refresh_from_db()
    assert debt.state == Debt.State.IN_PROGRESS


def test_refused_card_leaves_the_debt_payable(page, portal):
    user = UserFactory(password=PASSWORD)
    user.emailaddress_set.create(email=user.email, verified=True, primary=True)
    debtor = DebtorReferenceFactory()
    user.reference_links.create(debtor=debtor)
    debt = DebtFactory(client=debtor.client, debtor=debtor)
    log_in(page, portal, user)
    popup, row = pay_from_list(page, debt, card="4970100000000000")
    expect(popup.get_by_role("heading", name="Votre paiement est refusé")).to_be_visible()
    expect(page.locator("#payment-status")).to_contain_text("Votre paiement a été refusé")
    expect(row.get_by_role("link", name=re.compile("Payer"))).to_be_visible()
    debt.refresh_from_db()
    assert debt.state == Debt.State.OPEN


def test_wrong_access_code_is_refused_in_french(page, portal):
    user = UserFactory(password=PASSWORD)
    user.emailaddress_set.create(email=user.email, verified=True, primary=True)
    debtor = DebtorReferenceFactory(access_code="ABCD234567")
    log_in(page, portal, user)
    link_reference(page, debtor, "ZZZZ999999")
    expect(page.locator("#id_access_code_erreur")).to_contain_text("La référence ou le code d'accès est incorrect")
    assert not user.reference_links.exists()


def test_expired_debt_cannot_be_paid(page, portal):
    today = timezone.localdate()
    user = UserFactory(password=PASSWORD)
    user.emailaddress_set.create(email=user.email, verified=True, primary=True)
    debtor = DebtorReferenceFactory()
    user.reference_links.create(debtor=debtor)
    debt = DebtFactory(
        client=debtor.client,
        debtor=debtor,
        online_from=today - datetime.timedelta(days=90),
        online_until=today - datetime.timedelta(days=1),
    )
    log_in(page, portal, user)
    row = page.locator(f'tr[data-debt-id="{debt.pk}"]')
    expect(row.locator(".debt-status")).to_contain_text("Le délai pour payer cette dette sur Internet est expiré")
    expect(row.get_by_role("link", name=re.compile("Payer"))).to_be_hidden()
