"""The portal's own confirmation e-mail of a payment: queued once the result is committed, sent by
a task (never inside the return request), once per payment, with what the citizen needs."""

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from payments.models import Transaction
from payments.services.confirmations import payment_confirmation_send
from tests.conftest import retour_body
from tests.factories import TransactionFactory

pytestmark = pytest.mark.django_db
URL = "/tipi/retour/"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def post_return(client, transaction, **overrides):
    return client.post(URL, data=retour_body(transaction, **overrides), content_type=FORM)


def test_a_p_queues_the_e_mail_on_commit_and_the_request_sends_nothing(client, django_capture_on_commit_callbacks):
    transaction = TransactionFactory(amount_cents=3808)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        post_return(client, transaction)
    assert len(callbacks) == 1
    assert mail.outbox == []  # the worker sends it, not the return request
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "payments.tasks.payment_confirmation_send_task"
    assert queued.args_kwargs["args"] == [transaction.pk]


def test_the_e_mail_says_reference_amount_date_authorisation_and_treasury(
    client, immediate_tasks, django_capture_on_commit_callbacks
):
    transaction = TransactionFactory(amount_cents=123450)
    with django_capture_on_commit_callbacks(execute=True):
        post_return(client, transaction)
    (message,) = mail.outbox
    assert message.to == [transaction.email]
    assert "1\u202f234,50" in message.subject
    body = message.body
    assert f"Référence de la dette : {transaction.shown_reference} (référence TIPI {transaction.refdet})" in body
    assert transaction.shown_reference.startswith("Exercice ")
    assert "Montant : 1\u202f234,50\u00a0€" in body
    assert "Date du paiement : 22/11/2026" in body
    assert "Numéro d'autorisation : 123456" in body
    assert "à valider par la trésorerie" in body
    assert f"/paiement/{transaction.public_id}/recu/" in body
    assert transaction.params["objet"] not in body  # never the OBJET token
    transaction.refresh_from_db()
    assert transaction.confirmation_sent_at is not None


def test_one_e_mail_per_payment_whatever_repeats(client, immediate_tasks, django_capture_on_commit_callbacks):
    transaction = TransactionFactory()
    with django_capture_on_commit_callbacks(execute=True):
        post_return(client, transaction)
        post_return(client, transaction)  # TIPI repeats its return: a duplicate
    assert len(mail.outbox) == 1
    assert payment_confirmation_send(transaction_id=transaction.pk) is False  # a task run twice
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("resultrans", ["R", "A"])
def test_no_e_mail_without_payment(client, immediate_tasks, django_capture_on_commit_callbacks, resultrans):
    transaction = TransactionFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        post_return(client, transaction, resultrans=resultrans, numauto="")
    assert callbacks == [] and mail.outbox == []


def test_no_e_mail_for_an_administrators_test_payment(client, immediate_tasks, django_capture_on_commit_callbacks):
    transaction = TransactionFactory(saisie="T")
    with django_capture_on_commit_callbacks(execute=True):
        post_return(client, transaction)
    transaction.refresh_from_db()
    assert transaction.state == Transaction.State.PAID
    assert mail.outbox == []


def test_an_attempt_not_paid_is_never_confirmed(immediate_tasks):
    transaction = TransactionFactory(state=Transaction.State.PENDING)
    assert payment_confirmation_send(transaction_id=transaction.pk) is False
    assert mail.outbox == []


def test_the_e_mail_of_a_debit_says_prelevement_without_an_authorisation_number(
    client, immediate_tasks, django_capture_on_commit_callbacks
):
    transaction = TransactionFactory(amount_cents=3808)
    with django_capture_on_commit_callbacks(execute=True):
        post_return(client, transaction, resultrans="V", numauto="")
    (message,) = mail.outbox
    assert "Votre paiement par prélèvement sur le portail de paiement en ligne est enregistré." in message.body
    assert "carte" not in message.body
    assert "Numéro d'autorisation" not in message.body
