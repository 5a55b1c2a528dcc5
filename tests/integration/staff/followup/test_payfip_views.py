"""The PayFiP page of the follow-up: transactions awaiting a result with their last check, the
journal of checks, "Vérifier maintenant" (recorded as the agent's); agents only."""

import lxml.html
import pytest

from payments.models import PayfipCheck
from payments.services.payfip_checks import payfip_transaction_check
from tests.factories import UserFactory, staff_member
from tests.factories.payfip import WebserviceTransactionFactory

pytestmark = pytest.mark.django_db
PAGE = "/gestion/suivi/payfip/"


@pytest.fixture
def agent(client):
    user = staff_member("agent", email="agent@mairie.example")
    client.force_login(user)
    client.user = user
    return client


def rows(response, table: str) -> list[lxml.html.HtmlElement]:
    return lxml.html.fromstring(response.content.decode()).xpath(f'//table[@id="{table}"]/tbody/tr')


def test_awaiting_transactions_with_their_last_check_and_the_journal(agent, fake_payfip):
    waiting = WebserviceTransactionFactory()
    payfip_transaction_check(transaction_id=waiting.pk, trigger=PayfipCheck.Trigger.POLLER)  # P5
    paid = WebserviceTransactionFactory()
    fake_payfip.settle(paid, "V")
    payfip_transaction_check(transaction_id=paid.pk, trigger=PayfipCheck.Trigger.NOTIFICATION)
    WebserviceTransactionFactory(idop=None)  # a classic one is not PayFiP's web service
    response = agent.get(PAGE)
    assert response.status_code == 200
    awaiting = rows(response, "payfip-awaiting")
    assert [row.get("data-transaction") for row in awaiting] == [str(waiting.pk)]
    assert "Résultat pas encore connu (P5)" in awaiting[0].text_content()
    journal = [(row.get("data-outcome")) for row in rows(response, "payfip-checks")]
    assert journal == ["applied", "pending"]


def test_check_now_asks_payfip_and_records_the_agent(agent, fake_payfip):
    transaction = WebserviceTransactionFactory()
    fake_payfip.settle(transaction, "P")
    response = agent.post(f"/gestion/suivi/payfip/transactions/{transaction.pk}/verifier/", follow=True)
    assert response.status_code == 200
    assert "Vérification auprès de PayFiP : Résultat appliqué" in response.content.decode()
    check = PayfipCheck.objects.get()
    assert (check.trigger, check.user, check.outcome) == ("staff", agent.user, "applied")
    transaction.refresh_from_db()
    assert transaction.state == "paid"
    assert (
        rows(agent.get(PAGE), "payfip-awaiting")[0].text_content().strip() == "Aucun paiement en attente de résultat."
    )


def test_the_transaction_page_shows_its_checks(agent, fake_payfip):
    transaction = WebserviceTransactionFactory()
    payfip_transaction_check(transaction_id=transaction.pk, trigger=PayfipCheck.Trigger.REDIRECT)
    response = agent.get(f"/gestion/suivi/transactions/{transaction.pk}/")
    assert transaction.idop in response.content.decode()
    assert [row.get("data-outcome") for row in rows(response, "payfip-checks")] == ["pending"]


def test_citizens_and_strangers_do_not_reach_it(client, fake_payfip):
    transaction = WebserviceTransactionFactory()
    assert client.get(PAGE).status_code == 302  # to the staff login
    client.force_login(UserFactory())
    assert client.post(f"/gestion/suivi/payfip/transactions/{transaction.pk}/verifier/").status_code in (302, 403)
    assert PayfipCheck.objects.count() == 0 and fake_payfip.asked == []
