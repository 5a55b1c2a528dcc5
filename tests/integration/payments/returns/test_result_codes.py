"""The classic return with PayFiP's codes: V paid by debit, Z debit refused, an unknown code kept
for staff and changing nothing; and the money-first rules between card and debit results."""

import pytest

from debts.models import Debt
from payments.models import ReturnNotice, TipiClient, Transaction
from tests.conftest import retour_body
from tests.factories import TipiClientFactory, TransactionFactory

pytestmark = pytest.mark.django_db
URL = "/tipi/retour/"
FORM = "application/x-www-form-urlencoded"


def post(client, transaction, **overrides):
    return client.post(URL, data=retour_body(transaction, **overrides), content_type=FORM)


def last_notice():
    return ReturnNotice.objects.order_by("pk").last()


def test_a_debit_payment_is_applied_and_the_debt_in_progress(client):
    transaction = TransactionFactory()
    post(client, transaction, resultrans="V", numauto="")
    transaction.refresh_from_db()
    assert transaction.state == Transaction.State.PAID
    assert transaction.resultrans == "V"
    assert transaction.result_label == "Payée par prélèvement"
    assert transaction.debt.state == Debt.State.IN_PROGRESS
    assert last_notice().outcome == ReturnNotice.Outcome.APPLIED


def test_a_refused_debit_leaves_the_debt_payable_and_says_debit(client):
    transaction = TransactionFactory()
    post(client, transaction, resultrans="Z", numauto="")
    transaction.refresh_from_db()
    assert transaction.state == Transaction.State.REFUSED
    assert transaction.debt.state == Debt.State.OPEN
    assert last_notice().outcome == ReturnNotice.Outcome.APPLIED


@pytest.mark.parametrize("code", ["Q", "W", "v"])
def test_an_unknown_code_is_stored_for_review_and_changes_nothing(client, code):
    transaction = TransactionFactory()
    post(client, transaction, resultrans=code, numauto="")
    transaction.refresh_from_db()
    assert transaction.state == Transaction.State.PENDING
    assert transaction.resultrans == ""
    assert transaction.settled_at is None
    assert transaction.debt.state == Debt.State.OPEN
    notice = last_notice()
    assert notice.outcome == ReturnNotice.Outcome.REVIEW
    assert notice.resultrans == code
    assert notice.transaction == transaction
    assert notice.flags == ["unknown_resultrans"]
    assert f"« {code} » inconnu" in notice.detail


def test_an_unknown_code_after_a_payment_changes_nothing_either(client):
    transaction = TransactionFactory()
    post(client, transaction, resultrans="V", numauto="")
    post(client, transaction, resultrans="Q", numauto="")
    transaction.refresh_from_db()
    assert (transaction.state, transaction.resultrans) == (Transaction.State.PAID, "V")
    assert last_notice().outcome == ReturnNotice.Outcome.REVIEW


def test_a_digit_is_no_resultrans_at_all(client):
    transaction = TransactionFactory()
    post(client, transaction, resultrans="7", numauto="")
    assert last_notice().outcome == ReturnNotice.Outcome.MALFORMED
    transaction.refresh_from_db()
    assert transaction.state == Transaction.State.PENDING


# (first, second, state after both, outcome of the second): money first, whatever the means.
SEQUENCES = [
    (("V", ""), ("V", ""), "paid", "duplicate"),
    (("V", "7654321"), ("V", "1111111"), "paid", "conflict"),  # another NUMAUTO
    (("P", "123456"), ("V", ""), "paid", "conflict"),  # one attempt, one payment: the first stays
    (("V", ""), ("P", "123456"), "paid", "conflict"),
    (("V", ""), ("Z", ""), "paid", "conflict"),  # money taken is never overturned
    (("V", ""), ("R", ""), "paid", "conflict"),
    (("V", ""), ("A", ""), "paid", "conflict"),
    (("P", "123456"), ("Z", ""), "paid", "conflict"),
    (("Z", ""), ("V", ""), "paid", "applied"),  # a late payment after a refusal: applied, flagged
    (("R", ""), ("V", ""), "paid", "applied"),
    (("A", ""), ("V", ""), "paid", "applied"),
    (("Z", ""), ("P", "123456"), "paid", "applied"),
    (("Z", ""), ("Z", ""), "refused", "duplicate"),
    (("Z", ""), ("R", ""), "refused", "conflict"),
    (("R", ""), ("Z", ""), "refused", "conflict"),
    (("Z", ""), ("A", ""), "refused", "conflict"),
]


@pytest.mark.parametrize(("first", "second", "state", "outcome"), SEQUENCES)
def test_card_and_debit_results_follow_the_money_first_rules(client, first, second, state, outcome):
    transaction = TransactionFactory()
    post(client, transaction, resultrans=first[0], numauto=first[1])
    post(client, transaction, resultrans=second[0], numauto=second[1])
    transaction.refresh_from_db()
    assert transaction.state == state
    notice = last_notice()
    assert notice.outcome == outcome
    kept = second if outcome == "applied" else first
    assert (transaction.resultrans, transaction.numauto) == kept
    paid = state == "paid"
    assert transaction.debt.state == (Debt.State.IN_PROGRESS if paid else Debt.State.OPEN)
    if outcome == "applied":
        assert notice.flags == [f"late_after_{'refused' if first[0] in 'RZ' else 'cancelled'}"]


def test_a_late_debit_after_the_attempt_was_abandoned_is_applied_and_flagged(client):
    transaction = TransactionFactory(state=Transaction.State.ABANDONED)
    post(client, transaction, resultrans="V", numauto="")
    transaction.refresh_from_db()
    assert transaction.state == Transaction.State.PAID
    assert transaction.flags == ["late_after_abandoned"]
    assert transaction.debt.state == Debt.State.IN_PROGRESS


@pytest.mark.parametrize(("code", "activated"), [("V", True), ("P", True), ("Z", False), ("Q", False)])
def test_an_activation_paid_by_debit_activates_the_client(client, code, activated):
    """Annex 11: TIPI activates on receiving a valid activation URL, the payment being fictitious;
    a fictitious debit (V) proves the same as the card's P. A refusal or an unknown code does not."""
    tipi_client = TipiClientFactory(state=TipiClient.State.NEW)
    transaction = TransactionFactory(
        debt=None, client=tipi_client, saisie="X", refdet="999900000000999999", amount_cents=111111
    )
    post(client, transaction, resultrans=code, numauto="123456" if code == "P" else "")
    tipi_client.refresh_from_db()
    assert (tipi_client.state == TipiClient.State.ACTIVE) is activated
