"""Every public page passes axe-core with no serious or critical violation, desktop and phone."""

import pytest

from tests.e2e.conftest import VIEWPORTS, serious_violations
from tests.factories import DebtFactory, TipiClientFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sized_page(browser, viewport):
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="fr-FR")
    page = context.new_page()
    yield page
    context.close()


def _public_pages(portal):
    debt = DebtFactory(amount_cents=3808)
    TipiClientFactory()  # two clients: the chooser page is shown
    numcli = debt.client.numcli
    return debt, [
        ("accueil", f"{portal}/"),
        ("choix du service", f"{portal}/payer/"),
        ("formulaire", f"{portal}/payer/{numcli}/"),
        ("connexion", f"{portal}/compte/login/"),
        ("création de compte", f"{portal}/compte/signup/"),
        ("mot de passe oublié", f"{portal}/compte/password/reset/"),
        ("anomalie TIPI", f"{portal}/tpa/paiement.web?numcli={numcli}&refdet=1&montant=1&mel=a&saisie=M"),
    ]


def test_public_pages_have_no_serious_violation(sized_page, portal):
    debt, pages = _public_pages(portal)
    failures = {}
    for name, url in pages:
        sized_page.goto(url)
        failures[name] = serious_violations(sized_page)
    # The form with its errors shown, the payment page, the card page and the ticket.
    sized_page.goto(f"{portal}/payer/{debt.client.numcli}/")
    sized_page.get_by_role("button", name="Continuer").click()
    failures["formulaire en erreur"] = serious_violations(sized_page)
    sized_page.get_by_label("Année").fill(debt.ref_parts["codexer"])
    sized_page.get_by_label("Numéro de titre").fill(debt.ref_parts["numtitre"])
    sized_page.get_by_label("Montant exact (€)").fill("38,08")
    sized_page.get_by_label("Votre adresse électronique", exact=True).fill("a.b@example.fr")
    sized_page.get_by_label("Votre adresse électronique (confirmation)").fill("a.b@example.fr")
    sized_page.get_by_role("button", name="Continuer").click()
    failures["page de paiement"] = serious_violations(sized_page)
    card_url = sized_page.get_by_role("link", name="Payer 38,08\u00a0€ par carte bancaire").get_attribute("href")
    sized_page.goto(card_url)
    failures["page carte (bac à sable)"] = serious_violations(sized_page)
    sized_page.get_by_label("Numéro de carte").fill("1111222233334444")
    sized_page.get_by_label("Date de fin de validité (MM/AA)").fill("12/39")
    sized_page.get_by_label("Cryptogramme visuel").fill("123")
    sized_page.get_by_role("button", name="Valider le paiement").click()
    failures["ticket (bac à sable)"] = serious_violations(sized_page)
    assert {name: found for name, found in failures.items() if found} == {}


def test_account_pages_have_no_serious_violation(sized_page, portal):
    from tests.e2e.test_account_flow import PASSWORD, log_in
    from tests.factories import DebtorReferenceFactory, UserFactory

    user = UserFactory(password=PASSWORD)
    user.emailaddress_set.create(email=user.email, verified=True, primary=True)
    debtor = DebtorReferenceFactory()
    user.reference_links.create(debtor=debtor)
    debt = DebtFactory(client=debtor.client, debtor=debtor)
    log_in(sized_page, portal, user)
    failures = {}
    for name, path in [
        ("mes factures", "/compte/"),
        ("références", "/compte/references/"),
        ("confirmation", f"/compte/dettes/{debt.pk}/payer/"),
    ]:
        sized_page.goto(portal + path)
        failures[name] = serious_violations(sized_page)
    sized_page.get_by_role("button", name="Confirmer et continuer vers le paiement").click()
    failures["liste avec paiement"] = serious_violations(sized_page)
    assert {name: found for name, found in failures.items() if found} == {}
