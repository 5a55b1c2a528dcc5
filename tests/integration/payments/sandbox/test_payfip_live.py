"""The sandbox's PayFiP service over real HTTP (live server): zeep driven by our ?wsdl, unchanged,
as a WSDL-driven client like eopayment's would be, and payments.payfip's own client."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import zeep
from zeep.exceptions import Fault

from payments.payfip import PARIS, PayfipClient, PayfipFault
from payments.sandbox.models import PayfipNotification
from tests.integration.payments.sandbox.payfip_helpers import webservice_client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def service(live_server, settings):
    settings.PORTAL_PUBLIC_URL = live_server.url
    settings.PAYFIP_SANDBOX_NOTIFY = "never"
    return f"{live_server.url}/tpa/services/securite"


@pytest.fixture
def client(service):
    # Closed at the end: a kept-alive connection holds the server thread, and its database session.
    with PayfipClient(service_url=service, timeout=10) as client:
        yield client


@pytest.fixture
def soap(service):
    """zeep driven by the sandbox's WSDL, unchanged."""
    with zeep.Client(service + "?wsdl") as soap:
        yield soap


def arguments(numcli: str, **overrides) -> dict[str, str]:
    return {
        "exer": "2026",
        "mel": "a.b@example.fr",
        "montant": "1000",
        "numcli": numcli,
        "objet": "Cantine",
        "refdet": "ABCDEFGH",
        "saisie": "T",
        "urlnotif": "https://portail.example/payfip/notification/",
        "urlredirect": "https://portail.example/payfip/retour/",
        **overrides,
    }


def settle(live_server, idop: str, resultrans: str) -> None:
    response = requests.post(
        f"{live_server.url}/tpa/sandbox/operations/{idop}/result", {"resultrans": resultrans}, timeout=10
    )
    assert response.status_code == 200, response.text


def test_zeep_uses_the_sandbox_through_its_wsdl(live_server, soap):
    tipi_client = webservice_client(label="Régie de test")
    # zeep unwraps <return> and its one leaf: the answer is the idOp itself.
    idop = soap.service.creerPaiementSecurise(arg0=arguments(tipi_client.numcli))
    assert isinstance(idop, str) and len(idop) == 36
    with pytest.raises(Fault) as raised:
        soap.service.recupererDetailPaiementSecurise(arg0={"idOp": idop})
    assert raised.value.detail[0].findtext("code") == "P5"
    settle(live_server, idop, "V")
    detail = soap.service.recupererDetailPaiementSecurise(arg0={"idOp": idop})
    assert (detail.resultrans, detail.montant, detail.refdet, detail.numcli) == (
        "V",
        "1000",
        "ABCDEFGH",
        tipi_client.numcli,
    )
    assert detail.numauto
    labels = soap.service.recupererDetailClient(arg0={"numCli": tipi_client.numcli})
    assert (labels.libelleN1, labels.numcli) == ("Régie de test", tipi_client.numcli)


def test_zeep_reads_a_functional_fault(soap):
    tipi_client = webservice_client()
    with pytest.raises(Fault) as raised:
        soap.service.creerPaiementSecurise(arg0=arguments(tipi_client.numcli, refdet="ABCD"))
    (error,) = raised.value.detail
    assert error.tag.endswith("}FonctionnelleErreur")
    assert (error.findtext("code"), error.findtext("libelle")) == (
        "R3",
        "Le format du paramètre REFDET n'est pas conforme",
    )
    assert raised.value.message == "fr.gouv.finances.cp.tpa.webservice.exceptions.FonctionnelleErreur"


def test_our_client_against_the_sandbox(live_server, client):
    tipi_client = webservice_client(label="Régie de test")
    fields = arguments(tipi_client.numcli, saisie="W", objet="")
    idop = client.create_payment(**{**fields, "montant": 1000})
    with pytest.raises(PayfipFault) as raised:
        client.payment_detail(idop)
    assert raised.value.code == "P5"
    settle(live_server, idop, "P")
    detail = client.payment_detail(idop)
    assert (detail.resultrans, detail.montant, detail.saisie, detail.objet, detail.mel) == (
        "P",
        1000,
        "W",
        "",
        "a.b@example.fr",
    )
    assert detail.paid_at.tzinfo is PARIS and len(detail.numauto) == 6
    with pytest.raises(PayfipFault) as raised:
        client.create_payment(**{**fields, "montant": 1000, "mel": "a@b"})
    assert (raised.value.code, raised.value.message) == ("A2", "Adresse mél incorrecte. ")
    with pytest.raises(PayfipFault) as raised:
        client.payment_detail("00000000-0000-0000-0000-000000000000")
    assert raised.value.code == "P1"
    assert client.client_detail(tipi_client.numcli).labels == ("Régie de test",)


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self):  # http.server's name
        self.server.received.append(
            (self.path, self.headers["Content-Type"], self.rfile.read(int(self.headers["Content-Length"])))
        )
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    """Stands in for the portal's notification endpoint: records what the sandbox POSTs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def drain_tasks() -> None:
    """What `manage.py db_worker` does, once: every task due now."""
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="payfip-test",
        excluded_queue_names=[],
    ).run()


def test_the_worker_notifies_twice_on_schedule(live_server, client, settings, receiver):
    portal = f"http://127.0.0.1:{receiver.server_address[1]}"
    settings.PORTAL_PUBLIC_URL = portal  # the sandbox posts to the portal's address only
    settings.PAYFIP_SANDBOX_NOTIFY = "twice"
    settings.PAYFIP_SANDBOX_NOTIFY_DELAY = 1
    fields = arguments(webservice_client().numcli, saisie="W", urlnotif=f"{portal}/payfip/notification/")
    idop = client.create_payment(**{**fields, "montant": 1000})
    settle(live_server, idop, "P")
    assert receiver.received == []  # not sent inside the request that settled it
    drain_tasks()
    assert receiver.received == [
        ("/payfip/notification/", "application/x-www-form-urlencoded", f"idop={idop}".encode())
    ]
    time.sleep(1.2)
    drain_tasks()
    assert len(receiver.received) == 2 and receiver.received[1] == receiver.received[0]
    assert [n.outcome for n in PayfipNotification.objects.filter(operation__idop=idop)] == ["HTTP 200", "HTTP 200"]
