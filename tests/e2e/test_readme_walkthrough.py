"""The README's walk-through, as a newcomer follows it after `make run`, on the demo data: pay a
printed reference through the form, see the receipt, run the demo again and pay it again; then
create an account, link DUPONT01 with its code and pay its bill from the list."""

import io
import os
import re
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from debts.models import Debt
from payments.models import TipiClient
from tests.e2e.conftest import VIEWPORTS
from tests.e2e.test_account_flow import PASSWORD, pay_from_list
from tests.e2e.test_manual_payment_flow import pay_in_popup

pytestmark = pytest.mark.django_db(transaction=True)
PRINTED = re.compile(
    r"À payer \((?P<label>Commune de Démo – Restauration scolaire), (?P<ref>\w+)\) : année (?P<year>\d{4}), "
    r"titre (?P<titre>\d+), ordre (?P<ordre>\d+), montant (?P<amount>[\d,]+)\xa0€"
)
SHOTS = os.environ.get("SHOTS_DIR")  # screenshots for a person to look at (never committed)


@pytest.fixture
def demo(settings, tmp_path, portal):
    settings.DEBUG = True  # demo_data loads in development only, as under `make run`
    settings.IMPORTS_DIR = tmp_path / "imports"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    return portal


def make_run_prints() -> list[dict]:
    out = io.StringIO()
    call_command("demo_data", stdout=out)
    return [match.groupdict() for match in PRINTED.finditer(out.getvalue())]


def overflowing(page) -> list[str]:
    """The elements wider than the window (to say what overflows)."""
    return page.evaluate(
        """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1)
        .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""
    )


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def pay_printed_reference(page, portal, printed: dict) -> None:
    page.goto(portal)
    page.get_by_role("link", name="Payer une facture").first.click()
    page.get_by_role("link", name=printed["label"]).click()
    page.get_by_label("Année").fill(printed["year"])
    page.get_by_label("Numéro de titre").fill(printed["titre"])
    page.get_by_label("Numéro d'ordre").fill(printed["ordre"])
    page.get_by_label("Montant exact (€)").fill(printed["amount"])
    page.get_by_label("Votre adresse électronique", exact=True).fill("nouvelle.venue@example.fr")
    page.get_by_label("Votre adresse électronique (confirmation)").fill("nouvelle.venue@example.fr")
    page.get_by_role("button", name="Continuer").click()
    expect(page.locator("#payment-status")).to_contain_text("s'ouvre dans une nouvelle fenêtre")
    popup = pay_in_popup(page)
    expect(popup.get_by_role("heading", name="Votre paiement est accepté")).to_be_visible()
    popup.close()
    expect(page.locator("#payment-status")).to_have_text("Paiement CB par Internet en cours de validation")


def test_the_manual_payment_walkthrough_works_every_time(page, demo):
    printed = make_run_prints()
    first = next(p for p in printed if p["titre"] == "123")
    assert first["amount"] == "38,08"
    pay_printed_reference(page, demo, first)
    page.get_by_role("link", name="Afficher le reçu à imprimer").click()
    expect(page.get_by_role("heading", name="Reçu de paiement par carte bancaire")).to_be_visible()
    expect(page.get_by_text("à valider par la trésorerie").first).to_be_visible()
    expect(page.get_by_role("button", name="Imprimer ce reçu")).to_be_visible()
    for name, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (name, overflowing(page))
        shot(page, f"receipt-{name}")
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Imprimer ce reçu")).to_be_hidden()
    shot(page, "receipt-print")
    page.emulate_media(media="screen")
    page.set_viewport_size(VIEWPORTS["desktop"])
    # The portal's own e-mail (the sandbox sends TIPI's ticket too, as TIPI does).
    (confirmation,) = [m for m in mail.outbox if m.to == ["nouvelle.venue@example.fr"] and "enregistré" in m.subject]
    assert "Numéro d'autorisation" in confirmation.body and "à valider par la trésorerie" in confirmation.body

    # `make run` again: it prints a payable bill in place of the one paid, and the walk-through works.
    again = make_run_prints()
    assert not any(p["titre"] == "123" for p in again)
    pay_printed_reference(page, demo, next(p for p in again if p["ref"] == "LEFEVRE01" and p["amount"] == "38,08"))


def test_the_account_walkthrough_links_dupont01_and_pays_its_bill(page, demo):
    make_run_prints()
    page.goto(f"{demo}/compte/signup/")
    page.get_by_label("Courriel").fill("nouveau.venu@example.fr")
    page.get_by_label(re.compile(r"^Mot de passe\s*:?$")).fill(PASSWORD)
    page.get_by_label("Mot de passe (confirmation)").fill(PASSWORD)
    page.get_by_role("button", name="Création de compte").click()
    link = re.search(r"https?://\S+/compte/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirmer").click()
    page.goto(f"{demo}/compte/references/")  # "Gérer les références"
    service = page.get_by_label("Service qui vous a envoyé la facture")
    expect(service).to_have_value(str(TipiClient.objects.get(numcli="012345").pk))  # the first, already chosen
    page.get_by_label("Référence débiteur").fill("DUPONT01")
    page.get_by_label("Code d'accès").fill("DEMODUP226")
    page.get_by_role("button", name="Ajouter").click()
    expect(page.get_by_text("La référence DUPONT01 est rattachée à votre compte.")).to_be_visible()
    page.goto(f"{demo}/compte/")
    bill = Debt.objects.get(debtor_ref="DUPONT01", label="Cantine – novembre")
    popup, row = pay_from_list(page, bill)
    expect(popup.get_by_role("heading", name="Votre paiement est accepté")).to_be_visible()
    expect(row.locator(".debt-status")).to_have_text("Paiement CB par Internet en cours de validation")


def test_the_demo_citizen_logs_in_and_sees_her_bills(page, demo):
    make_run_prints()
    page.goto(f"{demo}/compte/login/")
    page.get_by_label("Courriel").fill("marie.lefevre@example.org")
    page.get_by_label(re.compile(r"^Mot de passe\s*:?$")).fill("citoyenne-demo-2026")
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_text("Cantine – septembre")).to_be_visible()
