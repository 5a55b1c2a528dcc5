"""Issue 13, item 3: the staff login (/gestion/admin/login/, also the Django admin's) is throttled
per account and per address, is the portal's own French page, and asks staff who enrolled, and
administrators in production, for a TOTP code (django-otp)."""

import html
import re
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from tests.factories import staff_member

pytestmark = pytest.mark.django_db

LOGIN = "/gestion/admin/login/"
VERIFY = "/gestion/securite/code/"
ENROL = "/gestion/securite/double-authentification/"
DEVICES = "/gestion/securite/appareils/"
PASSWORD = "le-bon-mot-de-passe-2026"


@pytest.fixture
def administrator():
    return staff_member("dsi", PASSWORD, role="Administrateurs", email="dsi@mairie.example")


@pytest.fixture
def agent():
    return staff_member("agent", PASSWORD, email="agent@mairie.example")


def log_in(client, username, password=PASSWORD, address="198.51.100.7", next_url="/gestion/"):
    return client.post(f"{LOGIN}?next={next_url}", {"username": username, "password": password}, REMOTE_ADDR=address)


def code_for(device) -> str:
    from django_otp.oath import totp

    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):06d}"


def confirmed_device(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name="Téléphone", confirmed=True)


def logged_in(client) -> bool:
    return client.get("/gestion/").status_code == 200


# --- Throttling --------------------------------------------------------------------------------


def test_twenty_wrong_passwords_then_the_right_one_does_not_get_in(client, administrator):
    for n in range(20):
        log_in(client, "dsi", f"mauvais-{n}")
    response = log_in(client, "dsi")
    assert response.status_code == 429
    assert "Trop de tentatives" in html.unescape(response.text)
    assert not logged_in(client)
    assert client.get("/gestion/admin/").status_code == 302


def test_the_account_limit_holds_from_many_addresses(client, administrator):
    for n in range(5):
        log_in(client, "dsi", f"mauvais-{n}", address=f"192.0.2.{n}")
    assert log_in(client, "dsi", address="192.0.2.99").status_code == 429
    assert not logged_in(client)


def test_the_address_limit_holds_across_accounts(client, agent):
    for n in range(20):
        log_in(client, f"inconnu{n}", "x", address="203.0.113.66")
    assert log_in(client, "agent", address="203.0.113.66").status_code == 429
    assert not logged_in(client)
    # Another address, same account: in.
    assert log_in(client, "agent", address="198.51.100.7").status_code == 302
    assert logged_in(client)


def test_the_address_is_the_clients_behind_the_proxy(client, settings, agent):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    for n in range(20):
        client.post(
            LOGIN,
            {"username": f"inconnu{n}", "password": "x"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.66",
        )
    attacker = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.66"}
    assert client.post(LOGIN, {"username": "agent", "password": PASSWORD}, **attacker).status_code == 429
    response = client.post(
        LOGIN, {"username": "agent", "password": PASSWORD}, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert response.status_code == 302


# --- The page ----------------------------------------------------------------------------------


def test_the_login_page_is_the_portals_and_french(client):
    response = client.get(f"{LOGIN}?next=/gestion/")
    text = html.unescape(response.text)
    assert response.status_code == 200
    assert '<html lang="fr">' in text and 'class="site-header"' in text
    assert "Connexion à la gestion" in text
    assert "Django" not in text
    assert 'id="id_username"' in text and 'id="id_password"' in text
    wrong = html.unescape(log_in(client, "personne", "x").text)
    assert "Identifiant ou mot de passe incorrect" in wrong


def test_the_admin_console_sends_to_the_same_login(client, administrator):
    response = client.get("/gestion/admin/")
    assert response.status_code == 302 and response["Location"] == f"{LOGIN}?next=/gestion/admin/"
    assert "Connexion à la gestion" in html.unescape(client.get(response["Location"]).text)


def test_next_must_stay_on_the_portal(client, agent):
    response = log_in(client, "agent", next_url="https://evil.example/")
    assert response.status_code == 302 and response["Location"] == "/gestion/"


# --- Second factor -----------------------------------------------------------------------------


def test_second_factor_is_required_for_administrators_by_default_in_production():
    script = "import django; django.setup(); from django.conf import settings; print(settings.STAFF_OTP_REQUIRED)"
    env = {
        "DJANGO_SETTINGS_MODULE": "tipiportal.settings",
        "DEBUG": "0",
        "SECRET_KEY": "x" * 50,
        "EMAIL_URL": "dummymail://",
        "PATH": "/usr/bin",
    }
    production = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    development = subprocess.run(
        [sys.executable, "-c", script], env=env | {"DEBUG": "1"}, capture_output=True, text=True, check=True
    )
    assert production.stdout.strip() == "True"
    assert development.stdout.strip() == "False"


def test_an_administrator_without_a_device_must_enrol_before_getting_in(client, settings, administrator):
    settings.STAFF_OTP_REQUIRED = True
    response = log_in(client, "dsi", next_url="/gestion/admin/")
    assert response.status_code == 302 and response["Location"].startswith(ENROL)
    assert not logged_in(client)
    page = client.get(response["Location"])
    text = html.unescape(page.text)
    assert "Double authentification" in text and 'src="data:image/svg+xml' in text
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=administrator, confirmed=False)
    wrong = client.post(ENROL, {"otp_token": "000000" if code_for(device) != "000000" else "111111"})
    assert "Code incorrect" in html.unescape(wrong.text)
    assert not logged_in(client)
    response = client.post(ENROL, {"otp_token": code_for(device)})
    assert response.status_code == 302 and response["Location"] == "/gestion/admin/"
    device.refresh_from_db()
    assert device.confirmed
    assert logged_in(client)
    assert client.get("/gestion/admin/").status_code == 200


def test_an_enrolled_staff_member_types_the_code_after_the_password(client, settings, agent):
    settings.STAFF_OTP_REQUIRED = False  # agents who enrolled use it anyway
    device = confirmed_device(agent)
    response = log_in(client, "agent", next_url="/gestion/dettes/")
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert not logged_in(client)
    assert "Code incorrect" in html.unescape(client.post(VERIFY, {"otp_token": "12345"}).text)
    response = client.post(VERIFY, {"otp_token": code_for(device)})
    assert response.status_code == 302 and response["Location"] == "/gestion/dettes/"
    assert logged_in(client)


def test_wrong_codes_are_throttled(client, agent):
    device = confirmed_device(agent)
    log_in(client, "agent")
    right = code_for(device)
    for n in range(5):
        client.post(VERIFY, {"otp_token": f"{(int(right) + n + 1) % 1_000_000:06d}"})
    response = client.post(VERIFY, {"otp_token": right})
    assert response.status_code == 429
    assert not logged_in(client)


def test_the_code_page_without_a_password_first_sends_to_the_login(client, agent):
    confirmed_device(agent)
    response = client.get(VERIFY)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_an_agent_without_device_gets_in_with_the_password_and_may_enrol(client, settings, agent):
    settings.STAFF_OTP_REQUIRED = True  # required for administrators only
    assert log_in(client, "agent").status_code == 302
    assert logged_in(client)
    client.get(ENROL)
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=agent, confirmed=False)
    response = client.post(ENROL, {"otp_token": code_for(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed


def test_a_staff_login_through_the_citizen_pages_still_needs_the_code(client, agent):
    from allauth.account.models import EmailAddress

    confirmed_device(agent)
    EmailAddress.objects.create(user=agent, email=agent.email, verified=True, primary=True)
    response = client.post("/compte/login/", {"login": agent.email, "password": PASSWORD})
    assert response.status_code == 302
    for url in ("/gestion/", "/gestion/admin/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith((VERIFY, LOGIN)), url


def test_an_administrator_resets_a_lost_phone(client, settings, administrator, agent):
    lost = confirmed_device(agent)
    client.force_login(administrator)
    page = html.unescape(client.get(DEVICES).text)
    assert "agent" in page
    response = client.post(f"{DEVICES}{agent.pk}/reinitialiser/")
    assert response.status_code == 302
    assert not type(lost).objects.filter(pk=lost.pk).exists()
    # The agent gets in with the password again, and may enrol a new phone.
    client.logout()
    assert log_in(client, "agent").status_code == 302


def test_agents_cannot_reset_devices(client, administrator, agent):
    confirmed_device(administrator)
    client.force_login(agent)
    assert client.post(f"{DEVICES}{administrator.pk}/reinitialiser/").status_code == 403
    assert administrator.totpdevice_set.exists()


def test_the_reset_command_for_the_last_administrator(administrator, capsys):
    device = confirmed_device(administrator)
    call_command("staff_otp_reset", "dsi")
    assert not type(device).objects.filter(user=administrator).exists()
    assert re.search(r"dsi", capsys.readouterr().out)
    assert get_user_model().objects.filter(username="dsi").exists()
