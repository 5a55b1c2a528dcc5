"""Real concurrency on PostgreSQL: threads with their own connections, rows locked."""

import threading

import pytest
from django.db import connection
from django.test import Client

from debts.models import Debt
from payments.models import ReturnNotice, Transaction
from tests.conftest import retour_body
from tests.factories import TransactionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _post_in_threads(bodies: list[str]) -> list[int]:
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = []

    def worker(body: str) -> None:
        try:
            barrier.wait()
            response = Client().post("/tipi/retour/", data=body, content_type="application/x-www-form-urlencoded")
            statuses.append(response.status_code)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=worker, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_twenty_identical_paid_notices_apply_once():
    transaction = TransactionFactory()
    statuses = _post_in_threads([retour_body(transaction)] * 20)
    assert statuses == [200] * 20
    outcomes = list(ReturnNotice.objects.values_list("outcome", flat=True))
    assert len(outcomes) == 20
    assert outcomes.count("applied") == 1
    assert outcomes.count("duplicate") == 19
    transaction.refresh_from_db()
    assert transaction.state == Transaction.State.PAID
    assert transaction.debt.state == Debt.State.IN_PROGRESS


def test_paid_and_refused_racing_leave_a_consistent_state():
    for _ in range(5):
        transaction = TransactionFactory()
        _post_in_threads([retour_body(transaction), retour_body(transaction, resultrans="R", numauto="")])
        transaction.refresh_from_db()
        notices = {n.resultrans: n.outcome for n in ReturnNotice.objects.filter(transaction=transaction)}
        # Whatever the order, P wins (money was taken) and exactly the P notice is applied.
        assert transaction.state == Transaction.State.PAID
        assert transaction.debt.state == Debt.State.IN_PROGRESS
        assert notices["P"] == "applied"
        assert notices["R"] in ("conflict", "applied")
        if notices["R"] == "applied":
            assert "late_after_refused" in transaction.flags


def test_a_new_attempt_and_a_paid_notice_on_the_same_debt_never_deadlock():
    """transaction_start and the return path lock transactions, then the debt: no lock cycle."""
    from payments.models import Transaction as TransactionModel
    from payments.services.transactions import PaymentRefused, transaction_start

    errors: list[BaseException] = []
    for _ in range(8):
        transaction = TransactionFactory()
        barrier = threading.Barrier(2)

        def pay(transaction=transaction, barrier=barrier):
            try:
                barrier.wait()
                Client().post(
                    "/tipi/retour/", data=retour_body(transaction), content_type="application/x-www-form-urlencoded"
                )
            finally:
                connection.close()

        def retry(transaction=transaction, barrier=barrier):
            try:
                barrier.wait()
                transaction_start(
                    client=transaction.client,
                    refdet=transaction.refdet,
                    amount_cents=transaction.amount_cents,
                    email=transaction.email,
                    saisie="M",
                    debt=transaction.debt,
                    session_public_ids=[transaction.public_id],  # its own session: it locks the attempt it supersedes
                )
            except PaymentRefused:
                pass  # the P won: the debt is already in progress (R6), as it should be
            except BaseException as exc:  # noqa: BLE001 - a deadlock would land here
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=pay), threading.Thread(target=retry)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        transaction.refresh_from_db()
        assert transaction.state == TransactionModel.State.PAID
        assert ReturnNotice.objects.filter(transaction=transaction).get().outcome == "applied"
    assert errors == []
