"""Issue 13, item 12: the sandbox in production.

With TIPI_SANDBOX=1 and DEBUG off the fake TIPI was routed (a card page that "pays" with a test
card) and `check --deploy` stayed clean; and the sandbox POSTed a forged return to whatever
URLCL it was given. Production now refuses to start with a sandbox, and the sandbox posts back
only to the portal's own address (PORTAL_PUBLIC_URL's origin).
"""

import html
from urllib.parse import urlencode

import pytest

from payments.sandbox.models import SandboxOperation
from tests.factories import DebtFactory
from tests.integration.tipiportal.test_settings import PRODUCTION, manage, python

ROUTED = (
    "import django; django.setup();"
    "from django.urls import resolve, Resolver404\n"
    "try:\n    resolve('/tpa/paiement.web'); print('ROUTED')\n"
    "except Resolver404:\n    print('NOT ROUTED')"
)


@pytest.mark.parametrize("variable", ["TIPI_SANDBOX", "CHORUS_SANDBOX"])
def test_check_deploy_fails_with_a_sandbox(variable):
    result = manage("check", "--deploy", env={**PRODUCTION, variable: "1"})
    assert result.returncode != 0
    assert f"{variable} must be off in production" in result.stderr


def test_production_with_the_sandbox_asked_for_never_routes_it():
    result = python(ROUTED, env={**PRODUCTION, "TIPI_SANDBOX": "1"})
    assert result.stdout.strip() != "ROUTED"
    assert "TIPI_SANDBOX must be off in production" in result.stderr


# --- The POST back, through the test client ----------------------------------------------------


@pytest.fixture
def posted(monkeypatch, settings):
    settings.PORTAL_PUBLIC_URL = "https://portail.example"
    calls = []

    class Answer:
        status_code = 200

    def fake_post(url, data, timeout, allow_redirects):
        calls.append(url)
        return Answer()

    monkeypatch.setattr("payments.sandbox.tipi_side.requests.post", fake_post)
    return calls


def pay_in_sandbox(client, urlcl: str) -> str:
    debt = DebtFactory()
    params = {
        "numcli": debt.client.numcli,
        "refdet": debt.refdet,
        "objet": "Jeton123",
        "montant": str(debt.amount_cents),
        "mel": "a.b@example.fr",
        "urlcl": urlcl,
        "saisie": "M",
    }
    client.get("/tpa/paiement.web?" + urlencode(params))
    operation = SandboxOperation.objects.get()
    card = {"operation": operation.pk, "numero": "1111222233334444", "expiration": "12/39", "cryptogramme": "123"}
    return html.unescape(client.post("/tpa/paiement.web", {**card, "valider": ""}).content.decode())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "urlcl",
    [
        "https://victime.example/tipi/retour/",
        "http://portail.example/tipi/retour/",  # another scheme
        "https://portail.example:8443/tipi/retour/",  # another port
        "https://portail.example@victime.example/tipi/retour/",  # the portal's name as a user name
        "https://portail.example.victime.example/tipi/retour/",
    ],
)
def test_the_sandbox_refuses_to_post_anywhere_but_the_portal(client, posted, urlcl):
    page = pay_in_sandbox(client, urlcl)
    assert posted == []
    operation = SandboxOperation.objects.get()
    assert operation.callback_status.startswith("refusé")
    assert "Retour non transmis" in page and "https://portail.example" in page


@pytest.mark.django_db
@pytest.mark.parametrize("urlcl", ["https://portail.example/tipi/retour/", "HTTPS://Portail.Example:443/tipi/retour/"])
def test_the_sandbox_posts_back_to_the_portal(client, posted, urlcl):
    page = pay_in_sandbox(client, urlcl)
    assert posted == [urlcl]
    assert SandboxOperation.objects.get().callback_status == "HTTP 200"
    assert "Retour transmis à la collectivité : HTTP 200" in page
