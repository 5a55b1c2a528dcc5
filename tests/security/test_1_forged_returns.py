"""Issue 13, item 1: forged classic returns.

Whoever starts a payment sees every field TIPI echoes, OBJET included, in the URL aller: with
any source allowed to POST returns, they can pay nothing and have the debt marked as paid. In
production the allow-list is therefore required (`check --deploy` fails, the site says so at
start) unless TIPI_RETURN_ACCEPT_ANY_SOURCE accepts the risk, and a return without OBJET is
never applied: it is linked to the attempt it resembles and left to staff.
"""

import html
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.test import Client

from debts.models import Debt
from payments.models import ReturnNotice, TipiClient, Transaction
from tests.factories import DebtFactory, TipiClientFactory, TransactionFactory, staff_member
from tests.integration.tipiportal.test_settings import PRODUCTION, manage, python, without

RETURN_URL = "/tipi/retour/"
FORM = "application/x-www-form-urlencoded"


# --- Production settings -----------------------------------------------------------------------


def check_deploy(env: dict[str, str]):
    return manage("check", "--deploy", "--fail-level", "WARNING", env=env)


def test_check_deploy_fails_when_any_source_may_post_returns():
    result = check_deploy({**PRODUCTION, "TIPI_RETURN_ALLOWED_IPS": ""})
    assert result.returncode != 0
    assert "TIPI_RETURN_ALLOWED_IPS" in result.stderr


def test_check_deploy_fails_when_the_allow_list_lets_every_address_through():
    result = check_deploy({**PRODUCTION, "TIPI_RETURN_ALLOWED_IPS": "192.0.2.0/24,0.0.0.0/0"})
    assert result.returncode != 0
    assert "0.0.0.0/0" in result.stderr


def test_check_deploy_fails_on_an_allow_list_entry_that_is_no_address():
    result = check_deploy({**PRODUCTION, "TIPI_RETURN_ALLOWED_IPS": "dgfip.example"})
    assert result.returncode != 0
    assert "dgfip.example" in result.stderr


def test_check_deploy_is_clean_when_the_risk_is_accepted_explicitly():
    result = check_deploy({**without(PRODUCTION, "TIPI_RETURN_ALLOWED_IPS"), "TIPI_RETURN_ACCEPT_ANY_SOURCE": "1"})
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_site_says_so_at_start():
    result = python("import django; django.setup()", env={**PRODUCTION, "TIPI_RETURN_ALLOWED_IPS": ""})
    assert result.returncode == 0, result.stderr
    assert "TIPI_RETURN_ALLOWED_IPS" in result.stderr


def test_the_site_starts_silently_with_the_documented_settings():
    result = python("import django; django.setup()", env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "TIPI_RETURN_ALLOWED_IPS" not in result.stderr


# --- The attack, through the test client -------------------------------------------------------


def start_payment_as_attacker(attacker: Client, debt: Debt) -> dict[str, str]:
    """Start a real payment from the public form and read the URL aller off the payment page."""
    parts = debt.ref_parts
    response = attacker.post(
        f"/payer/{debt.client.numcli}/",
        {
            "exercice": parts["codexer"],
            "numero": parts["numtitre"].lstrip("0"),
            "ordre": parts["numordre"],
            "montant": f"{debt.amount_cents // 100},{debt.amount_cents % 100:02d}",
            "email": "pirate@example.fr",
            "email_confirm": "pirate@example.fr",
        },
    )
    assert response.status_code == 302, response.content
    page = attacker.get(response["Location"]).content.decode()
    url_aller = html.unescape(re.search(r'id="pay-button" href="([^"]+)"', page).group(1))
    return dict(parse_qsl(urlsplit(url_aller).query))


def forged_paid_return(aller: dict[str, str], *, objet: bool) -> str:
    names = (
        ["numcli", "exer", "refdet", "objet", "montant", "mel", "saisie"]
        if objet
        else ["numcli", "exer", "refdet", "montant", "mel", "saisie"]
    )
    fields = {name.upper(): aller[name] for name in names if aller.get(name)}
    fields.update(RESULTRANS="P", NUMAUTO="424242", DATTRANS="22112026")
    return urlencode(fields)


@pytest.mark.django_db
def test_forged_paid_return_without_objet_is_flagged_for_staff_and_not_applied():
    debt = DebtFactory()
    attacker = Client()
    aller = start_payment_as_attacker(attacker, debt)
    response = attacker.post(RETURN_URL, forged_paid_return(aller, objet=False), content_type=FORM)
    assert response.status_code == 200
    transaction = Transaction.objects.get()
    debt.refresh_from_db()
    assert (transaction.state, transaction.resultrans, transaction.numauto) == ("pending", "", "")
    assert debt.state == Debt.State.OPEN
    notice = ReturnNotice.objects.get()
    assert notice.outcome == ReturnNotice.Outcome.REVIEW
    assert notice.transaction == transaction  # the attempt it resembles, for staff to look at
    assert notice.flags == ["matched_without_token"]
    # Staff see it among the returns to examine, highlighted, with the reason.
    staff = Client()
    staff.force_login(staff_member())
    page = html.unescape(staff.get("/gestion/suivi/retours/", {"outcome": "suspicious"}).content.decode())
    row = page.split(f'<tr data-notice="{notice.pk}" class="suspect">')[1].split("</tr>")[0]
    assert "À vérifier (non appliqué)" in row and "À examiner" in row
    assert "OBJET absent : non appliqué" in row and "retrouvé sans jeton (OBJET absent)" in row
    assert transaction.refdet in row  # a link to the attempt it resembles


@pytest.mark.django_db
def test_forged_activation_return_without_objet_leaves_the_client_new(client):
    tipi_client = TipiClientFactory(state=TipiClient.State.NEW)
    attempt = TransactionFactory(
        saisie="X", debt=None, client=tipi_client, refdet="999900000000999999", amount_cents=111111
    )
    aller = {**attempt.params, "exer": "9999"}
    client.post(RETURN_URL, forged_paid_return(aller, objet=False), content_type=FORM)
    tipi_client.refresh_from_db()
    attempt.refresh_from_db()
    assert tipi_client.state == TipiClient.State.NEW
    assert attempt.state == Transaction.State.PENDING
    assert ReturnNotice.objects.get().outcome == ReturnNotice.Outcome.REVIEW


@pytest.mark.django_db
def test_forged_paid_return_with_objet_from_outside_the_allow_list_is_refused(settings):
    settings.TIPI_RETURN_ALLOWED_IPS = PRODUCTION["TIPI_RETURN_ALLOWED_IPS"].split(",")
    debt = DebtFactory()
    attacker = Client(REMOTE_ADDR="198.51.100.7")
    aller = start_payment_as_attacker(attacker, debt)
    attacker.post(RETURN_URL, forged_paid_return(aller, objet=True), content_type=FORM)
    debt.refresh_from_db()
    assert debt.state == Debt.State.OPEN
    assert Transaction.objects.get().state == Transaction.State.PENDING
    assert ReturnNotice.objects.get().outcome == ReturnNotice.Outcome.REFUSED_IP
