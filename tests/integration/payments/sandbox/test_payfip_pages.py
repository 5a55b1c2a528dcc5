"""The sandbox's PayFiP payment page through HTTP: every means of payment, the ticket, the refusals,
and the notifications each result plans."""

import datetime
import html

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from payments.payfip import PayfipFault
from payments.sandbox.models import PayfipNotification, PayfipOperation, SandboxClient
from payments.sandbox.payfip_pages import TEST_IBAN
from tests.integration.payments.sandbox.payfip_helpers import create, detail, webservice_client

pytestmark = pytest.mark.django_db
PAGE = "/tpa/paiementws.web?idop="
CARD = {"numero": "1111 2222 3333 4444", "expiration": "12/30", "cryptogramme": "123"}
TASK = "payments.sandbox.tasks.payfip_notification_send_task"


@pytest.fixture
def idop(client):
    return create(client, webservice_client())


def pay(client, idop, **data):
    assert "Payer par prélèvement" in html.unescape(client.get(PAGE + idop).text)
    return client.post(PAGE + idop, data)


@pytest.mark.parametrize(
    ("data", "resultrans", "shown"),
    [
        ({**CARD, "carte": ""}, "P", "Votre paiement est accepté"),
        ({**CARD, "numero": "4970 1000 0000 0000", "carte": ""}, "R", "Votre paiement par carte est refusé"),
        ({"iban": TEST_IBAN, "prelevement": ""}, "V", "Prélèvement SEPA unique"),
        ({"iban": "FR1420041010050500013M02606", "prelevement": ""}, "Z", "Votre prélèvement est refusé"),
        ({"annuler": ""}, "A", "Vous avez annulé le paiement"),
        ({"futur": ""}, "F", "autre moyen de paiement"),
    ],
)
def test_each_means_settles_the_operation_and_the_detail_tells_it(client, idop, data, resultrans, shown):
    response = pay(client, idop, **data)
    text = html.unescape(response.text)
    assert shown in text
    assert f'href="http://portail.example/payfip/retour/?idop={idop}"' in text  # "Retour site"
    assert "Retour site" in text
    leaves = detail(client, idop)
    assert leaves["resultrans"] == resultrans
    assert ("numauto" in leaves) is (resultrans in ("P", "V"))
    assert len(leaves["dattrans"]) == 8 and len(leaves["heurtrans"]) == 4


def test_the_future_means_code_is_a_setting(client, idop, settings):
    settings.PAYFIP_SANDBOX_FUTURE_CODE = "W2"
    pay(client, idop, futur="")
    assert detail(client, idop)["resultrans"] == "W2"


def test_a_bad_expiry_shows_the_page_again(client, idop):
    response = pay(client, idop, **{**CARD, "expiration": "13/30", "carte": ""})
    assert "MM/AA" in html.unescape(response.text)
    with pytest.raises(PayfipFault, match="P5"):
        detail(client, idop)


def test_cancel_whatever_was_typed(client, idop):
    pay(client, idop, **{**CARD, "expiration": "13/30", "annuler": ""})
    assert detail(client, idop)["resultrans"] == "A"


def test_an_unknown_idop_gets_the_error_page(client):
    response = client.get(PAGE + "cc0cb210-1cd4-11ea-8cca-0213ad91a103")
    assert "Cette opération de paiement est inconnue." in html.unescape(response.text)
    assert "data-payfip-error" in response.text


def test_a_used_idop_gets_the_error_page_and_keeps_its_result(client, idop):
    pay(client, idop, **CARD, carte="")
    text = html.unescape(client.get(PAGE + idop).text)
    assert "déjà été utilisée" in text
    response = client.post(PAGE + idop, {"annuler": ""})
    assert "déjà été utilisée" in html.unescape(response.text)
    assert detail(client, idop)["resultrans"] == "P"


def test_the_page_must_be_opened_within_15_minutes(client, idop):
    PayfipOperation.objects.filter(idop=idop).update(created_at=timezone.now() - datetime.timedelta(minutes=16))
    assert "15 minutes" in html.unescape(client.get(PAGE + idop).text)
    assert PayfipOperation.objects.get(idop=idop).opened_at is None


def test_a_page_opened_in_time_can_still_be_paid_later(client, idop):
    client.get(PAGE + idop)
    PayfipOperation.objects.filter(idop=idop).update(created_at=timezone.now() - datetime.timedelta(minutes=20))
    assert "Votre paiement est accepté" in html.unescape(client.post(PAGE + idop, {**CARD, "carte": ""}).text)


def test_a_payment_posted_without_opening_the_page_is_refused(client, idop):
    response = client.post(PAGE + idop, {**CARD, "carte": ""})
    assert "inconnue" in html.unescape(response.text)
    assert PayfipOperation.objects.get(idop=idop).resultrans == ""


def test_never_opened_then_a_night_is_p1(client, idop):
    PayfipOperation.objects.filter(idop=idop).update(created_at=timezone.now() - datetime.timedelta(days=1))
    with pytest.raises(PayfipFault, match="P1"):
        detail(client, idop)
    assert "inconnue" in html.unescape(client.get(PAGE + idop).text)


def test_activation_payment_activates_the_sandbox_client(client):
    tipi_client = webservice_client(state="new")
    idop = create(client, tipi_client, saisie="X")
    pay(client, idop, **CARD, carte="")
    assert SandboxClient.objects.get(numcli=tipi_client.numcli).state == SandboxClient.State.ACTIVE


@pytest.mark.parametrize(
    ("schedule", "delays"), [("immediate", [0]), ("delayed", [300]), ("twice", [0, 300]), ("never", [])]
)
def test_notifications_follow_the_schedule(
    client, idop, settings, django_capture_on_commit_callbacks, schedule, delays
):
    settings.PAYFIP_SANDBOX_NOTIFY = schedule
    settings.PAYFIP_SANDBOX_NOTIFY_DELAY = 300
    with django_capture_on_commit_callbacks(execute=True):
        pay(client, idop, **CARD, carte="")
    settled = PayfipOperation.objects.get(idop=idop)
    planned = list(PayfipNotification.objects.filter(operation=settled))
    assert [round((n.due_at - planned[0].due_at).total_seconds()) for n in planned] == [d - delays[0] for d in delays]
    run_after = {task.args_kwargs["args"][0]: task.run_after for task in DBTaskResult.objects.filter(task_path=TASK)}
    assert sorted(run_after) == sorted(n.pk for n in planned)
    for notification, delay in zip(planned, delays):
        if delay:
            assert run_after[notification.pk] == notification.due_at
        else:
            # At once, by the next worker (django_tasks_db stores "no run_after" as the year 9999).
            assert run_after[notification.pk].year == 9999
    assert all(n.sent_at is None for n in planned)  # nothing was sent inside the request
