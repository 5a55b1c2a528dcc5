"""Issue 13, item 2: behind the documented reverse proxy every request comes from 127.0.0.1.

allauth's per-address limits must count the client's address (tipiportal.network.client_ip, which
believes X-Forwarded-For from TRUSTED_PROXIES only), or a few failures on made-up accounts lock
every citizen out of logging in, signing up and resetting a password.
"""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROXY = "127.0.0.1"
ATTACKER = "203.0.113.66"
CITIZEN = "198.51.100.7"
PASSWORD = "motdepasse-solide-2026"


@pytest.fixture(autouse=True)
def _behind_the_documented_proxy(settings):
    settings.TRUSTED_PROXIES = [PROXY]


def via_proxy(address: str) -> dict:
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": address}


def verified_citizen(email: str = "camille.noel@example.fr"):
    user = UserFactory(email=email)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def test_failed_logins_on_made_up_accounts_do_not_lock_other_citizens_out(client):
    citizen = verified_citizen()
    for n in range(6):
        client.post("/compte/login/", {"login": f"inconnu{n}@example.fr", "password": "x"}, **via_proxy(ATTACKER))
    # The attacker's own address is throttled...
    response = client.post("/compte/login/", {"login": citizen.email, "password": PASSWORD}, **via_proxy(ATTACKER))
    assert response.status_code != 302
    assert "_auth_user_id" not in client.session
    # ...the citizen, through the same proxy, is not.
    response = client.post("/compte/login/", {"login": citizen.email, "password": PASSWORD}, **via_proxy(CITIZEN))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert client.session["_auth_user_id"] == str(citizen.pk)


def test_sign_ups_from_one_address_do_not_close_sign_up_to_everyone(client):
    for n in range(21):
        client.post(
            "/compte/signup/",
            {
                "email": f"robot{n}@example.fr",
                "password1": "Robot-motdepasse-2026",
                "password2": "Robot-motdepasse-2026",
            },
            **via_proxy(ATTACKER),
        )
    response = client.post(
        "/compte/signup/",
        {
            "email": "robot-de-trop@example.fr",
            "password1": "Robot-motdepasse-2026",
            "password2": "Robot-motdepasse-2026",
        },
        **via_proxy(ATTACKER),
    )
    assert response.status_code == 429
    client.cookies.clear()
    response = client.post(
        "/compte/signup/",
        {
            "email": "dominique@example.fr",
            "password1": "Un-vrai-motdepasse-2026",
            "password2": "Un-vrai-motdepasse-2026",
        },
        **via_proxy(CITIZEN),
    )
    assert response.status_code == 302
    assert EmailAddress.objects.filter(email="dominique@example.fr").exists()


def test_password_resets_from_one_address_do_not_close_reset_to_everyone(client):
    citizen = verified_citizen()
    for n in range(6):
        client.post("/compte/password/reset/", {"email": f"inconnu{n}@example.fr"}, **via_proxy(ATTACKER))
    mail.outbox.clear()
    response = client.post("/compte/password/reset/", {"email": citizen.email}, **via_proxy(CITIZEN))
    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [[citizen.email]]
