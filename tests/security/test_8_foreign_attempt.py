"""Issue 13, item 8: anyone could abandon someone else's attempt.

A new attempt on a debt used to mark every pending attempt of that debt "abandoned": an
anonymous visitor who typed the reference and the amount cancelled the account holder's
payment under way (its page said « remplacée par une nouvelle », the polling stopped). A new
attempt now supersedes only attempts of its own owner: the same logged-in user, or the attempts
the same browser session started. Other people's attempts stay live; both may go to TIPI, and
the first `P` settles the debt (a later `P` on the other one is applied and flagged for staff).
"""

import pytest
from django.test import Client

from debts.models import Debt, ReferenceLink
from payments.models import ReturnNotice, Transaction
from tests.conftest import retour_body
from tests.factories import DebtFactory, DebtorReferenceFactory, UserFactory

pytestmark = pytest.mark.django_db

RETURN_URL = "/tipi/retour/"
FORM = "application/x-www-form-urlencoded"


def manual_form(debt: Debt, email: str = "pirate@example.fr") -> dict[str, str]:
    parts = debt.ref_parts
    return {
        "exercice": parts["codexer"],
        "numero": parts["numtitre"].lstrip("0"),
        "ordre": parts["numordre"],
        "montant": f"{debt.amount_cents // 100},{debt.amount_cents % 100:02d}",
        "email": email,
        "email_confirm": email,
    }


def start_manual(browser: Client, debt: Debt) -> Transaction:
    response = browser.post(f"/payer/{debt.client.numcli}/", manual_form(debt))
    assert response.status_code == 302, response.content
    return Transaction.objects.get(public_id=response["Location"].split("/")[2])


def start_from_account(browser: Client, debt: Debt) -> Transaction:
    response = browser.post(f"/compte/dettes/{debt.pk}/payer/", {"email": "marie.lefevre@example.fr"})
    assert response.status_code == 302, response.content
    return Transaction.objects.get(public_id=response["Location"].split("paiement=")[1].split("#")[0])


def holder_with_debt(**user_fields) -> tuple[Client, Debt]:
    debtor = DebtorReferenceFactory()
    user = UserFactory(**user_fields)
    ReferenceLink.objects.create(user=user, debtor=debtor)
    debt = DebtFactory(client=debtor.client, debtor=debtor, debtor_ref=debtor.reference)
    browser = Client()
    browser.force_login(user)
    return browser, debt


def state_of(transaction: Transaction) -> str:
    transaction.refresh_from_db()
    return transaction.state


def test_an_anonymous_manual_attempt_leaves_the_account_holders_attempt_live():
    holder, debt = holder_with_debt(email="marie.lefevre@example.fr")
    theirs = start_from_account(holder, debt)
    start_manual(Client(), debt)
    assert state_of(theirs) == Transaction.State.PENDING
    status = holder.get(f"/paiement/{theirs.public_id}/statut/").json()
    assert status["state"] == "pending" and status["final"] is False


def test_an_attempt_from_another_session_leaves_the_first_sessions_attempt_live():
    debt = DebtFactory()
    first_browser = Client()
    first = start_manual(first_browser, debt)
    start_manual(Client(), debt)
    assert state_of(first) == Transaction.State.PENDING
    assert first_browser.get(f"/paiement/{first.public_id}/statut/").json()["state"] == "pending"


def test_a_retry_from_another_session_leaves_the_other_attempt_live():
    debt = DebtFactory()
    victim = start_manual(Client(), debt)
    attacker = Client()
    own = start_manual(attacker, debt)
    Transaction.objects.filter(pk=own.pk).update(state=Transaction.State.REFUSED, resultrans="R")
    assert attacker.post(f"/paiement/{own.public_id}/nouvel-essai/").status_code == 302
    assert state_of(victim) == Transaction.State.PENDING


def test_another_user_of_a_family_account_does_not_abandon_the_first_users_attempt():
    first_browser, debt = holder_with_debt(email="marie.lefevre@example.fr")
    first = start_from_account(first_browser, debt)
    second_user = UserFactory(email="paul.lefevre@example.fr")
    ReferenceLink.objects.create(user=second_user, debtor=debt.debtor)
    second_browser = Client()
    second_browser.force_login(second_user)
    start_from_account(second_browser, debt)
    assert state_of(first) == Transaction.State.PENDING


def test_the_owner_still_supersedes_their_own_attempts():
    holder, debt = holder_with_debt(email="marie.lefevre@example.fr")
    from_account = start_from_account(holder, debt)
    again = start_from_account(holder, debt)
    assert state_of(from_account) == Transaction.State.ABANDONED
    browser = Client()
    manual = start_manual(browser, debt)
    start_manual(browser, debt)
    assert state_of(manual) == Transaction.State.ABANDONED
    assert state_of(again) == Transaction.State.PENDING  # neither the anonymous session's


def test_two_live_attempts_are_resolved_by_the_first_paid_return():
    holder, debt = holder_with_debt(email="marie.lefevre@example.fr")
    theirs = start_from_account(holder, debt)
    stranger = Client()
    other = start_manual(stranger, debt)
    # The holder pays first: the debt is settled, the stranger's attempt is still the stranger's.
    holder.post(RETURN_URL, retour_body(theirs), content_type=FORM)
    debt.refresh_from_db()
    assert debt.state == Debt.State.IN_PROGRESS
    assert state_of(theirs) == Transaction.State.PAID
    assert theirs.flags == []  # paid while live, not "late after abandoned"
    assert state_of(other) == Transaction.State.PENDING
    # Nobody may start a third one now (R6), and a P still arriving for the other is money taken:
    # applied, and flagged for staff to refund.
    refused = Client().post(f"/payer/{debt.client.numcli}/", manual_form(debt))
    assert refused.status_code == 200 and "déjà été réglée par Internet" in refused.content.decode()
    stranger.post(RETURN_URL, retour_body(other, numauto="654321"), content_type=FORM)
    other.refresh_from_db()
    assert other.state == Transaction.State.PAID
    assert "debt_was_in_progress" in other.flags
    assert ReturnNotice.objects.get(transaction=other).outcome == ReturnNotice.Outcome.APPLIED
