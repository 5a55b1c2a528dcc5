"""The sandbox's PayFiP SOAP service through HTTP: the three operations, their faults, ?wsdl."""

import pytest
from lxml import etree

from payments.payfip import (
    CLIENT_DETAIL,
    CREATE_PAYMENT,
    PAYMENT_DETAIL,
    SERVICE_NS,
    PayfipFault,
    read_answer,
)
from payments.sandbox.models import PayfipOperation, SandboxClient
from tests.factories import RegieClientFactory, TipiClientFactory
from tests.integration.payments.sandbox.payfip_helpers import (
    SERVICE,
    create,
    create_fields,
    detail,
    soap,
    webservice_client,
)

pytestmark = pytest.mark.django_db


def fault_of(response) -> tuple[str, str]:
    assert response.status_code == 500
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    with pytest.raises(PayfipFault) as raised:
        read_answer(CREATE_PAYMENT, response.status_code, response.content)
    return raised.value.code, raised.value.message


def test_creation_answers_an_idop_and_keeps_what_was_sent(client):
    tipi_client = webservice_client()
    response = soap(client, CREATE_PAYMENT, create_fields(tipi_client))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = etree.fromstring(response.content)
    (answer,) = root[0]
    assert answer.tag == f"{{{SERVICE_NS}}}creerPaiementSecuriseResponse"
    assert [child.tag for child in answer] == ["return"]
    idop = answer[0].findtext("idOp")
    assert len(idop) == 36
    operation = PayfipOperation.objects.get(idop=idop)
    assert operation.params == {**create_fields(tipi_client)}


def test_a_zeep_shaped_request_is_understood(client):
    """The envelope a WSDL-driven client writes (other prefixes, pretty-printed)."""
    tipi_client = webservice_client()
    body = f"""<?xml version='1.0' encoding='utf-8'?>
<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/">
  <soap-env:Body>
    <ns0:creerPaiementSecurise xmlns:ns0="{SERVICE_NS}">
      <arg0>
        <exer>2026</exer><mel>a.b@example.fr</mel><montant>1000</montant><numcli>{tipi_client.numcli}</numcli>
        <refdet>ABCDEF</refdet><saisie>T</saisie><urlnotif>https://p.example/n</urlnotif>
        <urlredirect>https://p.example/r</urlredirect>
      </arg0>
    </ns0:creerPaiementSecurise>
  </soap-env:Body>
</soap-env:Envelope>"""
    response = client.post(SERVICE, body.encode(), content_type="text/xml; charset=utf-8")
    assert response.status_code == 200
    assert PayfipOperation.objects.get().params["refdet"] == "ABCDEF"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"exer": "26"}, "S1"),
        ({"mel": None}, "A1"),
        ({"mel": "a@b"}, "A2"),
        ({"mel": "a@b", "montant": "10,00"}, "A2"),  # recorded: one anomaly, the MEL's
        ({"montant": "10,00"}, "M1"),
        ({"montant": "99"}, "M3"),
        ({"montant": "150000"}, "M2"),
        ({"montant": "99", "refdet": "ABCD"}, "M3"),
        ({"numcli": "12345"}, "T1"),
        ({"objet": "Cantine é"}, "O1"),
        ({"refdet": "ABCD"}, "R3"),  # recorded
        ({"refdet": "ABCDEF-1"}, "R3"),
        ({"refdet": "A" * 31}, "R3"),
        ({"saisie": "M"}, "S1"),
        ({"urlnotif": "ftp://x"}, "U1"),
        ({"urlredirect": None}, "U1"),
        ({"numcli": "999998"}, "T2"),
    ],
)
def test_creation_faults_one_anomaly_per_call(client, overrides, code):
    tipi_client = webservice_client()
    found, _ = fault_of(soap(client, CREATE_PAYMENT, create_fields(tipi_client, **overrides)))
    assert found == code
    assert not PayfipOperation.objects.exists()


def test_recorded_texts_of_a2_and_r3(client):
    tipi_client = webservice_client()
    assert fault_of(soap(client, CREATE_PAYMENT, create_fields(tipi_client, mel="x"))) == (
        "A2",
        "Adresse mél incorrecte. ",
    )
    assert fault_of(soap(client, CREATE_PAYMENT, create_fields(tipi_client, refdet="ABCD"))) == (
        "R3",
        "Le format du paramètre REFDET n'est pas conforme",
    )


@pytest.mark.parametrize(
    ("state", "saisie", "code"),
    [("new", "W", "T5"), ("inactive", "W", "T5"), ("active", "X", "T4"), ("inactive", "X", "T3")],
)
def test_client_state_controls(client, state, saisie, code):
    tipi_client = webservice_client(state=state)
    assert fault_of(soap(client, CREATE_PAYMENT, create_fields(tipi_client, saisie=saisie)))[0] == code


@pytest.mark.parametrize("saisie", ["W", "T"])
@pytest.mark.parametrize("factory", [TipiClientFactory, RegieClientFactory], ids=["titres", "regie-classic"])
def test_only_a_regie_in_webservice_mode_has_the_web_service(client, factory, saisie):
    tipi_client = factory()
    assert fault_of(soap(client, CREATE_PAYMENT, create_fields(tipi_client, saisie=saisie)))[0] == "R8"


def test_contract_controls(client):
    tipi_client = webservice_client()
    SandboxClient.objects.create(numcli=tipi_client.numcli, state="A", contract="S")
    assert fault_of(soap(client, CREATE_PAYMENT, create_fields(tipi_client)))[0] == "R9"
    SandboxClient.objects.filter(numcli=tipi_client.numcli).update(contract="")
    assert fault_of(soap(client, CREATE_PAYMENT, create_fields(tipi_client, saisie="T")))[0] == "R8"


@pytest.mark.parametrize(("refdet", "montant"), [("ABCDEFGH", "1000"), ("Z9Y8X7W6V5", "4321"), ("A" * 30, "100")])
def test_saisie_t_takes_any_well_formed_refdet_and_amount(client, refdet, montant):
    tipi_client = webservice_client(state="new")
    assert create(client, tipi_client, saisie="T", refdet=refdet, montant=montant)


def test_saisie_x_for_a_new_client(client):
    assert create(client, webservice_client(state="new"), saisie="X")


def test_detail_is_p5_until_a_result_then_the_result(client):
    tipi_client = webservice_client()
    idop = create(client, tipi_client)
    with pytest.raises(PayfipFault) as raised:
        detail(client, idop)
    assert (raised.value.code, raised.value.message) == ("P5", "Résultat de la transaction non connu.")
    PayfipOperation.objects.filter(idop=idop).update(resultrans="R", dattrans="08122026", heurtrans="0215")
    leaves = detail(client, idop)
    assert leaves["resultrans"] == "R"
    assert "numauto" not in leaves
    assert (leaves["montant"], leaves["refdet"], leaves["numcli"]) == ("1000", "ABCDEFGH", tipi_client.numcli)


def test_detail_leaves_in_schema_order_and_objet_absent_when_none_was_sent(client):
    idop = create(client, webservice_client(), objet=None)
    PayfipOperation.objects.filter(idop=idop).update(
        resultrans="P", numauto="123456", dattrans="08122026", heurtrans="0215"
    )
    response = soap(client, PAYMENT_DETAIL, {"idOp": idop})
    (returned,) = etree.fromstring(response.content)[0][0]
    assert [leaf.tag for leaf in returned] == [
        "dattrans", "exer", "heurtrans", "idOp", "mel", "montant", "numauto", "numcli", "refdet", "resultrans", "saisie"
    ]  # fmt: skip


def test_detail_names_are_case_sensitive_and_unknown_is_p1(client):
    idop = create(client, webservice_client())
    for fields in ({"idop": idop}, {"idOp": idop.upper()}, {"idOp": "cc0cb210-1cd4-11ea-8cca-0213ad91a103"}):
        response = soap(client, PAYMENT_DETAIL, fields)
        with pytest.raises(PayfipFault) as raised:
            read_answer(PAYMENT_DETAIL, response.status_code, response.content)
        assert (raised.value.code, raised.value.message) == ("P1", "IdOp incorrect.")


def test_client_detail(client):
    tipi_client = webservice_client(label="Régie cantine de Test")
    response = soap(client, CLIENT_DETAIL, {"numCli": tipi_client.numcli})
    leaves = read_answer(CLIENT_DETAIL, response.status_code, response.content)
    assert leaves == {
        "libelleN1": "Régie cantine de Test",
        "libelleN2": "",
        "libelleN3": "",
        "numcli": tipi_client.numcli,
    }
    response = soap(client, CLIENT_DETAIL, {"numcli": tipi_client.numcli})  # numCli has a capital C
    with pytest.raises(PayfipFault):
        read_answer(CLIENT_DETAIL, response.status_code, response.content)


@pytest.mark.parametrize(
    "body",
    [b"", b"<html/>", b"not xml", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', b"<a>" * 10],
)
def test_unreadable_requests_get_a_client_fault(client, body):
    response = client.post(SERVICE, body, content_type="text/xml; charset=utf-8")
    assert response.status_code == 500
    root = etree.fromstring(response.content)
    assert root.findtext(".//faultcode") == "S:Client"


def test_an_unknown_operation_gets_a_client_fault(client):
    response = soap(client, "supprimerPaiement", {"idOp": "x"})
    assert response.status_code == 500
    assert etree.fromstring(response.content).findtext(".//faultcode") == "S:Client"


def test_wsdl_is_served_with_this_address(client):
    response = client.get(SERVICE + "?wsdl")
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    (address,) = root.iter("{http://schemas.xmlsoap.org/wsdl/soap/}address")
    assert address.get("location") == "http://testserver/tpa/services/securite"
    assert client.get(SERVICE).status_code == 405
