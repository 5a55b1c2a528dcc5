"""Every public page, in every state of its form, refers only to ids it has (label for=,
aria-describedby, aria-labelledby, #links): the help and error texts are read with their field."""

import pytest

from debts.models import ReferenceLink
from tests.aria import unresolved_references
from tests.factories import DebtFactory, DebtorReferenceFactory, TipiClientFactory, UserFactory

pytestmark = pytest.mark.django_db

BAD_MANUAL_FORM = {"exercice": "20x6", "numero": "", "montant": "abc", "email": "pas-une-adresse", "email_confirm": "x"}


def _anonymous_pages(client, debt):
    numcli = debt.client.numcli
    return {
        "accueil": client.get("/"),
        "choix du service": client.get("/payer/"),
        "formulaire": client.get(f"/payer/{numcli}/"),
        "formulaire vide envoyé": client.post(f"/payer/{numcli}/", {}),
        "formulaire en erreur": client.post(f"/payer/{numcli}/", BAD_MANUAL_FORM),
        "connexion": client.get("/compte/login/"),
        "connexion refusée": client.post("/compte/login/", {"login": "x@example.fr", "password": "faux"}),
        "création de compte": client.get("/compte/signup/"),
        "création de compte en erreur": client.post(
            "/compte/signup/", {"email": "pas-une-adresse", "password1": "a", "password2": "b"}
        ),
        "mot de passe oublié": client.get("/compte/password/reset/"),
        "mot de passe oublié en erreur": client.post("/compte/password/reset/", {"email": "x"}),
        "page introuvable": client.get("/nulle-part/"),
    }


def _account_pages(client, debt):
    debtor = debt.debtor
    return {
        "mes factures": client.get("/compte/"),
        "références": client.get("/compte/references/"),
        "références en erreur": client.post(
            "/compte/references/", {"client": debtor.client.pk, "reference": "", "access_code": "FAUX"}
        ),
        "code refusé": client.post(
            "/compte/references/", {"client": debtor.client.pk, "reference": debtor.reference, "access_code": "FAUX"}
        ),
        "confirmation": client.get(f"/compte/dettes/{debt.pk}/payer/"),
        "confirmation en erreur": client.post(f"/compte/dettes/{debt.pk}/payer/", {"email": "pas-une-adresse"}),
        "mot de passe": client.get("/compte/password/change/"),
        "mot de passe en erreur": client.post(
            "/compte/password/change/", {"oldpassword": "faux", "password1": "a", "password2": "b"}
        ),
        "adresses électroniques": client.get("/compte/email/"),
    }


def test_every_aria_and_label_reference_resolves_on_public_pages(client):
    TipiClientFactory()  # two clients: the chooser is a page, not a redirect
    debt = DebtFactory()
    pages = _anonymous_pages(client, debt)
    debtor = DebtorReferenceFactory(client=debt.client)
    debt.debtor = debtor
    debt.save()
    user = UserFactory()
    ReferenceLink.objects.create(user=user, debtor=debtor)
    client.force_login(user)
    pages |= _account_pages(client, debt)
    assert {name: response.status_code for name, response in pages.items() if response.status_code >= 500} == {}
    unresolved = {name: unresolved_references(response.text) for name, response in pages.items()}
    assert {name: found for name, found in unresolved.items() if found} == {}
    # The error states did show errors (else the test would prove nothing about them).
    for name in ("formulaire en erreur", "références en erreur", "confirmation en erreur", "mot de passe en erreur"):
        assert "_erreur" in pages[name].text or "_error" in pages[name].text, name


def test_a_field_points_at_its_help_and_error_texts(client):
    debt = DebtFactory()
    response = client.post(f"/payer/{debt.client.numcli}/", BAD_MANUAL_FORM)
    assert 'aria-describedby="id_montant_aide id_montant_erreur"' in response.text
    assert 'id="id_montant_aide"' in response.text and 'id="id_montant_erreur"' in response.text
    # The summary at the top links to the field.
    assert '<a href="#id_montant">' in response.text


def test_unresolved_references_are_found():
    page = '<label for="id_a">A</label><input id="id_b" aria-describedby="id_b_aide id_b_erreur"><a href="#x">x</a>'
    assert unresolved_references(page) == [
        '<label for="id_a">',
        '<input aria-describedby="id_b_aide">',
        '<input aria-describedby="id_b_erreur">',
        '<a href="#x">',
    ]
