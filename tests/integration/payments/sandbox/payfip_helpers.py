"""Calls to the sandbox's PayFiP service through Django's test client, with PayFiP's envelopes."""

from payments.models import TipiClient
from payments.payfip import CREATE_PAYMENT, PAYMENT_DETAIL, read_answer, request_envelope
from tests.factories import RegieClientFactory

SERVICE = "/tpa/services/securite"


def webservice_client(**overrides) -> TipiClient:
    """A régie client in web-service mode: the only kind PayFiP's SOAP service takes."""
    return RegieClientFactory(mode=TipiClient.Mode.WEBSERVICE, **overrides)


def create_fields(tipi_client, **overrides) -> dict[str, str]:
    fields = {
        "exer": "2026",
        "mel": "marie.lefevre@example.org",
        "montant": "1000",
        "numcli": tipi_client.numcli,
        "objet": "Cantine janvier",
        "refdet": "ABCDEFGH",
        "saisie": "W",
        "urlnotif": "http://portail.example/payfip/notification/",
        "urlredirect": "http://portail.example/payfip/retour/",
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


def soap(client, operation: str, fields: dict[str, str]):
    return client.post(
        SERVICE, request_envelope(operation, fields), content_type="text/xml; charset=utf-8", HTTP_SOAPACTION='""'
    )


def create(client, tipi_client, **overrides) -> str:
    """A fresh idOp (the call must succeed)."""
    response = soap(client, CREATE_PAYMENT, create_fields(tipi_client, **overrides))
    assert response.status_code == 200, response.content
    return read_answer(CREATE_PAYMENT, 200, response.content)["idOp"]


def detail(client, idop: str) -> dict[str, str]:
    """The leaves of the detail (raises PayfipFault / PayfipUnavailable like the real client)."""
    response = soap(client, PAYMENT_DETAIL, {"idOp": idop})
    return read_answer(PAYMENT_DETAIL, response.status_code, response.content)
