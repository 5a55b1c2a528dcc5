"""PostgreSQL: a notification's check, a redirect's and the poller asking about the same idOp at
once apply its result once (each asks PayFiP outside any lock, then applies with the row locked)."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from debts.models import Debt
from payments.models import PayfipCheck, Transaction
from payments.services.payfip_checks import payfip_poll, payfip_transaction_check
from tests.factories.payfip import WebserviceTransactionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _at_once(*calls) -> None:
    barrier = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def run(call) -> None:
        try:
            barrier.wait()
            call()
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


@pytest.mark.parametrize("code", ["P", "V"])
def test_notification_redirect_and_poller_at_once_apply_the_result_once(fake_payfip, code):
    fake_payfip.delay = 0.05  # the three are all waiting on PayFiP together
    for _ in range(3):
        transaction = WebserviceTransactionFactory(payfip_next_check_at=timezone.now())
        fake_payfip.settle(transaction, code)
        _at_once(
            lambda t=transaction: payfip_transaction_check(
                transaction_id=t.pk, trigger=PayfipCheck.Trigger.NOTIFICATION
            ),
            lambda t=transaction: payfip_transaction_check(transaction_id=t.pk, trigger=PayfipCheck.Trigger.REDIRECT),
            payfip_poll,
        )
        outcomes = sorted(PayfipCheck.objects.filter(transaction=transaction).values_list("outcome", flat=True))
        assert outcomes == ["applied", "duplicate", "duplicate"]
        transaction.refresh_from_db()
        assert (transaction.state, transaction.resultrans) == (Transaction.State.PAID, code)
        assert transaction.debt.state == Debt.State.IN_PROGRESS
        assert transaction.debt.history.filter(state=Debt.State.IN_PROGRESS).count() == 1  # moved once
