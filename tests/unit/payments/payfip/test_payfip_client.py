"""PayfipClient against recorded-shape answers over a faked transport (responses): no network."""

from __future__ import annotations

import datetime

import pytest
import requests
import responses
from lxml import etree

from payments.payfip import PARIS, PayfipClient, PayfipFault, PayfipUnavailable, PaymentDetail
from tests.unit.payments.payfip import payfip_samples as samples

URL = "https://www.payfip.gouv.fr/tpa/services/securite"
CREATE = {
    "numcli": "090909",
    "exer": "2026",
    "refdet": "ABCDEFGH",
    "montant": 1000,
    "mel": "a@b.fr",
    "objet": "Cantine",
    "saisie": "W",
    "urlnotif": "https://portail.example.fr/payfip/notification/",
    "urlredirect": "https://portail.example.fr/payfip/retour/",
}


@pytest.fixture
def payfip():
    with responses.RequestsMock() as mock:
        yield mock


def client() -> PayfipClient:
    return PayfipClient(service_url=URL, timeout=15)


def sent(payfip) -> etree._Element:
    return etree.fromstring(payfip.calls[-1].request.body)


def test_create_payment_sends_payfips_envelope_and_returns_the_idop(payfip):
    payfip.post(URL, body=samples.created(), content_type="text/xml;charset=utf-8")
    assert client().create_payment(**CREATE) == samples.IDOP
    request = payfip.calls[0].request
    assert request.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert request.headers["SOAPAction"] == '""'
    root = sent(payfip)
    assert root.tag == "{http://schemas.xmlsoap.org/soap/envelope/}Envelope"
    (wrapper,) = root[0]
    assert wrapper.tag == f"{{{samples.SVC}}}creerPaiementSecurise"
    (arg0,) = wrapper
    assert arg0.tag == "arg0"  # unqualified
    assert [(leaf.tag, leaf.text) for leaf in arg0] == [
        ("exer", "2026"),
        ("mel", "a@b.fr"),
        ("montant", "1000"),
        ("numcli", "090909"),
        ("objet", "Cantine"),
        ("refdet", "ABCDEFGH"),
        ("saisie", "W"),
        ("urlnotif", CREATE["urlnotif"]),
        ("urlredirect", CREATE["urlredirect"]),
    ]


def test_an_empty_objet_is_left_out(payfip):
    payfip.post(URL, body=samples.created())
    client().create_payment(**{**CREATE, "objet": ""})
    assert "objet" not in [leaf.tag for leaf in sent(payfip)[0][0][0]]


def test_montant_must_be_integer_cents():
    with pytest.raises(TypeError):
        client().create_payment(**{**CREATE, "montant": 10.0})


@pytest.mark.parametrize(
    ("answer", "code", "message"),
    [
        (samples.A2, "A2", "Adresse mél incorrecte. "),
        (samples.R3, "R3", "Le format du paramètre REFDET n'est pas conforme"),
    ],
)
def test_functional_faults_of_creation_carry_payfips_code_and_text(payfip, answer, code, message):
    payfip.post(URL, body=answer, status=500, content_type="text/xml;charset=utf-8")
    with pytest.raises(PayfipFault) as raised:
        client().create_payment(**CREATE)
    assert (raised.value.code, raised.value.message) == (code, message)


@pytest.mark.parametrize(("resultrans", "numauto"), [("P", "112233"), ("V", "445566")])
def test_detail_of_a_paid_operation(payfip, resultrans, numauto):
    payfip.post(URL, body=samples.detail(resultrans, numauto))
    detail = client().payment_detail(samples.IDOP)
    assert detail == PaymentDetail(
        idop=samples.IDOP,
        resultrans=resultrans,
        numauto=numauto,
        montant=1000,
        refdet="ABCDEFGH",
        numcli="090909",
        mel="a@b.fr",
        saisie="T",
        objet="Cantine",
        exer="20",
        dattrans="12122019",
        heurtrans="1652",
        paid_at=datetime.datetime(2019, 12, 12, 16, 52, tzinfo=PARIS),
    )
    assert detail.is_paid
    assert detail.paid_at.utcoffset() == datetime.timedelta(hours=1)
    (leaf,) = sent(payfip)[0][0][0]
    assert (leaf.tag, leaf.text) == ("idOp", samples.IDOP)  # case-sensitive name


@pytest.mark.parametrize("resultrans", ["R", "Z", "A"])
def test_detail_without_numauto_nor_objet(payfip, resultrans):
    payfip.post(URL, body=samples.detail(resultrans, numauto=None, objet=None))
    detail = client().payment_detail(samples.IDOP)
    assert (detail.resultrans, detail.numauto, detail.objet, detail.is_paid) == (resultrans, "", "", False)


def test_an_unknown_result_code_is_kept_as_sent(payfip):
    payfip.post(URL, body=samples.detail("W", numauto=None))
    detail = client().payment_detail(samples.IDOP)
    assert (detail.resultrans, detail.is_known_result, detail.is_paid) == ("W", False, False)


@pytest.mark.parametrize(
    ("answer", "code", "message"),
    [
        (samples.P1, "P1", "IdOp incorrect."),
        (samples.P5, "P5", "Résultat de la transaction non connu."),
    ],
)
def test_detail_faults(payfip, answer, code, message):
    payfip.post(URL, body=answer, status=500)
    with pytest.raises(PayfipFault) as raised:
        client().payment_detail(samples.IDOP)
    assert (raised.value.code, raised.value.message) == (code, message)


def test_a_functional_fault_is_read_whatever_the_status(payfip):
    payfip.post(URL, body=samples.P5, status=200)
    with pytest.raises(PayfipFault, match="P5"):
        client().payment_detail(samples.IDOP)


def test_client_detail(payfip):
    payfip.post(URL, body=samples.client_detail())
    info = client().client_detail("090909")
    assert (info.numcli, info.labels) == ("090909", ("MAIRIE DE TEST", "REGIE CANTINE"))
    (leaf,) = sent(payfip)[0][0][0]
    assert (leaf.tag, leaf.text) == ("numCli", "090909")


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, samples.TECH),  # a technical fault
        (200, b""),
        (200, b"<html><body>Maintenance</body></html>"),
        (502, b"<html><head><title>502 Bad Gateway</title></head></html>"),
        (500, samples.envelope("<S:Fault><faultcode>S:Server</faultcode><faultstring>NPE</faultstring></S:Fault>")),
        (200, samples.created()),  # the answer of another operation
        (200, samples.detail()[:-40]),  # truncated
        (200, samples.detail(montant="10,00")),
        (200, samples.detail(montant="")),
        (200, samples.detail(resultrans="")),
        (200, samples.detail(dattrans="32122019")),
        (200, samples.detail(heurtrans="2460")),
        (200, samples.detail(dattrans="01010001", heurtrans="0000")),  # OverflowError before
        (200, samples.detail(idOp="00000000-0000-0000-0000-000000000000")),  # about another operation
        (200, samples.detail(refdet="<x>A</x>")),
        (200, b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>' + samples.detail()[21:]),
        (302, b""),
    ],
)
def test_anything_but_an_answer_is_unavailable(payfip, status, body):
    payfip.post(URL, body=body, status=status)
    with pytest.raises(PayfipUnavailable):
        client().payment_detail(samples.IDOP)


@pytest.mark.parametrize("error", [requests.ConnectTimeout(), requests.ReadTimeout(), requests.ConnectionError()])
def test_network_errors_and_timeouts_are_unavailable(payfip, error):
    payfip.post(URL, body=error)
    with pytest.raises(PayfipUnavailable):
        client().create_payment(**CREATE)


def test_an_oversized_answer_is_unavailable(payfip):
    payfip.post(URL, body=samples.detail(objet="A" * 300_000))
    with pytest.raises(PayfipUnavailable, match="octets"):
        client().payment_detail(samples.IDOP)


def test_the_timeout_is_given_to_the_transport(payfip):
    payfip.post(URL, body=samples.created())
    PayfipClient(service_url=URL, timeout=7).create_payment(**CREATE)
    assert payfip.calls[0].request.req_kwargs["timeout"] == 7
