"""Fuzzing the public forms, the return endpoint and PayFiP's urlnotif: no input makes a 500,
every refusal says why, no forged notification changes a payment."""

from urllib.parse import urlencode

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payments.models import PayfipMessage, ReturnNotice
from payments.tasks import payfip_check_task
from tests.factories import DebtFactory, UserFactory
from tests.factories.payfip import WebserviceTransactionFactory

pytestmark = pytest.mark.django_db
FIELDS = [
    "exercice",
    "numero",
    "ordre",
    "montant",
    "email",
    "email_confirm",
    "client",
    "reference",
    "access_code",
    "csrfmiddlewaretoken",
    "NUMCLI",
    "REFDET",
    "MONTANT",
    "MEL",
    "OBJET",
    "SAISIE",
    "RESULTRANS",
    "DATTRANS",
]
values = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30),
    st.from_regex(r"[0-9]{0,20}([,.][0-9]{0,3})?", fullmatch=True),
    st.sampled_from(["38,08", "2026", "000001", "a@b.fr", "1500,00", "0", "-1", "1e3", "\x00"]),
)
posts = st.dictionaries(st.sampled_from(FIELDS), values, max_size=8)
no_fixture_check = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture
def debt():
    return DebtFactory(amount_cents=3808)


@no_fixture_check
@given(data=posts)
def test_manual_form_never_fails(debt, data):
    response = Client().post(f"/payer/{debt.client.numcli}/", data)
    assert response.status_code in (200, 302)
    if response.status_code == 200:  # refused: the page says why
        assert 'class="error"' in response.content.decode()


@no_fixture_check
@given(data=posts)
def test_reference_linking_never_fails(debt, data):
    client = Client()
    client.force_login(UserFactory(username="fuzz", email="fuzz@example.fr"))
    response = client.post("/compte/references/", data)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert 'class="error"' in response.content.decode()


@no_fixture_check
@given(
    body=st.one_of(st.binary(max_size=300), posts.map(lambda d: "&".join(f"{k}={v}" for k, v in d.items()).encode()))
)
def test_return_endpoint_always_answers_200_and_stores(body, settings):
    # Every example posts from the same address: storing each one is within a budget (the
    # long profile posts 10,000); past the budget is tests/security/test_4_return_flood.py.
    settings.RETURNS_JUNK_BUDGET = "1000000/h"
    before = ReturnNotice.objects.count()
    response = Client().post("/tipi/retour/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert ReturnNotice.objects.count() == before + 1
    notice = ReturnNotice.objects.order_by("-pk").first()
    assert bytes(notice.body) == body
    assert notice.outcome != "received" and (notice.outcome in ("applied", "duplicate") or notice.detail)


PAYFIP_FIELDS = ["idop", "idOp", "IDOP", "resultrans", "numauto", "montant", "refdet", "saisie", "mel", "dattrans"]


@no_fixture_check
@given(
    fields=st.dictionaries(st.sampled_from(PAYFIP_FIELDS), values, max_size=6),
    with_idop=st.booleans(),
    raw=st.binary(max_size=200),
)
def test_forged_payfip_notifications_change_nothing(fake_payfip, settings, fields, with_idop, raw):
    # A notification says nothing by itself: whatever it carries, a known idOp only queues a
    # check, and the check applies only PayFiP's answer (here: P5, the user has not paid).
    settings.RETURNS_JUNK_BUDGET = "1000000/h"
    transaction = WebserviceTransactionFactory()
    if with_idop:
        fields = {**fields, "idop": transaction.idop}
    body = urlencode(fields).encode() if fields else raw
    before = PayfipMessage.objects.count()
    response = Client().post("/payfip/notification/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert PayfipMessage.objects.count() == before + 1
    for task in DBTaskResult.objects.all():
        payfip_check_task.call(*task.args_kwargs["args"])
        task.delete()
    transaction.refresh_from_db()
    assert (transaction.state, transaction.resultrans, transaction.numauto) == ("pending", "", "")
    assert transaction.debt.state == "open"
