"""Fuzzing the sandbox's PayFiP service: whatever arrives, an idOp or a SOAP fault, never a crash."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from payments.payfip import (
    CREATE_PAYMENT,
    REQUEST_FIELDS,
    PayfipFault,
    PayfipUnavailable,
    read_answer,
    request_envelope,
)
from payments.sandbox.models import PayfipOperation
from tests.integration.payments.sandbox.payfip_helpers import SERVICE, create_fields, webservice_client

pytestmark = pytest.mark.django_db
values = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=40),
    st.from_regex(r"[0-9]{0,10}", fullmatch=True),
    st.sampled_from(["１０００", "0x10", "1e3", " 1000", "ABCDEFGH", "W", "T", "http://", "https://x"]),
)
no_fixture_check = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture
def tipi_client():
    return webservice_client()


@no_fixture_check
@given(overrides=st.dictionaries(st.sampled_from(REQUEST_FIELDS[CREATE_PAYMENT]), values, max_size=4))
def test_creation_answers_an_idop_or_a_functional_fault(tipi_client, overrides):
    before = PayfipOperation.objects.count()
    body = request_envelope(CREATE_PAYMENT, create_fields(tipi_client, **overrides))
    response = Client().post(SERVICE, body, content_type="text/xml; charset=utf-8")
    try:
        idop = read_answer(CREATE_PAYMENT, response.status_code, response.content)["idOp"]
    except PayfipFault:
        assert response.status_code == 500
        assert PayfipOperation.objects.count() == before
    else:
        operation = PayfipOperation.objects.get(idop=idop)
        assert int(operation.params["montant"]) >= 100


@no_fixture_check
@given(body=st.binary(max_size=400))
def test_any_body_gets_a_soap_answer(body):
    response = Client().post(SERVICE, body, content_type="text/xml; charset=utf-8")
    assert response.status_code == 500
    with pytest.raises((PayfipFault, PayfipUnavailable)):
        read_answer(CREATE_PAYMENT, response.status_code, response.content)
    assert etree.fromstring(response.content).findtext(".//faultcode") == "S:Client"
