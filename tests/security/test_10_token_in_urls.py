"""Issue 13, item 10: the OBJET token in URLs and logs.

The payment page was /paiement/<token>/: the token TIPI echoes in OBJET, the one secret that
lets a return be applied, sat in every access log line (and in the session). The portal's own
pages now address an attempt by another random id (`public_id`); the token goes only where the
protocol needs it: the URL aller, which the page opens at TIPI.
"""

import html
import logging
import re
import string
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client

from debts.models import ReferenceLink
from payments.models import Transaction
from tests.conftest import retour_body
from tests.factories import DebtFactory, DebtorReferenceFactory, TipiClientFactory, UserFactory, staff_member

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"
URL_SAFE = set(string.ascii_letters + string.digits + "-_")


def manual_form(debt) -> dict[str, str]:
    parts = debt.ref_parts
    return {
        "exercice": parts["codexer"],
        "numero": parts["numtitre"].lstrip("0"),
        "ordre": parts["numordre"],
        "montant": f"{debt.amount_cents // 100},{debt.amount_cents % 100:02d}",
        "email": "marie.lefevre@example.fr",
        "email_confirm": "marie.lefevre@example.fr",
    }


def portal_urls(page: str) -> list[str]:
    """Every address of the portal a page links, posts or polls (TIPI's URL aller left out)."""
    found = re.findall(r'(?:href|action|data-status-url|src)="([^"]*)"', page)
    return [html.unescape(url) for url in found if not html.unescape(url).startswith(("http:", "https:"))]


def request_lines(responses) -> list[str]:
    """What an access log keeps of each request: its path and query."""
    return [f"{r.request['PATH_INFO']}?{r.request.get('QUERY_STRING', '')}" for r in responses]


def test_the_manual_payment_flow_never_puts_the_token_in_a_url_nor_a_log(caplog):
    debt = DebtFactory()
    browser = Client()
    with caplog.at_level(logging.DEBUG):
        started = browser.post(f"/payer/{debt.client.numcli}/", manual_form(debt))
        transaction = Transaction.objects.get()
        token = transaction.token
        page = browser.get(started["Location"], follow=True)
        status = browser.get(re.search(r'data-status-url="([^"]+)"', page.text).group(1))
        retry = browser.post(re.search(r'id="retry-pending" method="post" action="([^"]+)"', page.text).group(1))
        second = Transaction.objects.exclude(pk=transaction.pk).get()
        Client().post("/tipi/retour/", retour_body(second), content_type=FORM)
        after = browser.get(retry["Location"])
    assert started["Location"] == f"/paiement/{transaction.public_id}/"
    assert (page.status_code, status.status_code, retry.status_code, after.status_code) == (200, 200, 302, 200)
    lines = request_lines([started, page, status, retry, after])
    for secret in (token, second.token):
        assert not [line for line in lines if secret in line]
        assert not [url for url in portal_urls(page.text + after.text) if secret in url]
        assert secret not in caplog.text
        assert secret not in str(dict(browser.session))
    # The pop-up still opens TIPI with OBJET: that one the protocol needs.
    aller = re.search(r'id="pay-button" href="([^"]+)"', page.text).group(1)
    assert dict(parse_qsl(urlsplit(html.unescape(aller)).query))["objet"] == token


def test_the_token_no_longer_opens_the_payment_page():
    debt = DebtFactory()
    browser = Client()
    browser.post(f"/payer/{debt.client.numcli}/", manual_form(debt))
    token = Transaction.objects.get().token
    assert browser.get(f"/paiement/{token}/").status_code == 404
    assert browser.get(f"/paiement/{token}/statut/").status_code == 404
    assert browser.post(f"/paiement/{token}/nouvel-essai/").status_code == 404
    assert Transaction.objects.count() == 1


def test_the_public_id_is_random_url_safe_unique_and_not_the_token():
    debt = DebtFactory()
    ids = set()
    for _ in range(20):
        browser = Client()
        browser.post(f"/payer/{debt.client.numcli}/", manual_form(debt))
    for transaction in Transaction.objects.all():
        assert len(transaction.public_id) >= 22 and set(transaction.public_id) <= URL_SAFE
        assert transaction.public_id != transaction.token and transaction.token not in transaction.public_id
        ids.add(transaction.public_id)
    assert len(ids) == 20
    field = Transaction._meta.get_field("public_id")
    assert field.unique and not field.editable


def test_the_account_payment_flow_never_puts_the_token_in_a_url():
    citizen = UserFactory(email="marie.lefevre@example.fr")
    debtor = DebtorReferenceFactory()
    ReferenceLink.objects.create(user=citizen, debtor=debtor)
    debt = DebtFactory(client=debtor.client, debtor=debtor, debtor_ref=debtor.reference)
    browser = Client()
    browser.force_login(citizen)
    started = browser.post(f"/compte/dettes/{debt.pk}/payer/", {"email": citizen.email})
    transaction = Transaction.objects.get()
    listing = browser.get(started["Location"])
    status = browser.get(re.search(r'data-status-url="([^"]+)"', listing.text).group(1))
    assert started["Location"] == f"/compte/?paiement={transaction.public_id}#paiement"
    assert status.status_code == 200 and status.json()["state"] == "pending"
    for line in request_lines([started, listing, status]) + portal_urls(listing.text):
        assert transaction.token not in line
    # The token no longer names the payment on the account page either: no payment panel.
    assert 'id="paiement"' in listing.text
    assert 'id="paiement"' not in browser.get(f"/compte/?paiement={transaction.token}").text


def test_the_consoles_attempt_page_is_addressed_by_the_public_id_not_the_token(settings):
    settings.PORTAL_PUBLIC_URL = settings.TIPI_BASE_URL = "http://portail.example"
    administrator = staff_member("admin", role="Administrateurs", email="admin@mairie.example")
    tipi_client = TipiClientFactory(state="new")
    browser = Client()
    browser.force_login(administrator)
    started = browser.post(f"/gestion/tipi/clients/{tipi_client.pk}/", {"saisie": "T", "email": "t@mairie.example"})
    transaction = Transaction.objects.get()
    assert started["Location"] == f"/gestion/tipi/clients/{tipi_client.pk}/essais/{transaction.public_id}/"
    page = browser.get(started["Location"])
    listing = browser.get(f"/gestion/tipi/clients/{tipi_client.pk}/")
    assert page.status_code == 200 and listing.status_code == 200
    for url in request_lines([started, page, listing]) + portal_urls(page.text + listing.text):
        assert transaction.token not in url
    assert browser.get(f"/gestion/tipi/clients/{tipi_client.pk}/essais/{transaction.token}/").status_code == 404
