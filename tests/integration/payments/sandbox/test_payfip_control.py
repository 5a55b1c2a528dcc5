"""The sandbox's control API for tests, and the notification it POSTs to urlnotif."""

import datetime
from urllib.parse import parse_qs

import pytest
import requests
import responses
from django.utils import timezone

from payments.payfip import PayfipFault
from payments.sandbox.models import PayfipNotification, PayfipOperation
from payments.sandbox.payfip_side import payfip_notification_send
from tests.integration.payments.sandbox.payfip_helpers import create, detail, webservice_client
from tests.integration.tipiportal.test_settings import PRODUCTION, python

pytestmark = pytest.mark.django_db
NOTIF = "http://portail.example/payfip/notification/"


@pytest.fixture
def idop(client, settings):
    settings.PORTAL_PUBLIC_URL = "http://portail.example"
    settings.PAYFIP_SANDBOX_NOTIFY = "never"
    return create(client, webservice_client())


def control(client, idop, action="", **data):
    url = f"/tpa/sandbox/operations/{idop}" + (f"/{action}" if action else "")
    return client.post(url, data) if action else client.get(url)


def test_show_follows_the_operation(client, idop):
    shown = control(client, idop).json()
    assert (shown["idop"], shown["status"], shown["resultrans"], shown["opened_at"]) == (idop, "P5", "", None)
    assert shown["params"]["refdet"] == "ABCDEFGH"
    assert control(client, "nope").status_code == 404


@pytest.mark.parametrize(
    ("data", "numauto"), [({"resultrans": "P"}, None), ({"resultrans": "V", "numauto": "A1B2"}, "A1B2")]
)
def test_result_settles_as_if_the_user_had_paid(client, idop, data, numauto):
    shown = control(client, idop, "result", **data).json()
    assert shown["status"] == data["resultrans"]
    leaves = detail(client, idop)
    assert leaves["resultrans"] == data["resultrans"]
    assert leaves["numauto"] == (numauto or shown["numauto"]) and len(leaves["numauto"]) >= 4


@pytest.mark.parametrize("resultrans", ["R", "Z", "A", "Q"])
def test_result_without_payment_has_no_numauto(client, idop, resultrans):
    control(client, idop, "result", resultrans=resultrans)
    assert "numauto" not in detail(client, idop)


def test_result_is_set_once(client, idop):
    assert control(client, idop, "result", resultrans="P").status_code == 200
    assert control(client, idop, "result", resultrans="A").status_code == 409
    assert detail(client, idop)["resultrans"] == "P"


@pytest.mark.parametrize(
    "data", [{}, {"resultrans": "p"}, {"resultrans": "PPPPP"}, {"resultrans": "P", "numauto": "12 34"}]
)
def test_result_refuses_bad_values(client, idop, data):
    assert control(client, idop, "result", **data).status_code == 400
    assert PayfipOperation.objects.get(idop=idop).resultrans == ""


def test_result_of_an_unknown_operation(client):
    assert control(client, "nope", "result", resultrans="P").status_code == 404


def test_control_calls_are_plain_posts_without_csrf(idop):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert control(strict, idop, "result", resultrans="P").status_code == 200


def test_the_night_purges_only_operations_never_opened(client, idop):
    opened = create(client, webservice_client())
    client.get(f"/tpa/paiementws.web?idop={opened}")
    assert client.post("/tpa/sandbox/night").json() == {"purged": 1}
    assert control(client, idop).json()["status"] == "P1"
    with pytest.raises(PayfipFault, match="P1"):
        detail(client, idop)
    with pytest.raises(PayfipFault, match="P5"):
        detail(client, opened)
    assert control(client, idop, "result", resultrans="P").status_code == 409


def test_a_real_midnight_purges_too(client, idop):
    PayfipOperation.objects.filter(idop=idop).update(created_at=timezone.now() - datetime.timedelta(days=1))
    assert control(client, idop).json()["status"] == "P1"


@responses.activate
def test_notify_posts_the_idop_as_a_form_to_urlnotif(client, idop):
    responses.post(NOTIF, status=200)
    assert control(client, idop, "notify").json() == {"idop": idop, "outcome": "HTTP 200"}
    (call,) = responses.calls
    assert call.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(call.request.body) == {"idop": [idop]}
    (notification,) = PayfipNotification.objects.all()
    assert notification.sent_at is not None and notification.outcome == "HTTP 200"
    assert control(client, idop).json()["notifications"][0]["outcome"] == "HTTP 200"


@responses.activate
def test_a_notification_is_sent_once(client, idop):
    responses.post(NOTIF, status=500)
    operation = PayfipOperation.objects.get(idop=idop)
    notification = PayfipNotification.objects.create(operation=operation, due_at=timezone.now())
    assert payfip_notification_send(notification_id=notification.pk) == "HTTP 500"
    assert payfip_notification_send(notification_id=notification.pk) == "HTTP 500"
    assert len(responses.calls) == 1


def test_a_notification_goes_nowhere_but_the_portal(client, settings):
    settings.PORTAL_PUBLIC_URL = "http://portail.example"
    idop = create(client, webservice_client(), urlnotif="http://169.254.169.254/latest/")
    with responses.RequestsMock() as mock:  # any request would fail the test
        outcome = control(client, idop, "notify").json()["outcome"]
        assert not mock.calls
    assert outcome.startswith("refusé")


@responses.activate
def test_an_unreachable_urlnotif_is_recorded(client, idop):
    responses.post(NOTIF, body=requests.ConnectionError("refused"))
    assert control(client, idop, "notify").json()["outcome"].startswith("échec")


def test_nothing_of_the_payfip_sandbox_is_routed_without_tipi_sandbox():
    paths = [
        "/tpa/services/securite",
        "/tpa/paiementws.web",
        "/tpa/sandbox/operations/x",
        "/tpa/sandbox/operations/x/result",
        "/tpa/sandbox/operations/x/notify",
        "/tpa/sandbox/night",
    ]
    code = (
        "import django; django.setup()\n"
        "from django.urls import resolve, Resolver404\n"
        f"for path in {paths!r}:\n"
        "    try:\n        resolve(path); print('ROUTED', path)\n"
        "    except Resolver404:\n        print('NOT ROUTED')"
    )
    result = python(code, env={**PRODUCTION, "DEBUG": "1"})
    assert result.stdout.split("\n")[:-1] == ["NOT ROUTED"] * len(paths), result.stderr
