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
