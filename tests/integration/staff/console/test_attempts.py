"""TIPI console: test (SAISIE=T) and activation (SAISIE=X) URLs, their returns, and the sandbox
playing TIPI's side of them (annexes 6, 10 and 11)."""

import html
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.test import Client

from payments.models import ReturnNotice, TipiClient, Transaction
from payments.sandbox.models import SandboxClient, SandboxOperation
from payments.services.tipi_clients import tipi_client_attempt_start
from payments.tipi import Anomaly, Protocol
from tests.factories import (
    RegieClientFactory,
    RolmreClientFactory,
    TipiClientFactory,
    TransactionFactory,
    staff_member,
)

pytestmark = pytest.mark.django_db

T4_GUIDANCE = (
    "Le client TIPI est déjà activé. Pour effectuer un test, valoriser le champ SAISIE à \"T\" dans l'URL d'appel"
)
TEST_EMAIL = "testeur@mairie.example"


@pytest.fixture
def administrator():
    return staff_member("admin", "mot-de-passe-admin", role="Administrateurs", email="admin@mairie.example")


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


@pytest.fixture(autouse=True)
def portal_address(settings):
    settings.PORTAL_PUBLIC_URL = "http://portail.example"
    settings.TIPI_BASE_URL = "http://portail.example"


def start(admin_client, tipi_client, saisie="T", email=TEST_EMAIL, with_return_url=True):
    data = {"saisie": saisie, "email": email}
    if with_return_url:
        data["with_return_url"] = "on"
    return admin_client.post(f"/gestion/tipi/clients/{tipi_client.pk}/", data)


def url_params(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def retour(transaction, resultrans="P", numauto="123456", dattrans="22112026") -> str:
    """What TIPI POSTs back for a test or activation URL: the aller's parameters echoed, then the result."""
    names = ["numcli", "exer", "refdet", "objet", "montant", "mel", "saisie"]
    fields = {name.upper(): transaction.params[name] for name in names if transaction.params.get(name)}
    fields.update(RESULTRANS=resultrans, NUMAUTO=numauto, DATTRANS=dattrans)
    return urlencode(fields)


def post_retour(client, transaction, **kwargs):
    body = retour(transaction, **kwargs)
    return client.post("/tipi/retour/", body, content_type="application/x-www-form-urlencoded")


# --- The URL built -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("factory", "protocol", "refdet"),
    [
        (lambda: TipiClientFactory(protocol="indigo", state="new"), Protocol.INDIGO, "999900000000999999"),
        (lambda: TipiClientFactory(protocol="pesv2", state="new"), Protocol.PESV2, "999900000000999999"),
        (lambda: RolmreClientFactory(state="new"), Protocol.ROLMRE, "999999990000000000000"),
        (lambda: RegieClientFactory(state="new"), Protocol.REGIE, "999900000000999999"),
    ],
)
def test_test_url_carries_the_imposed_values_of_each_protocol(admin_client, administrator, factory, protocol, refdet):
    tipi_client = factory()
    response = start(admin_client, tipi_client)
    transaction = Transaction.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/gestion/tipi/clients/{tipi_client.pk}/essais/{transaction.public_id}/"
    params = url_params(transaction.url)
    assert params == {
        "numcli": tipi_client.numcli,
        "exer": "9999",
        "refdet": refdet,
        "objet": transaction.token,
        "montant": "111111",
        "urlcl": "http://portail.example/tipi/retour/",
        "mel": TEST_EMAIL,
        "saisie": "T",
    }
    assert len(params["refdet"]) == (21 if protocol is Protocol.ROLMRE else 18)
    assert transaction.url.startswith("http://portail.example/tpa/paiement.web?numcli=")
    assert list(params) == ["numcli", "exer", "refdet", "objet", "montant", "urlcl", "mel", "saisie"]
    assert (transaction.saisie, transaction.refdet, transaction.amount_cents) == ("T", refdet, 111111)
    assert transaction.debt is None and transaction.user == administrator and transaction.state == "pending"
    # The attempt page shows the URL in full, and the pop-up link opens exactly that URL.
    page = admin_client.get(response["Location"])
    text = html.unescape(page.text)
    assert f'<code id="attempt-url">{transaction.url}</code>' in text
    assert f'href="{transaction.url}"' in text and "data-tipi-url" in text
    assert "js/payment.js" in text


def test_test_url_without_urlcl(admin_client):
    tipi_client = TipiClientFactory(state="active")
    start(admin_client, tipi_client, with_return_url=False)
    params = url_params(Transaction.objects.get().url)
    assert "urlcl" not in params and params["saisie"] == "T"
    page = html.unescape(admin_client.get(f"/gestion/tipi/clients/{tipi_client.pk}/").text)
    assert "Aucun retour (URL sans URLCL)" in page


@pytest.mark.parametrize("state", ["new", "active", "inactive"])
def test_tests_are_allowed_in_every_state(admin_client, state):
    tipi_client = TipiClientFactory(state=state)
    assert start(admin_client, tipi_client, saisie="T").status_code == 302
    assert Transaction.objects.get().saisie == "T"


def test_activation_url_while_the_client_is_new(admin_client):
    tipi_client = TipiClientFactory(state="new")
    response = start(admin_client, tipi_client, saisie="X")
    assert response.status_code == 302
    transaction = Transaction.objects.get()
    assert transaction.saisie == "X"
    params = url_params(transaction.url)
    assert (params["saisie"], params["refdet"], params["montant"]) == ("X", "999900000000999999", "111111")


def test_activation_refused_with_t4_guidance_when_the_client_is_active(admin_client):
    tipi_client = TipiClientFactory(state="active")
    response = start(admin_client, tipi_client, saisie="X")
    assert response.status_code == 400
    assert Anomaly("T4", "saisie", Protocol.INDIGO).message("X") == T4_GUIDANCE
    assert T4_GUIDANCE in html.unescape(response.text)
    assert T4_GUIDANCE in response.context["form"].errors["saisie"]
    assert not Transaction.objects.exists()


def test_activation_refused_when_the_client_is_inactive(admin_client):
    tipi_client = TipiClientFactory(state="inactive")
    response = start(admin_client, tipi_client, saisie="X")
    assert response.status_code == 400
    assert "repassez-le à « Nouveau »" in html.unescape(response.text)
    assert not Transaction.objects.exists()


def test_service_refuses_x_for_an_active_client_read_before_it_was_activated(administrator):
    """The check runs on the locked row, not on the instance the page read."""
    tipi_client = TipiClientFactory(state="new")
    stale = TipiClient.objects.get(pk=tipi_client.pk)
    TipiClient.objects.filter(pk=tipi_client.pk).update(state="active")
    from payments.services.tipi_clients import ClientAttemptRefused

    with pytest.raises(ClientAttemptRefused) as refused:
        tipi_client_attempt_start(client=stale, saisie="X", email=TEST_EMAIL, with_return_url=True, user=administrator)
    assert refused.value.message == T4_GUIDANCE and refused.value.code == "T4"


def test_an_email_tipi_would_refuse_is_refused_before_building(admin_client):
    tipi_client = TipiClientFactory(state="new")
    response = start(admin_client, tipi_client, email="a@localhost")  # valid for Django, not for TIPI (A2)
    assert response.status_code == 400
    assert response.context["form"].errors["email"]
    assert response.context["form"].errors["email"][0].endswith("(code A2)")  # the code beside its text
    assert not Transaction.objects.exists()


def test_the_attempt_page_lists_only_test_and_activation_attempts(admin_client):
    payment = TransactionFactory(saisie="M")
    response = admin_client.get(f"/gestion/tipi/clients/{payment.client.pk}/essais/{payment.public_id}/")
    assert response.status_code == 404


# --- The pop-up's live status, for the administrator ---------------------------------------------


def test_status_endpoint_answers_the_administrator_who_started_the_attempt(admin_client):
    tipi_client = TipiClientFactory(state="new")
    start(admin_client, tipi_client)
    transaction = Transaction.objects.get()
    status = admin_client.get(f"/paiement/{transaction.public_id}/statut/")
    assert status.status_code == 200 and status.json()["state"] == "pending"
    post_retour(Client(), transaction)
    assert admin_client.get(f"/paiement/{transaction.public_id}/statut/").json()["state"] == "paid"


def test_status_endpoint_answers_an_administrator_opening_an_attempt_from_the_list(administrator):
    transaction = TransactionFactory(
        debt=None, client=TipiClientFactory(state="new"), saisie="T", refdet="999900000000999999", amount_cents=111111
    )
    browser = Client()
    browser.force_login(administrator)
    assert browser.get(f"/paiement/{transaction.public_id}/statut/").status_code == 404
    assert (
        browser.get(f"/gestion/tipi/clients/{transaction.client.pk}/essais/{transaction.public_id}/").status_code == 200
    )
    assert browser.get(f"/paiement/{transaction.public_id}/statut/").status_code == 200


# --- Returns recorded and shown --------------------------------------------------------------------


def test_test_return_is_recorded_and_shown_beside_the_attempt(admin_client):
    tipi_client = TipiClientFactory(state="active")
    start(admin_client, tipi_client)
    transaction = Transaction.objects.get()
    assert post_retour(Client(), transaction, numauto="654321", dattrans="21112026").status_code == 200
    transaction.refresh_from_db()
    assert (transaction.state, transaction.resultrans, transaction.numauto) == ("paid", "P", "654321")
    notice = ReturnNotice.objects.get()
    assert notice.outcome == "applied" and notice.transaction == transaction
    for url in (
        f"/gestion/tipi/clients/{tipi_client.pk}/",
        f"/gestion/tipi/clients/{tipi_client.pk}/essais/{transaction.public_id}/",
    ):
        page = html.unescape(admin_client.get(url).text)
        assert "Appliqué le " in page, url
        assert "RESULTRANS P (Payée par carte), NUMAUTO 654321, DATTRANS 21/11/2026" in page, url
    tipi_client.refresh_from_db()
    assert tipi_client.state == "active"


def test_refused_and_conflicting_returns_are_shown_too(admin_client):
    tipi_client = TipiClientFactory(state="active")
    start(admin_client, tipi_client)
    transaction = Transaction.objects.get()
    post_retour(Client(), transaction, resultrans="P", numauto="111111")
    post_retour(Client(), transaction, resultrans="R", numauto="")
    page = html.unescape(admin_client.get(f"/gestion/tipi/clients/{tipi_client.pk}/").text)
    assert "RESULTRANS P (Payée par carte), NUMAUTO 111111" in page
    assert "Contradictoire (non appliqué) le " in page and "RESULTRANS R (Carte refusée), NUMAUTO —" in page


def test_activation_return_makes_the_client_active_and_the_page_says_so(admin_client):
    tipi_client = TipiClientFactory(state="new")
    start(admin_client, tipi_client, saisie="X")
    transaction = Transaction.objects.get()
    post_retour(Client(), transaction)
    tipi_client.refresh_from_db()
    assert tipi_client.state == "active"
    page = html.unescape(admin_client.get(f"/gestion/tipi/clients/{tipi_client.pk}/").text)
    assert 'data-client-state="active"' in page and "activé le " in page
    assert "Activation (X)" in page
    # A second activation is refused before anything is built; tests remain possible.
    assert T4_GUIDANCE in html.unescape(start(admin_client, tipi_client, saisie="X").text)
    assert start(admin_client, tipi_client, saisie="T").status_code == 302
    assert list(tipi_client.transactions.values_list("saisie", flat=True).order_by("pk")) == ["X", "T"]


def test_refused_activation_leaves_the_client_new(admin_client):
    tipi_client = TipiClientFactory(state="new")
    start(admin_client, tipi_client, saisie="X")
    post_retour(Client(), Transaction.objects.get(), resultrans="R", numauto="")
    tipi_client.refresh_from_db()
    assert tipi_client.state == "new"
    assert start(admin_client, tipi_client, saisie="X").status_code == 302


# --- End to end through the sandbox (TIPI's side) ------------------------------------------------


@pytest.fixture
def sandbox_posts_back(monkeypatch):
    """The sandbox's server-to-server POST reaches this portal through Django's test client."""
    tipi = Client(REMOTE_ADDR="203.0.113.5")

    class Answer:
        def __init__(self, status_code):
            self.status_code = status_code

    def post(url, data, timeout, allow_redirects):
        body = urlencode(data)  # form-encoded, as TIPI and requests send it
        return Answer(tipi.post(urlsplit(url).path, body, content_type="application/x-www-form-urlencoded").status_code)

    monkeypatch.setattr("payments.sandbox.tipi_side.requests.post", post)


def pay_in_sandbox(browser, url, card="1111222233334444"):
    parts = urlsplit(url)
    page = browser.get(f"{parts.path}?{parts.query}")
    text = html.unescape(page.text)
    assert "Numéro de carte" in text, text
    operation = SandboxOperation.objects.latest("created_at")
    ticket = browser.post(
        "/tpa/paiement.web",
        {"operation": operation.pk, "numero": card, "expiration": "12/39", "cryptogramme": "123", "valider": ""},
    )
    return html.unescape(ticket.text)


def test_sandbox_plays_test_then_activation_then_t4(admin_client, sandbox_posts_back):
    tipi_client = TipiClientFactory(state="new")
    # A test: the sandbox sees the client for the first time and mirrors it as new (N).
    start(admin_client, tipi_client, saisie="T")
    test = Transaction.objects.get()
    assert "Votre paiement est accepté" in pay_in_sandbox(Client(), test.url)
    assert SandboxClient.objects.get(numcli=tipi_client.numcli).state == "N"
    test.refresh_from_db()
    assert test.state == "paid" and len(test.numauto) == 7  # annex 4: NUMAUTO "Numérique 7"
    tipi_client.refresh_from_db()
    assert tipi_client.state == "new"
    # The activation: TIPI's client becomes A, and its return makes the portal's active.
    start(admin_client, tipi_client, saisie="X")
    activation = Transaction.objects.get(saisie="X")
    assert "Votre paiement est accepté" in pay_in_sandbox(Client(), activation.url)
    assert SandboxClient.objects.get(numcli=tipi_client.numcli).state == "A"
    tipi_client.refresh_from_db()
    assert tipi_client.state == "active"
    assert ReturnNotice.objects.filter(outcome="applied").count() == 2
    # A second X reaching TIPI anyway (an old link): the sandbox answers T4 with its guidance.
    anomaly = Client().get(urlsplit(activation.url).path + "?" + urlsplit(activation.url).query)
    text = html.unescape(anomaly.text)
    assert 'data-anomaly="T4"' in text and T4_GUIDANCE in text
    # Tests still go through after the activation.
    start(admin_client, tipi_client, saisie="T")
    assert "Votre paiement est accepté" in pay_in_sandbox(Client(), Transaction.objects.latest("created_at").url)


def test_sandbox_refuses_activation_without_open_contract_r10_and_tests_without_contract_r8(admin_client):
    tipi_client = TipiClientFactory(state="new")
    SandboxClient.objects.create(numcli=tipi_client.numcli, state="N", protocol=1, contract="S")
    start(admin_client, tipi_client, saisie="X")
    url = urlsplit(Transaction.objects.get().url)
    text = html.unescape(Client().get(f"{url.path}?{url.query}").text)
    assert 'data-anomaly="R10"' in text and "l'activation du client est impossible" in text
    SandboxClient.objects.filter(numcli=tipi_client.numcli).update(contract="")
    start(admin_client, tipi_client, saisie="T")
    url = urlsplit(Transaction.objects.latest("created_at").url)
    text = html.unescape(Client().get(f"{url.path}?{url.query}").text)
    assert 'data-anomaly="R8"' in text and "tests impossibles" in text


def test_sandbox_refuses_activation_of_an_inactive_tipi_client_t3(admin_client):
    tipi_client = TipiClientFactory(state="new")
    SandboxClient.objects.create(numcli=tipi_client.numcli, state="I", protocol=1)
    start(admin_client, tipi_client, saisie="X")
    url = urlsplit(Transaction.objects.get().url)
    text = html.unescape(Client().get(f"{url.path}?{url.query}").text)
    assert 'data-anomaly="T3"' in text


def test_sandbox_accepts_the_rolmre_test_reference(admin_client, sandbox_posts_back):
    tipi_client = RolmreClientFactory(state="new")
    start(admin_client, tipi_client, saisie="T")
    transaction = Transaction.objects.get()
    assert "Votre paiement est accepté" in pay_in_sandbox(Client(), transaction.url)
    transaction.refresh_from_db()
    assert transaction.state == "paid"


# A web-service client's X is a PayFiP operation, not this URL aller (test_payfip_start.py).
@pytest.mark.parametrize("mode", ["classic"])
def test_a_regie_client_is_activated_by_its_x_payment_as_titres_are(admin_client, sandbox_posts_back, mode):
    # Protocol 0 through the classic sandbox: no imposed value in annex 6, the titres' ones are
    # sent and accepted; the X return activates the client by the same code path.
    tipi_client = RegieClientFactory(state="new", mode=mode)
    start(admin_client, tipi_client, saisie="X")
    activation = Transaction.objects.get()
    assert url_params(activation.url)["refdet"] == "999900000000999999"
    assert "Votre paiement est accepté" in pay_in_sandbox(Client(), activation.url)
    assert SandboxClient.objects.get(numcli=tipi_client.numcli).protocol == 0
    tipi_client.refresh_from_db()
    assert tipi_client.state == "active"


def test_a_regie_test_url_without_urlcl_is_refused_before_building_u1(admin_client):
    tipi_client = RegieClientFactory(state="new")
    response = start(admin_client, tipi_client, saisie="T", with_return_url=False)
    assert response.status_code == 400
    assert "L'url retour n'est pas servie" in html.unescape(response.text)
    assert not Transaction.objects.exists()


def test_a_debit_return_on_an_activation_is_named_and_activates(admin_client):
    """A fictitious debit (V) on the X URL activates the client like the card's P (annex 11: TIPI
    activates on a valid activation URL); the console names the means."""
    tipi_client = TipiClientFactory(state="new")
    start(admin_client, tipi_client, saisie="X")
    transaction = Transaction.objects.get()
    post_retour(Client(), transaction, resultrans="V", numauto="")
    tipi_client.refresh_from_db()
    assert tipi_client.state == "active"
    page = html.unescape(admin_client.get(f"/gestion/tipi/clients/{tipi_client.pk}/").text)
    assert "RESULTRANS V (Payée par prélèvement), NUMAUTO —" in page
