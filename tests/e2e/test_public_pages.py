"""Every public page, on a desktop and at 375×740: no horizontal scroll, axe with no serious or
critical violation, every ARIA and label reference resolved. One pass over the pages per viewport.

With E2E_SHOTS_DIR set, a full-page screenshot of each page is written there (never committed).
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from debts.models import Debt, ReferenceLink
from tests.aria import unresolved_references
from tests.e2e.conftest import VIEWPORTS, serious_violations
from tests.factories import DebtFactory, DebtorReferenceFactory, TipiClientFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ANONYMOUS_PAGES = [
    ("accueil", "/"),
    ("choix du service", "/payer/"),
    ("formulaire", "/payer/{numcli}/"),
    ("connexion", "/compte/login/"),
    ("création de compte", "/compte/signup/"),
    ("mot de passe oublié", "/compte/password/reset/"),
    ("mentions légales", "/mentions-legales/"),
    ("accessibilité", "/accessibilite/"),
    ("données personnelles", "/donnees-personnelles/"),
    ("page introuvable", "/nulle-part/"),
]
ACCOUNT_PAGES = [
    ("mes factures", "/compte/"),
    ("références", "/compte/references/"),
    ("retirer une référence", "/compte/references/{debtor}/retirer/"),
    ("confirmation du paiement", "/compte/dettes/{debt}/payer/"),
    ("changer le mot de passe", "/compte/password/change/"),
    ("adresses électroniques", "/compte/email/"),
]


def _check(page, name: str, viewport: str) -> list[str]:
    problems = []
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width[0] > width[1]:
        problems.append(f"déborde : {width[0]} px pour {width[1]} px")
    problems += serious_violations(page)
    problems += unresolved_references(page.content())
    _shot(page, name, viewport)
    return problems


def _shot(page, name: str, viewport: str) -> None:
    if shots := os.environ.get("E2E_SHOTS_DIR"):
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{shots}/{viewport}-{name.replace(' ', '-')}.png", full_page=True)


def _family(user) -> dict:
    """A reference with a payable debt, one being validated and one paid: every status on the list."""
    debtor = DebtorReferenceFactory()
    ReferenceLink.objects.create(user=user, debtor=debtor)
    debt = DebtFactory(client=debtor.client, debtor=debtor, amount_cents=3808, label="Cantine de novembre")
    DebtFactory(client=debtor.client, debtor=debtor, amount_cents=4520, state=Debt.State.IN_PROGRESS)
    DebtFactory(client=debtor.client, debtor=debtor, amount_cents=12990, state=Debt.State.PAID, label="Eau 2025")
    return {"numcli": debt.client.numcli, "debtor": debtor.pk, "debt": debt.pk}


def _log_in(context, portal: str, user) -> None:
    """The session of a logged-in test client, given to the browser (the login page has its own check)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": portal}])


def test_public_pages_fit_the_screen_pass_axe_and_resolve_their_references(browser, portal, viewport):
    TipiClientFactory()  # two clients: the chooser is a page
    user = UserFactory(email="camille.noel@example.fr")
    user.emailaddress_set.create(email=user.email, verified=True, primary=True)
    ids = _family(user)
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    failures = {}
    for name, path in ANONYMOUS_PAGES:
        page.goto(portal + path.format(**ids))
        failures[name] = _check(page, name, viewport)

    # The manual form sent with errors: the summary at the top has the focus and leads to the field.
    page.goto(f"{portal}/payer/{ids['numcli']}/")
    page.get_by_label("Montant exact (€)").fill("abc")
    page.get_by_role("button", name="Continuer").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    assert (
        page.evaluate("document.querySelector('[data-error-summary]').getBoundingClientRect().top")
        < VIEWPORTS[viewport]["height"]
    )
    failures["formulaire en erreur"] = _check(page, "formulaire en erreur", viewport)
    summary.get_by_role("link", name="Montant exact (€)", exact=False).click()
    expect(page.get_by_label("Montant exact (€)")).to_be_focused()

    page.goto(f"{portal}/compte/login/")
    page.get_by_label("Courriel").fill(user.email)
    page.get_by_label("Mot de passe", exact=False).first.fill("pas-le-bon")
    page.get_by_role("button", name="Connexion").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()
    failures["connexion refusée"] = _check(page, "connexion refusée", viewport)

    _log_in(context, portal, user)
    for name, path in ACCOUNT_PAGES:
        page.goto(portal + path.format(**ids))
        failures[name] = _check(page, name, viewport)
    page.goto(f"{portal}/compte/")
    # One card per debt on a phone: its status and "Payer" are within the screen's width.
    card = page.locator(f"tr[data-debt-id='{ids['debt']}']")
    for part in (card, card.locator(".debt-status"), card.get_by_role("link", name="Payer", exact=False)):
        box = part.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORTS[viewport]["width"]
    if viewport == "phone":
        assert card.evaluate("row => getComputedStyle(row).display") == "block"
    # "Imprimer": the list and its totals on paper, without the menu, the buttons or the footer's links.
    expect(page.get_by_role("button", name="Imprimer")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Menu principal")).to_be_hidden()
    expect(card.get_by_role("link", name="Payer", exact=False)).to_be_hidden()
    expect(page.get_by_role("button", name="Imprimer")).to_be_hidden()
    expect(page.locator("[data-total='outstanding']")).to_be_visible()
    _shot(page, "mes factures imprimées", viewport)
    context.close()
    assert {name: found for name, found in failures.items() if found} == {}
