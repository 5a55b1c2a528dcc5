"""The sandbox against the spec, rule by rule (§4.3, annexes 4, 6, 10, 11; issue 12 for V/Z), through HTTP."""

import datetime
import html
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from payments.models import ReturnNotice, Transaction
from payments.sandbox.models import SandboxClient, SandboxOperation
from payments.sandbox.tipi_side import TEST_IBAN
from payments.tipi import parse_url_retour
from tests.factories import DebtFactory, TipiClientFactory

pytestmark = pytest.mark.django_db

PORTAL = "http://portail.example"
TEST_PARAMS = {"exer": "9999", "refdet": "999900000000999999", "montant": "111111", "mel": "testeur@ville.fr"}


def aller(client, **params):
    return client.get("/tpa/paiement.web?" + urlencode(params))


def text(response) -> str:
    return html.unescape(response.content.decode())


def anomaly_code(response) -> str | None:
    found = re.search(r'data-anomaly="([A-Z0-9]+)"', response.content.decode())
    return found.group(1) if found else None


def manual(debt, **overrides):
    params = {
        "numcli": debt.client.numcli,
        "refdet": debt.refdet,
        "objet": "Jeton123",
        "montant": str(debt.amount_cents),
        "mel": "payeur@example.fr",
        "saisie": "M",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


@pytest.fixture
def posted(monkeypatch, settings):
    """What the sandbox POSTs to URLCL (the portal's address: it posts nowhere else)."""
    settings.PORTAL_PUBLIC_URL = PORTAL
    calls = []

    class Answer:
        status_code = 200

    def fake_post(url, data, timeout, allow_redirects):
        calls.append({"url": url, "data": data})
        return Answer()

    monkeypatch.setattr("payments.sandbox.tipi_side.requests.post", fake_post)
    return calls


def pay(client, button="valider", **fields):
    """Press one of the payment page's buttons for the operation just opened."""
    operation = SandboxOperation.objects.latest("created_at")
    if button == "valider":
        fields = {"numero": "1111222233334444", "expiration": "12/39", "cryptogramme": "123", **fields}
    return client.post("/tpa/paiement.web", {"operation": operation.pk, button: "", **fields})


# --- Annex 6: the URL retour ---------------------------------------------------------------


def test_retour_names_are_lower_case_in_annex_6_order_and_parse(client, posted):
    debt = DebtFactory()
    aller(client, **manual(debt, exer="2026", urlcl=f"{PORTAL}/tipi/retour/"))
    pay(client)
    data = posted[0]["data"]
    assert list(data) == [
        "numcli",
        "exer",
        "refdet",
        "objet",
        "montant",
        "mel",
        "saisie",
        "resultrans",
        "numauto",
        "dattrans",
    ]
    retour = parse_url_retour(urlencode(data))
    assert (retour.refdet, retour.montant, retour.resultrans) == (debt.refdet, debt.amount_cents, "P")


def test_retour_leaves_out_exer_and_objet_not_served(client, posted):
    debt = DebtFactory()
    aller(client, **manual(debt, objet=None, urlcl=f"{PORTAL}/tipi/retour/"))
    pay(client)
    assert "exer" not in posted[0]["data"] and "objet" not in posted[0]["data"]


def test_no_urlcl_no_retour(client, posted):
    debt = DebtFactory()
    aller(client, **manual(debt))
    pay(client)
    assert posted == []


def test_numauto_is_seven_digits_when_paid_and_empty_when_refused(client, posted):
    debt = DebtFactory()
    aller(client, **manual(debt, urlcl=f"{PORTAL}/tipi/retour/"))
    pay(client)
    assert re.fullmatch(r"[0-9]{7}", posted[0]["data"]["numauto"])  # annex 4: "Numérique 7"
    aller(client, **manual(DebtFactory(), urlcl=f"{PORTAL}/tipi/retour/"))
    pay(client, numero="4970100000000000")
    assert posted[1]["data"]["resultrans"] == "R" and posted[1]["data"]["numauto"] == ""


def test_dattrans_is_today_in_paris(client, posted):
    debt = DebtFactory()
    aller(client, **manual(debt, urlcl=f"{PORTAL}/tipi/retour/"))
    pay(client)
    assert posted[0]["data"]["dattrans"] == timezone.localdate().strftime("%d%m%Y")


def test_urlcl_on_a_private_address_or_port_is_flagged_on_the_ticket(client, posted, settings):
    debt = DebtFactory()
    settings.PORTAL_PUBLIC_URL = "http://127.0.0.1:8000"
    aller(client, **manual(debt, urlcl="http://127.0.0.1:8000/tipi/retour/"))
    page = text(pay(client))
    assert "En production, TIPI ne transmettrait pas ce retour" in page and "port 8000" in page
    settings.PORTAL_PUBLIC_URL = PORTAL
    aller(client, **manual(DebtFactory(), urlcl=f"{PORTAL}/tipi/retour/"))
    assert "data-urlcl-warning" not in pay(client).content.decode()


# --- Issue 12: card, single SEPA debit, cancel, unknown future means -----------------------------


@pytest.mark.parametrize(
    ("button", "fields", "result"),
    [
        ("valider", {}, "P"),
        ("valider", {"numero": "4970100000000000"}, "R"),
        ("prelever", {"iban": TEST_IBAN[:4] + " " + TEST_IBAN[4:]}, "V"),
        ("prelever", {"iban": "FR7610107001011234567890129"}, "Z"),
        ("annuler", {}, "A"),
    ],
)
def test_each_means_posts_its_result(client, posted, button, fields, result):
    debt = DebtFactory()
    aller(client, **manual(debt, urlcl=f"{PORTAL}/tipi/retour/"))
    response = pay(client, button, **fields)
    assert f'data-result="{result}"' in response.content.decode()
    assert posted[0]["data"]["resultrans"] == result
    assert bool(posted[0]["data"]["numauto"]) is (result in ("P", "V"))


def test_unknown_future_means_emits_the_configured_code(client, posted, settings):
    settings.TIPI_SANDBOX_UNKNOWN_RESULTRANS = "Y"
    debt = DebtFactory()
    aller(client, **manual(debt, urlcl=f"{PORTAL}/tipi/retour/"))
    response = pay(client, "autre_moyen")
    assert posted[0]["data"]["resultrans"] == "Y"
    assert "code Y" in text(response)


def test_debit_without_iban_says_so(client, posted):
    aller(client, **manual(DebtFactory(), urlcl=f"{PORTAL}/tipi/retour/"))
    response = pay(client, "prelever", iban="")
    assert "Saisissez l'IBAN du compte à débiter." in text(response)
    assert posted == [] and SandboxOperation.objects.get().resultrans == ""


def test_a_settled_operation_cannot_be_paid_again(client, posted):
    aller(client, **manual(DebtFactory()))
    pay(client)
    assert pay(client).status_code == 404


# --- §4.3.1: the payment ticket e-mailed to MEL ------------------------------------------------


@pytest.mark.parametrize(("button", "fields"), [("valider", {}), ("prelever", {"iban": TEST_IBAN})])
def test_payment_ticket_is_mailed_to_mel(client, posted, button, fields):
    debt = DebtFactory(amount_cents=3808)
    aller(client, **manual(debt))
    pay(client, button, **fields)
    (message,) = mail.outbox
    assert message.to == ["payeur@example.fr"]
    assert debt.refdet in message.body and "38,08" in message.body
    assert SandboxOperation.objects.get().numauto in message.body


@pytest.mark.parametrize(("button", "fields"), [("valider", {"numero": "1"}), ("annuler", {})])
def test_no_ticket_when_nothing_was_paid(client, posted, button, fields):
    aller(client, **manual(DebtFactory()))
    pay(client, button, **fields)
    assert mail.outbox == []


# --- §4.3.2 and annex 11: test and activation ------------------------------------------------


def test_activation_shows_its_message_activates_and_refuses_a_second_one(client, posted):
    tipi_client = TipiClientFactory(state="new")
    params = {"numcli": tipi_client.numcli, **TEST_PARAMS, "urlcl": f"{PORTAL}/tipi/retour/"}
    aller(client, **params, saisie="X")
    page = text(pay(client))
    assert f"L'activation du client TIPI n° {tipi_client.numcli} est prise en compte." in page
    assert posted[0]["data"]["saisie"] == "X" and posted[0]["data"]["resultrans"] == "P"
    assert SandboxClient.objects.get(numcli=tipi_client.numcli).state == "A"
    assert anomaly_code(aller(client, **params, saisie="X")) == "T4"
    # Annex 11: tests "peuvent être effectués à tout moment, même après activation".
    assert anomaly_code(aller(client, **params, saisie="T")) is None


def test_activation_refused_by_the_card_does_not_activate(client, posted):
    tipi_client = TipiClientFactory(state="new")
    aller(client, numcli=tipi_client.numcli, **TEST_PARAMS, saisie="X")
    page = text(pay(client, numero="4970100000000000"))
    assert "activation" not in page
    assert SandboxClient.objects.get(numcli=tipi_client.numcli).state == "N"


def test_test_payment_says_it_took_nothing(client, posted):
    tipi_client = TipiClientFactory()
    aller(client, numcli=tipi_client.numcli, **TEST_PARAMS, saisie="T")
    assert "Paiement de test pris en compte" in text(pay(client))


# --- Annex 10: the codes the spec defines ------------------------------------------------------


def test_r5_for_a_reference_of_another_client(client):
    other_debt = DebtFactory()
    mine = TipiClientFactory()
    response = aller(client, **manual(other_debt, numcli=mine.numcli))
    assert anomaly_code(response) == "R5"


def test_r4_for_a_reference_no_client_has(client):
    debt = DebtFactory()
    response = aller(client, **manual(debt, refdet="202699999999000001"))
    assert anomaly_code(response) == "R4"
    assert "Fermer la fenêtre" in text(response)


@pytest.mark.parametrize(("saisie", "wording"), [("T", "titre de test"), ("X", "titre d'activation")])
def test_r4_in_test_and_activation_has_its_text_and_an_ok_button(client, saisie, wording):
    tipi_client = TipiClientFactory(state="new")
    params = {"numcli": tipi_client.numcli, **TEST_PARAMS, "refdet": "999900000000999998", "saisie": saisie}
    response = aller(client, **params)
    assert anomaly_code(response) == "R4"
    assert f"la référence du {wording} n'est pas conforme" in text(response)
    assert ">OK</button>" in response.content.decode()


def test_u2_only_when_urlcl_is_served(client):
    debt = DebtFactory()
    # SAISIE=A without URLCL: the portal never sends it (annex 4), but TIPI's U2 is "si servi".
    assert anomaly_code(aller(client, **manual(debt, saisie="A"))) is None
    assert anomaly_code(aller(client, **manual(debt, saisie="A", urlcl="ftp://x"))) == "U2"


def test_u1_for_a_regie_without_urlcl(client):
    SandboxClient.objects.create(numcli="090909", protocol=0, state="A")
    params = {"numcli": "090909", "refdet": "FACTURE2026", "montant": "1000", "mel": "a.b@example.fr"}
    assert anomaly_code(aller(client, **params, saisie="M")) == "U1"
    # No R4 for a régie (R4-R11 and M4 are controls of protocols 1-2-3): its invoice is not in TIPI.
    assert anomaly_code(aller(client, **params, saisie="M", urlcl=f"{PORTAL}/regie/retour")) is None


@pytest.mark.parametrize(("saisie", "wording"), [("M", "Cette dette ne peut actuellement pas être payée par Internet")])
def test_r8_without_contract_in_manual_mode(client, saisie, wording):
    debt = DebtFactory()
    SandboxClient.objects.create(numcli=debt.client.numcli, protocol=1, state="A", contract="")
    response = aller(client, **manual(debt, saisie=saisie))
    assert anomaly_code(response) == "R8"
    assert wording in text(response)


def test_r8_without_contract_for_activation(client):
    tipi_client = TipiClientFactory(state="new")
    SandboxClient.objects.create(numcli=tipi_client.numcli, protocol=1, state="N", contract="")
    response = aller(client, numcli=tipi_client.numcli, **TEST_PARAMS, saisie="X")
    assert anomaly_code(response) == "R8"
    assert "impossibilité d'activer le client" in text(response)


def test_r9_suspended_contract_for_a_payment_r10_for_activation(client):
    debt = DebtFactory()
    SandboxClient.objects.create(numcli=debt.client.numcli, protocol=1, state="A", contract="S")
    assert anomaly_code(aller(client, **manual(debt))) == "R9"
    new = TipiClientFactory(state="new")
    SandboxClient.objects.create(numcli=new.numcli, protocol=1, state="N", contract="S")
    assert anomaly_code(aller(client, numcli=new.numcli, **TEST_PARAMS, saisie="X")) == "R10"


def test_r11_before_the_debt_is_online(client):
    debt = DebtFactory(online_from=timezone.localdate() + datetime.timedelta(days=2))
    response = aller(client, **manual(debt))
    assert anomaly_code(response) == "R11"
    assert (timezone.localdate() + datetime.timedelta(days=2)).strftime("%d/%m/%Y") in text(response)


def test_m2_is_not_raised_in_test_mode_m4_comes_first(client):
    tipi_client = TipiClientFactory()
    response = aller(client, numcli=tipi_client.numcli, **{**TEST_PARAMS, "montant": "150000"}, saisie="T")
    assert anomaly_code(response) == "M4"
    assert "111111" in text(response)


def test_t5_for_a_payment_to_a_client_not_active(client):
    debt = DebtFactory(client=TipiClientFactory(state="inactive"))
    assert anomaly_code(aller(client, **manual(debt))) == "T5"


# --- The round trip: what the sandbox posts, the portal's return endpoint applies --------------------


@pytest.fixture
def portal_receives(monkeypatch, settings):
    """The sandbox's POST back reaches this portal's /tipi/retour/ through Django's test client."""
    settings.PORTAL_PUBLIC_URL = settings.TIPI_BASE_URL = PORTAL
    tipi = Client(REMOTE_ADDR="203.0.113.5")

    class Answer:
        def __init__(self, status_code):
            self.status_code = status_code

    def post(url, data, timeout, allow_redirects):
        body = urlencode(data)
        return Answer(tipi.post("/tipi/retour/", body, content_type="application/x-www-form-urlencoded").status_code)

    monkeypatch.setattr("payments.sandbox.tipi_side.requests.post", post)


@pytest.mark.parametrize(
    ("button", "fields", "state", "debt_state"),
    [
        ("valider", {}, "paid", "in_progress"),
        ("prelever", {"iban": TEST_IBAN}, "paid", "in_progress"),
        ("prelever", {"iban": "FR7610107001011234567890129"}, "refused", "open"),
        ("annuler", {}, "cancelled", "open"),
        ("autre_moyen", {}, "pending", "open"),  # an unknown code changes nothing: kept for staff
    ],
)
def test_the_portal_applies_what_the_sandbox_posts(client, portal_receives, button, fields, state, debt_state):
    debt = DebtFactory(amount_cents=3808)
    amount = {"montant": "38,08", "email": "payeur@example.fr", "email_confirm": "payeur@example.fr"}
    parts = debt.ref_parts
    form = {"exercice": parts["codexer"], "numero": parts["numtitre"], "ordre": parts["numordre"], **amount}
    assert client.post(f"/payer/{debt.client.numcli}/", form).status_code == 302
    url = Transaction.objects.get().url
    aller(client, **dict(parse_qsl(urlsplit(url).query)))
    pay(client, button, **fields)
    transaction = Transaction.objects.get()
    debt.refresh_from_db()
    assert (transaction.state, debt.state) == (state, debt_state)
    notice = ReturnNotice.objects.get()
    assert notice.outcome == ("review" if button == "autre_moyen" else "applied")
