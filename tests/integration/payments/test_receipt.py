"""The printable receipt of a paid attempt: by its public id, for its session or its account only."""

import datetime

import lxml.html
import pytest
from django.test import Client

from payments.models import Transaction
from payments.session import SESSION_ATTEMPTS
from tests.factories import TransactionFactory

pytestmark = pytest.mark.django_db


def paid(**extra) -> Transaction:
    return TransactionFactory(
        state=Transaction.State.PAID,
        resultrans="P",
        numauto="112233",
        dattrans=datetime.date(2026, 11, 22),
        amount_cents=3808,
        **extra,
    )


def remembered(transaction) -> Client:
    client = Client()
    session = client.session
    session[SESSION_ATTEMPTS] = [transaction.public_id]
    session.save()
    return client


def test_the_receipt_shows_what_was_paid_and_that_the_treasury_validates_it():
    transaction = paid()
    response = remembered(transaction).get(f"/paiement/{transaction.public_id}/recu/")
    assert response.status_code == 200
    page = lxml.html.fromstring(response.text)
    facts = dict(
        zip((dt.text_content() for dt in page.xpath("//dl/dt")), (dd.text_content() for dd in page.xpath("//dl/dd")))
    )
    # The reference as printed on the bill, REFDET as a detail (issue 14: never the raw REFDET alone).
    year, title, order = transaction.refdet[:4], transaction.refdet[4:12], transaction.refdet[12:]
    assert facts["Référence de la dette"] == f"Exercice {year}, titre n° {title}, ordre n° {order}"
    assert facts["Référence TIPI"] == transaction.refdet
    assert facts["Montant payé"] == "38,08\u00a0€"
    assert facts["Date du paiement"] == "22/11/2026"
    assert facts["Numéro d'autorisation"] == "112233"
    assert "à valider par la trésorerie" in page.text_content()
    assert page.xpath("//button[@data-print]")
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_payment_page_links_to_its_receipt_once_paid():
    transaction = paid()
    page = lxml.html.fromstring(remembered(transaction).get(f"/paiement/{transaction.public_id}/").text)
    link = page.get_element_by_id("receipt-link")
    assert link.get("href") == f"/paiement/{transaction.public_id}/recu/"
    assert link.getparent().get("hidden") is None


def test_the_account_it_was_paid_from_sees_it_from_any_browser(django_user_model):
    user = django_user_model.objects.create_user("marie", "marie@example.fr", "x")
    transaction = paid(user=user, saisie="A")
    client = Client()
    client.force_login(user)
    assert client.get(f"/paiement/{transaction.public_id}/recu/").status_code == 200


def test_nobody_else_sees_it(django_user_model):
    transaction = paid()
    assert Client().get(f"/paiement/{transaction.public_id}/recu/").status_code == 404
    other = django_user_model.objects.create_user("paul", "paul@example.fr", "x")
    client = Client()
    client.force_login(other)
    assert client.get(f"/paiement/{transaction.public_id}/recu/").status_code == 404


@pytest.mark.parametrize("state", ["pending", "refused", "cancelled", "abandoned"])
def test_an_attempt_not_paid_has_no_receipt(state):
    transaction = TransactionFactory(state=state)
    assert remembered(transaction).get(f"/paiement/{transaction.public_id}/recu/").status_code == 404


def test_a_receipt_of_a_debit_says_prelevement_and_shows_no_authorisation_number():
    transaction = paid()
    Transaction.objects.filter(pk=transaction.pk).update(resultrans="V", numauto="")
    page = lxml.html.fromstring(remembered(transaction).get(f"/paiement/{transaction.public_id}/recu/").text)
    assert page.get_element_by_id("receipt-title").text_content() == "Reçu de paiement par prélèvement"
    assert "Paiement par prélèvement en cours de validation : à valider par la trésorerie." in page.text_content()
    assert "Numéro d'autorisation" not in [dt.text_content() for dt in page.xpath("//dl/dt")]
