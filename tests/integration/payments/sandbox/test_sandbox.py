"""The sandbox plays TIPI: annex 10's controls with the right message, the card page, the POST back."""

import datetime
import html
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from payments.sandbox.models import SandboxClient, SandboxOperation
from payments.sandbox.tipi_side import card_result, retour_fields
from tests.factories import DebtFactory, TipiClientFactory

pytestmark = pytest.mark.django_db


def aller(client, **params):
    return client.get("/tpa/paiement.web?" + urlencode(params))


def base_params(debt, **overrides):
    params = {
        "numcli": debt.client.numcli,
        "refdet": debt.refdet,
        "objet": "Jeton123",
        "montant": str(debt.amount_cents),
        "mel": "a.b@example.fr",
        "saisie": "M",
    }
    params.update(overrides)
    return params


def anomaly_code(response) -> str | None:
    text = response.content.decode()
    marker = 'data-anomaly="'
    return text.split(marker)[1].split('"')[0] if marker in text else None


def test_valid_url_shows_the_card_page(client):
    debt = DebtFactory()
    response = aller(client, **base_params(debt))
    assert "Numéro de carte" in html.unescape(response.text)
    assert SandboxOperation.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"saisie": "Z"}, "S1"),
        ({"numcli": "12345"}, "T1"),
        ({"numcli": "999998"}, "T2"),
        ({"refdet": "12345"}, "R1"),
        ({"refdet": "202699999999000001"}, "R4"),
        ({"objet": "Cantine é"}, "O1"),
        ({"montant": "38,08"}, "M1"),
        ({"montant": "150000"}, "M2"),
        ({"montant": "99"}, "M3"),
        ({"montant": "101"}, "M4"),
        ({"mel": ""}, "A1"),
        ({"mel": "ab"}, "A2"),
        ({"urlcl": "ftp://x"}, "U2"),
    ],
)
def test_controls_show_the_first_anomaly(client, overrides, code):
    debt = DebtFactory(amount_cents=100)
    params = {k: v for k, v in base_params(debt, **overrides).items() if v != ""}
    response = aller(client, **params)
    assert anomaly_code(response) == code
    assert "Fermer la fenêtre" in html.unescape(response.text)


def test_expired_debt_r7_with_manual_text(client):
    today = timezone.localdate()
    debt = DebtFactory(online_from=today - datetime.timedelta(days=90), online_until=today - datetime.timedelta(days=1))
    response = aller(client, **base_params(debt))
    assert anomaly_code(response) == "R7"
    assert "Le délai pour payer cette dette sur Internet est expiré" in html.unescape(response.text)


def test_debt_already_paid_in_tipi_r6(client):
    debt = DebtFactory()
    SandboxOperation.objects.create(params=base_params(debt), resultrans="P", dattrans="20112026")
    response = aller(client, **base_params(debt))
    assert anomaly_code(response) == "R6"
    assert "20/11/2026" in html.unescape(response.text)


def test_client_mirrors_portal_state_and_t5_for_new_client(client):
    debt = DebtFactory(client=TipiClientFactory(state="new"))
    response = aller(client, **base_params(debt))
    assert anomaly_code(response) == "T5"
    assert SandboxClient.objects.get().state == "N"


@pytest.mark.parametrize(("state", "code"), [("A", "T4"), ("I", "T3")])
def test_activation_refused_for_active_or_inactive_client(client, state, code):
    tipi_client = TipiClientFactory()
    SandboxClient.objects.create(numcli=tipi_client.numcli, state=state, protocol=1)
    response = aller(
        client,
        numcli=tipi_client.numcli,
        exer="9999",
        refdet="999900000000999999",
        montant="111111",
        mel="a.b@example.fr",
        saisie="X",
    )
    assert anomaly_code(response) == code


def test_test_url_must_carry_the_imposed_values(client):
    tipi_client = TipiClientFactory()
    common = {"numcli": tipi_client.numcli, "mel": "a.b@example.fr", "saisie": "T"}
    assert anomaly_code(aller(client, refdet="999900000000999999", montant="111111", **common)) is None
    assert anomaly_code(aller(client, refdet="999900000000999998", montant="111111", **common)) == "R4"
    response = aller(client, refdet="999900000000999999", montant="100", **common)
    assert anomaly_code(response) == "M4"
    assert "111111" in html.unescape(response.text)


def test_no_contract_r8_for_tests(client):
    tipi_client = TipiClientFactory()
    SandboxClient.objects.create(numcli=tipi_client.numcli, state="N", protocol=1, contract="")
    response = aller(
        client,
        numcli=tipi_client.numcli,
        refdet="999900000000999999",
        montant="111111",
        mel="a.b@example.fr",
        saisie="T",
    )
    assert anomaly_code(response) == "R8"
    assert "tests impossibles" in html.unescape(response.text)


@pytest.mark.parametrize(
    ("number", "cvv", "expiry", "cancelled", "result"),
    [
        ("1111222233334444", "123", datetime.date(2039, 12, 31), False, "P"),
        ("1111 2222 3333 4444", "123", datetime.date(2039, 12, 31), False, "P"),
        ("4970100000000000", "123", datetime.date(2039, 12, 31), False, "R"),
        ("1111222233334444", "999", datetime.date(2039, 12, 31), False, "R"),
        ("1111222233334444", "123", datetime.date(2020, 1, 31), False, "R"),
        ("1111222233334444", "123", datetime.date(2039, 12, 31), True, "A"),
    ],
)
def test_card_result(number, cvv, expiry, cancelled, result):
    assert card_result(number, cvv, expiry, cancelled) == result


def test_retour_echoes_the_given_parameters_only_in_lower_case_and_annex_6_order():
    operation = SandboxOperation(
        params={
            "saisie": "M",
            "mel": "a@b.fr",
            "numcli": "123456",
            "refdet": "X" * 18,
            "montant": "100",
            "urlcl": "http://x",
        },
        resultrans="P",
        numauto="1234567",
        dattrans="22112026",
    )
    fields = retour_fields(operation)
    # Annex 6: <urlcl>?numcli=&exer=&refdet=&objet=&montant=&mel=&saisie=&resultrans=&numauto=&dattrans=,
    # EXER and OBJET absent when not served in the URL aller; URLCL is not echoed.
    assert list(fields.items()) == [
        ("numcli", "123456"),
        ("refdet", "X" * 18),
        ("montant", "100"),
        ("mel", "a@b.fr"),
        ("saisie", "M"),
        ("resultrans", "P"),
        ("numauto", "1234567"),
        ("dattrans", "22112026"),
    ]


def test_card_page_posts_back_to_urlcl(client, monkeypatch, settings):
    settings.PORTAL_PUBLIC_URL = "http://portail.example"  # the sandbox posts back to the portal only
    debt = DebtFactory()
    posted = {}

    class Answer:
        status_code = 200

    def fake_post(url, data, timeout, allow_redirects):
        posted.update(url=url, data=data)
        return Answer()

    monkeypatch.setattr("payments.sandbox.tipi_side.requests.post", fake_post)
    aller(client, **base_params(debt, urlcl="http://portail.example/tipi/retour/"))
    operation = SandboxOperation.objects.get()
    response = client.post(
        "/tpa/paiement.web",
        {
            "operation": operation.pk,
            "numero": "1111222233334444",
            "expiration": "12/39",
            "cryptogramme": "123",
            "valider": "",
        },
    )
    assert "Votre paiement est accepté" in html.unescape(response.text)
    assert posted["url"] == "http://portail.example/tipi/retour/"
    assert posted["data"]["resultrans"] == "P" and posted["data"]["objet"] == "Jeton123"
    operation.refresh_from_db()
    assert operation.callback_status == "HTTP 200"


def test_bad_operation_id_is_404_not_500(client):
    response = client.post("/tpa/paiement.web", {"operation": "not-a-uuid", "numero": "1"})
    assert response.status_code == 404
