"""The check of a web-service transaction: PayFiP's answer is the only source of its result,
compared with what was sent, applied once; P5, P1, PayFiP away; the poller and its schedule."""

import datetime

import pytest
from django.utils import timezone

from payments.models import PayfipCheck, Transaction
from payments.payfip import PayfipFault, PayfipUnavailable
from payments.services.payfip_checks import payfip_poll, payfip_transaction_check
from tests.factories.payfip import IDOP_UNKNOWN, WebserviceTransactionFactory

pytestmark = pytest.mark.django_db
Outcome = PayfipCheck.Outcome


def check(transaction, trigger=PayfipCheck.Trigger.NOTIFICATION, **kwargs) -> PayfipCheck:
    return payfip_transaction_check(transaction_id=transaction.pk, trigger=trigger, **kwargs)


@pytest.mark.parametrize(
    ("code", "state"), [("P", "paid"), ("V", "paid"), ("R", "refused"), ("Z", "refused"), ("A", "cancelled")]
)
def test_the_answer_of_payfip_is_applied_once_and_recorded(fake_payfip, code, state):
    transaction = WebserviceTransactionFactory()
    fake_payfip.settle(transaction, code)
    first = check(transaction)
    again = check(transaction, PayfipCheck.Trigger.POLLER)
    transaction.refresh_from_db()
    assert (first.outcome, again.outcome) == (Outcome.APPLIED, Outcome.DUPLICATE)
    assert (transaction.state, transaction.resultrans) == (state, code)
    assert transaction.payfip_next_check_at is None  # a known result: nothing more to ask
    assert first.answer["resultrans"] == code and first.answer["refdet"] == transaction.refdet
    assert fake_payfip.asked == [transaction.idop, transaction.idop]


def test_the_paid_date_is_the_day_in_paris(fake_payfip):
    transaction = WebserviceTransactionFactory()
    # 23:30 in Paris on 7 December is 22:30 UTC: still the 7th.
    fake_payfip.settle(transaction, "P", paid_at=datetime.datetime(2026, 12, 7, 22, 30, tzinfo=datetime.UTC))
    check(transaction)
    transaction.refresh_from_db()
    assert transaction.dattrans == datetime.date(2026, 12, 7)


@pytest.mark.parametrize(
    "echo",
    [{"montant": 1}, {"refdet": "AUTREREF01"}, {"numcli": "999999"}, {"mel": "autre@example.fr"}, {"saisie": "T"}],
)
def test_an_answer_that_does_not_echo_what_was_sent_is_stored_flagged_not_applied(fake_payfip, echo):
    transaction = WebserviceTransactionFactory()
    fake_payfip.settle(transaction, "P", **echo)
    result = check(transaction)
    transaction.refresh_from_db()
    assert result.outcome == Outcome.MISMATCH and result.detail
    assert transaction.state == "pending" and transaction.resultrans == ""
    assert "payfip_mismatch" in transaction.flags
    assert transaction.payfip_next_check_at is None  # left to staff


def test_the_mel_is_compared_whatever_its_case(fake_payfip):
    transaction = WebserviceTransactionFactory()
    fake_payfip.settle(transaction, "P", mel=transaction.email.upper())
    assert check(transaction).outcome == Outcome.APPLIED


def test_p5_means_ask_again_on_the_schedule(fake_payfip):
    transaction = WebserviceTransactionFactory()
    result = check(transaction)
    transaction.refresh_from_db()
    assert result.outcome == Outcome.PENDING and result.fault_code == "P5"
    assert transaction.state == "pending"
    wait = transaction.payfip_next_check_at - timezone.now()
    assert datetime.timedelta(minutes=4) < wait <= datetime.timedelta(minutes=5)


def test_p1_once_the_page_can_no_longer_be_opened_closes_the_attempt_and_a_late_p_is_still_applied(fake_payfip):
    transaction = WebserviceTransactionFactory()
    Transaction.objects.filter(pk=transaction.pk).update(created_at=timezone.now() - datetime.timedelta(hours=13))
    fake_payfip.results[transaction.idop] = IDOP_UNKNOWN
    assert check(transaction, PayfipCheck.Trigger.POLLER).outcome == Outcome.EXPIRED
    transaction.refresh_from_db()
    assert transaction.state == "expired" and transaction.debt.state == "open"
    assert transaction.payfip_next_check_at is not None  # [U] P1 is believed, yet still asked about
    fake_payfip.settle(transaction, "P")
    assert check(transaction, PayfipCheck.Trigger.POLLER).outcome == Outcome.APPLIED
    transaction.refresh_from_db()
    assert transaction.state == "paid" and "late_after_expired" in transaction.flags


def test_p1_while_the_page_may_still_be_opened_is_only_a_fault(fake_payfip):
    transaction = WebserviceTransactionFactory()
    fake_payfip.results[transaction.idop] = IDOP_UNKNOWN
    result = check(transaction)
    transaction.refresh_from_db()
    assert result.outcome == Outcome.FAULT and transaction.state == "pending"


def test_payfip_out_of_reach_is_retried_30_minutes_later(fake_payfip):
    transaction = WebserviceTransactionFactory()
    fake_payfip.results[transaction.idop] = PayfipUnavailable("timed out")
    result = check(transaction)
    transaction.refresh_from_db()
    assert result.outcome == Outcome.UNAVAILABLE and "timed out" in result.detail
    assert transaction.payfip_next_check_at - timezone.now() > datetime.timedelta(minutes=29)


def test_an_unknown_result_code_changes_nothing_and_is_asked_again(fake_payfip):
    transaction = WebserviceTransactionFactory()
    fake_payfip.settle(transaction, "W")  # a means of payment PayFiP has not announced yet
    result = check(transaction)
    transaction.refresh_from_db()
    assert result.outcome == Outcome.REVIEW
    assert transaction.state == "pending"
    assert transaction.payfip_next_check_at is not None


def test_the_poller_checks_only_what_is_due(fake_payfip):
    due = WebserviceTransactionFactory()
    later = WebserviceTransactionFactory()
    classic = WebserviceTransactionFactory(idop=None)
    now = timezone.now()
    Transaction.objects.filter(pk__in=[due.pk, classic.pk]).update(
        payfip_next_check_at=now - datetime.timedelta(seconds=1)
    )
    Transaction.objects.filter(pk=later.pk).update(payfip_next_check_at=now + datetime.timedelta(minutes=3))
    fake_payfip.settle(due, "V")
    assert payfip_poll(now=now) == {"applied": 1}
    assert fake_payfip.asked == [due.idop]
    assert list(PayfipCheck.objects.values_list("trigger", flat=True)) == ["poller"]


def test_a_notification_that_never_comes_is_made_up_by_the_poller(fake_payfip):
    transaction = WebserviceTransactionFactory(payfip_next_check_at=timezone.now() + datetime.timedelta(minutes=5))
    fake_payfip.settle(transaction, "P")
    assert payfip_poll() == {}  # not due yet
    assert payfip_poll(now=timezone.now() + datetime.timedelta(minutes=6)) == {"applied": 1}
    transaction.refresh_from_db()
    assert transaction.state == "paid"


def test_other_faults_are_recorded_with_their_code(fake_payfip):
    transaction = WebserviceTransactionFactory()
    fake_payfip.results[transaction.idop] = PayfipFault("R3", "Le format du paramètre REFDET n'est pas conforme")
    result = check(transaction)
    assert (result.outcome, result.fault_code) == (Outcome.FAULT, "R3")
    assert result.answer == {"code": "R3", "message": "Le format du paramètre REFDET n'est pas conforme"}
