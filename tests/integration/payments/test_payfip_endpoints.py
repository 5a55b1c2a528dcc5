"""urlnotif and urlredirect of the web-service mode: stored raw, 200 for every notification, a
check queued (at most one at a time), never a result taken from the message itself."""

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from payments.models import PayfipCheck, PayfipMessage
from payments.returns.payfip_messages import BODY_LIMIT
from payments.session import SESSION_ATTEMPTS
from payments.tasks import payfip_check_task
from tests.factories.payfip import WebserviceTransactionFactory

pytestmark = pytest.mark.django_db
NOTIFY = "/payfip/notification/"
REDIRECT = "/payfip/retour/"
FORM = "application/x-www-form-urlencoded"


def _tasks():
    return DBTaskResult.objects.filter(task_path__endswith="payfip_check_task").order_by("enqueued_at")


def queued() -> list[list]:
    return [task.args_kwargs["args"] for task in _tasks()]


def run_queued() -> list[str]:
    """What the worker does: run each queued check (and forget it)."""
    outcomes = []
    for task in _tasks():
        outcomes.append(payfip_check_task.call(*task.args_kwargs["args"]))
        task.delete()
    return outcomes


@pytest.mark.parametrize("name", ["idop", "idOp", "IDOP"])
def test_a_notification_is_stored_raw_and_queues_a_check_without_changing_anything(fake_payfip, name):
    transaction = WebserviceTransactionFactory()
    body = f"{name}={transaction.idop}&resultrans=P&numauto=999999"
    response = Client().post(NOTIFY, body, content_type=FORM)
    assert response.status_code == 200
    message = PayfipMessage.objects.get()
    assert bytes(message.body) == body.encode()
    assert (message.kind, message.outcome, message.idop, message.transaction) == (
        "notification",
        "check",
        transaction.idop,
        transaction,
    )
    transaction.refresh_from_db()
    assert transaction.state == "pending" and transaction.resultrans == ""  # the body's P is never read
    assert queued() == [[transaction.pk, "notification", message.pk]]
    assert fake_payfip.asked == []  # PayFiP is asked by the task, not in the request


def test_the_idop_may_come_in_the_query_string(fake_payfip):
    transaction = WebserviceTransactionFactory()
    Client().post(f"{NOTIFY}?IdOp={transaction.idop}", "", content_type=FORM)
    assert PayfipMessage.objects.get().transaction == transaction
    assert len(queued()) == 1


def test_a_forged_notification_changes_nothing_the_result_comes_from_payfip(fake_payfip):
    transaction = WebserviceTransactionFactory()
    Client().post(NOTIFY, f"idop={transaction.idop}&resultrans=P", content_type=FORM)
    assert run_queued() == ["pending"]  # PayFiP: P5, nothing paid
    transaction.refresh_from_db()
    assert transaction.state == "pending" and transaction.debt.state == "open"
    fake_payfip.settle(transaction, "P")  # the user pays for real: the next message's check applies it
    Client().post(NOTIFY, f"idop={transaction.idop}", content_type=FORM)
    assert run_queued() == ["applied"]
    transaction.refresh_from_db()
    assert transaction.state == "paid"
    assert list(PayfipCheck.objects.values_list("trigger", flat=True).order_by("pk")) == ["notification"] * 2


def test_an_idop_the_portal_did_not_create_is_stored_and_ignored(fake_payfip):
    WebserviceTransactionFactory()
    response = Client().post(NOTIFY, "idop=00000000-0000-0000-0000-000000000000", content_type=FORM)
    assert response.status_code == 200
    message = PayfipMessage.objects.get()
    assert (message.outcome, message.transaction) == ("unknown", None)
    assert queued() == []


@pytest.mark.parametrize("body", [b"", b"\xff\xfe\x00garbage", b"idop=", b"idop=%00%01", b"a=1&" * 500])
def test_every_notification_gets_200_and_is_kept(body):
    response = Client().post(NOTIFY, body, content_type=FORM)
    assert response.status_code == 200
    message = PayfipMessage.objects.get()
    assert bytes(message.body) == body[:BODY_LIMIT] and message.outcome == "no_idop"


def test_the_body_kept_is_bounded():
    Client().post(NOTIFY, b"x" * 100_000, content_type=FORM)
    assert len(bytes(PayfipMessage.objects.get().body)) == BODY_LIMIT


def test_strangers_junk_past_the_budget_is_only_counted(settings):
    settings.RETURNS_JUNK_BUDGET = "3/h"
    for _ in range(5):
        assert Client().post(NOTIFY, "idop=unknown-one", content_type=FORM).status_code == 200
    assert PayfipMessage.objects.count() == 3


def test_many_notifications_queue_one_check_at_a_time(fake_payfip):
    transaction = WebserviceTransactionFactory()
    for _ in range(3):
        Client().post(NOTIFY, f"idop={transaction.idop}", content_type=FORM)
    assert len(queued()) == 1
    assert PayfipMessage.objects.count() == 3
    run_queued()  # the check started: the next message queues the next one
    Client().post(NOTIFY, f"idop={transaction.idop}", content_type=FORM)
    assert len(queued()) == 1


def test_the_notification_is_a_post():
    assert Client().get(NOTIFY).status_code == 405


@pytest.mark.parametrize(
    ("saisie", "page"),
    [
        ("M", "/paiement/{public_id}/"),
        ("A", "/compte/?paiement={public_id}#paiement"),
        ("T", "/gestion/tipi/clients/{client_id}/essais/{public_id}/"),
    ],
)
def test_the_user_back_from_payfip_sees_their_payment_page(fake_payfip, saisie, page):
    transaction = WebserviceTransactionFactory(saisie=saisie)
    browser = Client()
    session = browser.session
    session[SESSION_ATTEMPTS] = [transaction.public_id]
    session.save()
    response = browser.get(REDIRECT, {"idop": transaction.idop})
    expected = page.format(public_id=transaction.public_id, client_id=transaction.client_id)
    assert response.status_code == 302 and response["Location"] == expected
    assert queued() == [[transaction.pk, "redirect", PayfipMessage.objects.get().pk]]


def test_a_redirect_from_another_browser_says_nothing_about_the_payment(fake_payfip):
    transaction = WebserviceTransactionFactory()
    response = Client().post(REDIRECT, f"IDOP={transaction.idop}", content_type=FORM)
    assert response.status_code == 200
    assert transaction.refdet not in response.content.decode()
    assert "vérifié directement auprès de la DGFiP" in response.content.decode()
    assert len(queued()) == 1  # still a reason to ask PayFiP
