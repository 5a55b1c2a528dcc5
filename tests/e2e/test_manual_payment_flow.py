"""A citizen pays a bill through the manual form, as a person does, in real Chromium."""

import contextlib
import re

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from debts.models import Debt
from payments.models import ReturnNotice, Transaction
from tests.factories import DebtFactory, RegieClientFactory, RegieDebtFactory

pytestmark = pytest.mark.django_db(transaction=True)


def fill_form(page, debt, montant="38,08"):
    page.get_by_label("Année").fill(debt.ref_parts["codexer"])
    page.get_by_label("Numéro de titre").fill(debt.ref_parts["numtitre"].lstrip("0"))
    page.get_by_label("Montant exact (€)").fill(montant)
    page.get_by_label("Votre adresse électronique", exact=True).fill("marie.lefevre@example.fr")
    page.get_by_label("Votre adresse électronique (confirmation)").fill("marie.lefevre@example.fr")
    page.get_by_role("button", name="Continuer").click()


def pay_in_popup(page, card="1111222233334444", expiry="12/39", cvv="123"):
    with page.expect_popup() as popup_info:
        page.get_by_role("link", name=re.compile("Payer .* par carte bancaire")).click()
    popup = popup_info.value
    popup.wait_for_load_state()
    expect(popup.get_by_role("heading", name="Paiement de votre dette")).to_be_visible()
    popup.get_by_label("Numéro de carte").fill(card)
    popup.get_by_label("Date de fin de validité (MM/AA)").fill(expiry)
    popup.get_by_label("Cryptogramme visuel").fill(cvv)
    popup.get_by_role("button", name="Valider le paiement").click()
    return popup


def test_pay_with_test_card_in_popup_and_see_in_progress_without_reload(page, portal):
    debt = DebtFactory(amount_cents=3808)
    page.goto(f"{portal}/payer/{debt.client.numcli}/")
    fill_form(page, debt)
    expect(page.get_by_role("heading", name="Paiement par carte bancaire")).to_be_visible()
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    popup = pay_in_popup(page)
    expect(popup.get_by_role("heading", name="Votre paiement est accepté")).to_be_visible()
    # The opener updates by itself: no navigation, no reload.
    expect(page.locator("#payment-status")).to_have_text("Paiement CB par Internet en cours de validation")
    assert navigations == []
    debt.refresh_from_db()
    assert debt.state == Debt.State.IN_PROGRESS
    transaction = Transaction.objects.get()
    assert (
        transaction.state == Transaction.State.PAID and len(transaction.numauto) == 7
    )  # annex 4: NUMAUTO "Numérique 7"
    assert ReturnNotice.objects.get().outcome == "applied"
    # The button closes its own window, sometimes before Playwright has finished the click.
    with popup.expect_event("close"), contextlib.suppress(PlaywrightError):
        popup.get_by_role("button", name="Fermer la fenêtre").click(no_wait_after=True)


def test_refused_card_shows_message_and_retry(page, portal):
    debt = DebtFactory(amount_cents=3808)
    page.goto(f"{portal}/payer/{debt.client.numcli}/")
    fill_form(page, debt)
    popup = pay_in_popup(page, card="4970100000000000")
    expect(popup.get_by_role("heading", name="Votre paiement est refusé")).to_be_visible()
    expect(page.locator("#payment-status")).to_contain_text("Votre paiement a été refusé")
    debt.refresh_from_db()
    assert debt.state == Debt.State.OPEN
    page.get_by_role("button", name="Réessayer le paiement").click()
    expect(page.locator("#payment-status")).to_contain_text("la page de paiement sécurisée de la DGFiP s'ouvre")
    assert Transaction.objects.filter(state="pending").count() == 1


def test_form_error_shown_in_french_next_to_its_field(page, portal):
    debt = DebtFactory(amount_cents=3808)
    page.goto(f"{portal}/payer/{debt.client.numcli}/")
    fill_form(page, debt, montant="38,00")
    error = page.locator("#id_montant_erreur")
    expect(error).to_contain_text("Ce montant ne correspond pas à la référence saisie")
    assert not Transaction.objects.exists()


def test_popup_blocked_then_fallback_link_works(page, portal):
    page.add_init_script("window.open = function () { return null; };")
    debt = DebtFactory(amount_cents=3808)
    page.goto(f"{portal}/payer/{debt.client.numcli}/")
    fill_form(page, debt)
    page.get_by_role("link", name=re.compile("Payer .* par carte bancaire")).click()
    fallback = page.get_by_role("link", name=re.compile("Ouvrir la page de paiement sécurisée"))
    expect(fallback).to_be_visible()
    expect(page.get_by_text("Votre navigateur a bloqué la fenêtre de paiement")).to_be_visible()
    with page.expect_popup() as popup_info:
        fallback.click()
    popup = popup_info.value
    popup.get_by_label("Numéro de carte").fill("1111222233334444")
    popup.get_by_label("Date de fin de validité (MM/AA)").fill("12/39")
    popup.get_by_label("Cryptogramme visuel").fill("123")
    popup.get_by_role("button", name="Valider le paiement").click()
    expect(page.locator("#payment-status")).to_have_text("Paiement CB par Internet en cours de validation")


def test_cancel_in_popup_leaves_debt_payable(page, portal):
    debt = DebtFactory(amount_cents=3808)
    page.goto(f"{portal}/payer/{debt.client.numcli}/")
    fill_form(page, debt)
    with page.expect_popup() as popup_info:
        page.get_by_role("link", name=re.compile("Payer .* par carte bancaire")).click()
    popup = popup_info.value
    popup.get_by_role("button", name="Annuler").click()
    expect(popup.get_by_role("heading", name="Vous avez annulé le paiement")).to_be_visible()
    expect(page.locator("#payment-status")).to_contain_text("Vous avez annulé le paiement")
    debt.refresh_from_db()
    assert debt.state == Debt.State.OPEN


def test_a_regie_invoice_is_paid_by_its_number_in_classic_mode(page, portal):
    # Protocol 0: the payer types the invoice number as printed; TIPI gets the REFDET derived from it.
    debt = RegieDebtFactory(client=RegieClientFactory(), invoice_reference="FAC-2026/0042", amount_cents=4250)
    page.goto(f"{portal}/payer/{debt.client.numcli}/")
    expect(page.get_by_label("Année")).to_have_count(0)
    page.get_by_label("Numéro de facture").fill("FAC-2026/0042")
    page.get_by_label("Montant exact (€)").fill("42,50")
    page.get_by_label("Votre adresse électronique", exact=True).fill("marie.lefevre@example.fr")
    page.get_by_label("Votre adresse électronique (confirmation)").fill("marie.lefevre@example.fr")
    page.get_by_role("button", name="Continuer").click()
    expect(page.locator(".summary")).to_contain_text("FAC-2026/0042")
    popup = pay_in_popup(page)
    expect(popup.get_by_role("heading", name="Votre paiement est accepté")).to_be_visible()
    expect(page.locator("#payment-status")).to_have_text("Paiement CB par Internet en cours de validation")
    debt.refresh_from_db()
    assert debt.state == Debt.State.IN_PROGRESS
    assert Transaction.objects.get().refdet == debt.refdet != debt.invoice_reference
