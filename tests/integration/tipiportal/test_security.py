"""Headers, trusted proxies, rate limits, personal data retention, health check."""

import datetime
import json
import logging

import pytest
from django.test import RequestFactory
from django.utils import timezone

from payments.models import ReturnNotice, Transaction
from payments.services.personal_data import ERASED_EMAIL, personal_data_purge
from tests.conftest import retour_body
from tests.factories import TipiClientFactory, TransactionFactory
from tipiportal.network import client_ip

pytestmark = pytest.mark.django_db


def test_security_headers_on_public_pages(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert len(response["X-Request-ID"]) == 16


def test_no_inline_script_in_the_pages(client):
    TipiClientFactory()
    for url in ("/", "/payer/", "/compte/login/", "/compte/signup/"):
        text = client.get(url, follow=True).text
        assert "<script>" not in text and "onclick=" not in text and "style=" not in text, url


def test_robots_keep_out_of_staff_pages(client):
    assert "Disallow: /gestion/" in client.get("/robots.txt").text


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        ([], "203.0.113.9", "198.51.100.1", "203.0.113.9"),  # no proxy configured: header ignored
        (["10.0.0.0/8"], "203.0.113.9", "198.51.100.1", "203.0.113.9"),  # forged by a non-proxy: ignored
        (["10.0.0.0/8"], "10.0.0.2", "198.51.100.1", "198.51.100.1"),  # from the proxy: believed
        (["10.0.0.0/8"], "10.0.0.2", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # client prepended a lie
        (["10.0.0.0/8"], "10.0.0.2", "198.51.100.1, 10.0.0.7", "198.51.100.1"),  # two proxies
        (["10.0.0.0/8"], "10.0.0.2", "not-an-ip", "10.0.0.2"),
    ],
)
def test_client_ip_trusts_forwarded_for_only_from_proxies(settings, proxies, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_forged_forwarded_for_cannot_pass_the_return_allow_list(client, settings):
    settings.TIPI_RETURN_ALLOWED_IPS = ["192.0.2.0/24"]
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    transaction = TransactionFactory()
    body = retour_body(transaction)
    client.post(
        "/tipi/retour/",
        body,
        content_type="application/x-www-form-urlencoded",
        REMOTE_ADDR="203.0.113.9",
        HTTP_X_FORWARDED_FOR="192.0.2.10",
    )
    assert ReturnNotice.objects.get().outcome == "refused_ip"
    client.post(
        "/tipi/retour/",
        body,
        content_type="application/x-www-form-urlencoded",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.10",
    )
    transaction.refresh_from_db()
    assert transaction.state == "paid"


def test_manual_form_is_rate_limited_per_address(client, settings):
    settings.RATE_LIMIT_MANUAL_FORM = "3/m"
    tipi_client = TipiClientFactory()
    statuses = [client.post(f"/payer/{tipi_client.numcli}/", {"exercice": "x"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert "Trop de tentatives" in client.post(f"/payer/{tipi_client.numcli}/", {}).content.decode()
    assert not Transaction.objects.exists()


def test_return_endpoint_is_never_rate_limited(client, settings):
    settings.RATE_LIMIT_MANUAL_FORM = "1/m"
    for _ in range(30):
        assert client.post("/tipi/retour/", "x=1", content_type="application/x-www-form-urlencoded").status_code == 200
    assert ReturnNotice.objects.count() == 30


def test_personal_data_purge_erases_old_emails_only():
    old, recent = TransactionFactory(email="vieux@example.fr"), TransactionFactory(email="recent@example.fr")
    Transaction.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=500))
    notice = ReturnNotice.objects.create(body=b"NUMCLI=123456&MEL=vieux%40example.fr&RESULTRANS=P")
    ReturnNotice.objects.filter(pk=notice.pk).update(received_at=timezone.now() - datetime.timedelta(days=500))
    assert personal_data_purge(older_than_days=400) == (1, 1)
    old.refresh_from_db(), recent.refresh_from_db(), notice.refresh_from_db()
    assert old.email == ERASED_EMAIL and old.params["mel"] == ERASED_EMAIL
    assert recent.email == "recent@example.fr"
    assert bytes(notice.body) == b"NUMCLI=123456&RESULTRANS=P"
    assert personal_data_purge(older_than_days=400) == (0, 0)


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "queue": "ok"}


def test_logs_carry_no_email_and_are_json(caplog, client):
    transaction = TransactionFactory(email="secret.person@example.fr")
    with caplog.at_level(logging.DEBUG):
        client.post(
            "/tipi/retour/",
            retour_body(transaction, mel="autre@example.fr"),
            content_type="application/x-www-form-urlencoded",
        )
        client.post("/tipi/retour/", b"MEL=x%40y.fr&garbage", content_type="application/x-www-form-urlencoded")
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "example.fr" not in text and "x@y.fr" not in text
    from pythonjsonlogger.json import JsonFormatter

    record = caplog.records[-1]
    record.request_id = "abc"
    line = json.loads(JsonFormatter("%(levelname)s %(request_id)s %(message)s").format(record))
    assert line["request_id"] == "abc"


# --- Every rate limit counts the client's address; counters are atomic (issue 13, items 2 and 5) ---


def test_allauth_counts_the_same_client_address_as_the_rest_of_the_site(settings):
    from allauth.account.adapter import get_adapter

    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    behind = RequestFactory().post("/compte/login/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    forged = RequestFactory().post("/compte/login/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert get_adapter(behind).get_client_ip(behind) == "198.51.100.7"
    assert get_adapter(forged).get_client_ip(forged) == "203.0.113.9"


def test_a_forged_forwarded_for_does_not_escape_allauths_login_limit(client):
    from allauth.account.models import EmailAddress

    from tests.factories import UserFactory

    citizen = UserFactory(email="camille.noel@example.fr")
    EmailAddress.objects.create(user=citizen, email=citizen.email, verified=True, primary=True)
    for n in range(6):
        forged = {"REMOTE_ADDR": "203.0.113.66", "HTTP_X_FORWARDED_FOR": f"192.0.2.{n}"}
        client.post("/compte/login/", {"login": f"inconnu{n}@example.fr", "password": "x"}, **forged)
    forged = {"REMOTE_ADDR": "203.0.113.66", "HTTP_X_FORWARDED_FOR": "192.0.2.200"}
    client.post("/compte/login/", {"login": citizen.email, "password": "motdepasse-solide-2026"}, **forged)
    assert "_auth_user_id" not in client.session


def test_rate_counters_count_each_hit_and_take_back_a_released_one():
    from tipiportal.models import RateCounter
    from tipiportal.network import rate_limit_consume, rate_limit_release

    hits = [rate_limit_consume(scope="essai", value="198.51.100.7", rate="3/h") for _ in range(4)]
    assert [(hit.count, hit.allowed) for hit in hits] == [(1, True), (2, True), (3, True), (4, False)]
    assert rate_limit_consume(scope="autre", value="198.51.100.7", rate="3/h").count == 1
    assert rate_limit_consume(scope="essai", value="198.51.100.8", rate="3/h").count == 1
    rate_limit_release(hits[-1])
    rate_limit_release(hits[-1])
    assert rate_limit_consume(scope="essai", value="198.51.100.7", rate="3/h").count == 3
    # Neither the address nor the scope is kept in clear.
    assert not RateCounter.objects.filter(key__contains="198.51").exists()


def test_rate_counters_of_past_windows_are_dropped(monkeypatch):
    import time as time_module

    from tipiportal.models import RateCounter
    from tipiportal.network import rate_limit_consume, rate_parse

    assert rate_parse("30/h") == (30, 3600) and rate_parse("5/15m") == (5, 900) and rate_parse("2/s") == (2, 1)
    rate_limit_consume(scope="essai", value="a", rate="1/m")
    real_time, real_now = time_module.time, timezone.now
    monkeypatch.setattr("tipiportal.network.time.time", lambda: real_time() + 3600)
    monkeypatch.setattr("tipiportal.network.timezone.now", lambda: real_now() + datetime.timedelta(hours=1))
    assert rate_limit_consume(scope="essai", value="a", rate="1/m").allowed
    assert RateCounter.objects.count() == 1


# --- The staff login's throttling does not get in the way (issue 13, item 3) -----------------


def test_successful_staff_logins_are_not_counted_as_failures(client, settings):
    from tests.factories import staff_member

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    staff_member("agent", "le-bon-mot-de-passe-2026")
    for _ in range(8):
        response = client.post("/gestion/admin/login/", {"username": "agent", "password": "le-bon-mot-de-passe-2026"})
        assert response.status_code == 302
        client.post("/compte/logout/")
    assert client.post("/gestion/admin/login/", {"username": "agent", "password": "x"}).status_code == 200


def test_a_citizen_account_cannot_log_in_at_the_staff_login(client):
    from tests.factories import UserFactory

    UserFactory(username="usager", password="motdepasse-solide-2026")
    response = client.post("/gestion/admin/login/", {"username": "usager", "password": "motdepasse-solide-2026"})
    assert response.status_code == 200 and "Identifiant ou mot de passe incorrect" in response.text
    assert "_auth_user_id" not in client.session


def test_rate_limits_slide_across_a_windows_edge(monkeypatch):
    from tipiportal.network import rate_limit_consume

    clock = {"now": 1_800_000_000 + 899.5}  # half a second before a 15-minute window's edge
    monkeypatch.setattr("tipiportal.network.time.time", lambda: clock["now"])
    assert all(rate_limit_consume(scope="essai", value="a", rate="5/15m").allowed for _ in range(5))
    clock["now"] += 1  # the next window
    assert not rate_limit_consume(scope="essai", value="a", rate="5/15m").allowed
    clock["now"] += 900  # a whole period later: the old failures are forgotten
    assert rate_limit_consume(scope="essai", value="a", rate="5/15m").allowed
