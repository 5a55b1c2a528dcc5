"""The account page as annex 3 draws it: billed, paid and outstanding per debt and in total, the
bill's own reference, links to change the password and the e-mail, "Retirer" after a confirmation."""

import html

import lxml.html
import pytest

from debts.models import Debt, ReferenceLink
from debts.services.references import ReferenceLinkRefused, reference_link
from tests.factories import DebtFactory, DebtorReferenceFactory, RolmreClientFactory, UserFactory
from tests.integration.accounts.test_views import linked_debt

pytestmark = pytest.mark.django_db


def test_totals_billed_paid_and_outstanding(client, citizen):
    open_debt = linked_debt(citizen, amount_cents=6790)
    linked_debt(citizen, debtor=open_debt.debtor, amount_cents=3252, state=Debt.State.IN_PROGRESS)
    linked_debt(citizen, debtor=open_debt.debtor, amount_cents=4728, state=Debt.State.PAID)
    linked_debt(citizen, debtor=open_debt.debtor, amount_cents=9999, state=Debt.State.CANCELLED)
    DebtFactory(amount_cents=5000)  # someone else's
    tree = lxml.html.fromstring(client.get("/compte/").content.decode())
    totals = {dd.get("data-total"): dd.text_content() for dd in tree.xpath("//dd[@data-total]")}
    assert totals == {"billed": "147,70\xa0€", "paid": "79,80\xa0€", "outstanding": "67,90\xa0€"}
    outstanding = {
        int(row.get("data-debt-id")): row.xpath('td[contains(@class, "debt-outstanding")]')[0].text_content()
        for row in tree.xpath("//tr[@data-debt-id]")
    }
    assert sorted(outstanding.values()) == ["0,00\xa0€", "0,00\xa0€", "67,90\xa0€"]
    assert outstanding[open_debt.pk] == "67,90\xa0€"
    assert client.get("/compte/etat/").json()["totals"] == totals
    assert tree.xpath("//button[@data-print]")[0].text_content() == "Imprimer"
    assert tree.xpath("//*[@aria-live='polite'][@data-debt-announce]")


def test_the_bill_reference_is_shown_with_refdet_as_a_detail(client, citizen):
    water = RolmreClientFactory()
    debtor = DebtorReferenceFactory(client=water)
    ReferenceLink.objects.create(user=citizen, debtor=debtor)
    debt = DebtFactory(client=water, debtor=debtor)
    tree = lxml.html.fromstring(client.get("/compte/").content.decode())
    (cell,) = tree.xpath(f'//tr[@data-debt-id="{debt.pk}"]/td[1]')
    number, year = debt.ref_parts["roldet"], debt.ref_parts["rolex"]
    assert cell.xpath('span[@class="debt-reference"]')[0].text_content() == f"Facture n° {number} de {year}"
    assert f"référence TIPI {debt.refdet}" in cell.text_content()
    page = html.unescape(client.get(f"/compte/dettes/{debt.pk}/payer/").text)
    assert f"<dd>Facture n° {number} de {year}</dd>" in page and f"<dd>{debt.refdet}</dd>" in page


def test_the_account_links_to_password_and_email_changes(client, citizen):
    linked_debt(citizen)
    for path in ("/compte/", "/compte/references/"):
        text = client.get(path).text
        assert 'href="/compte/password/change/">Changer mon mot de passe' in text
        assert 'href="/compte/email/">Changer mon adresse électronique' in text


def test_removing_a_reference_asks_for_confirmation_first(client, citizen):
    debt = linked_debt(citizen)
    url = f"/compte/references/{debt.debtor.pk}/retirer/"
    listing = client.get("/compte/references/").text
    assert f'<a href="{url}">Retirer' in listing and f'action="{url}"' not in listing  # a link, not a POST
    confirm = html.unescape(client.get(url).text)
    assert f"Retirer la référence {debt.debtor.reference} ?" in confirm and "Vous ne verrez plus sa facture" in confirm
    assert ReferenceLink.objects.filter(user=citizen).exists()  # asking removed nothing
    assert client.post(url).status_code == 302
    assert not ReferenceLink.objects.filter(user=citizen).exists()


def test_another_accounts_reference_cannot_even_be_asked_about(client, citizen):
    stranger = linked_debt(UserFactory())
    assert client.get(f"/compte/references/{stranger.debtor.pk}/retirer/").status_code == 404


@pytest.mark.parametrize("typed", ["dup 01", " DUP01 ", "Dup\u00a001", "dUp01"])
def test_linking_ignores_case_and_spaces_in_the_reference(typed):
    debtor = DebtorReferenceFactory(reference="DUP01", access_code="ABCD234567")
    user = UserFactory()
    assert reference_link(user=user, client=debtor.client, reference=typed, access_code="abcd 234567") == debtor


def test_references_differing_only_by_case_are_told_apart_by_their_code():
    first = DebtorReferenceFactory(reference="ab01", access_code="AAAA222222")
    second = DebtorReferenceFactory(client=first.client, reference="AB01", access_code="BBBB333333")
    user = UserFactory()
    assert reference_link(user=user, client=first.client, reference="AB01", access_code="AAAA222222") == first
    assert reference_link(user=user, client=first.client, reference="ab01", access_code="BBBB333333") == second
    with pytest.raises(ReferenceLinkRefused):
        reference_link(user=user, client=first.client, reference="AB 01", access_code="CCCC444444")


def test_logged_in_the_manual_form_has_the_accounts_email(client, citizen):
    debt = DebtFactory()
    tree = lxml.html.fromstring(client.get(f"/payer/{debt.client.numcli}/").content.decode())
    assert tree.get_element_by_id("id_email").get("value") == "marie.lefevre@example.fr"
    assert tree.get_element_by_id("id_email_confirm").get("value") == "marie.lefevre@example.fr"
    client.logout()
    tree = lxml.html.fromstring(client.get(f"/payer/{debt.client.numcli}/").content.decode())
    assert tree.get_element_by_id("id_email").get("value") is None


def test_the_service_is_offered_by_its_name_not_its_numcli(client, citizen):
    debtor = DebtorReferenceFactory()
    tree = lxml.html.fromstring(client.get("/compte/references/").content.decode())
    options = {option.get("value"): option.text_content() for option in tree.xpath("//select[@name='client']/option")}
    assert options[str(debtor.client.pk)] == debtor.client.label
