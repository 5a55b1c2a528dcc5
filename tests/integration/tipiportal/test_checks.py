"""`check --deploy`: PORTAL_PUBLIC_URL, hence URLCL, must be a public address on port 80 or 443."""

import pytest

from tests.integration.tipiportal.test_settings import PRODUCTION, manage, without
from tipiportal.checks import portal_url_problems


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("", "tipiportal.E004"),
        ("http://127.0.0.1:8000", "tipiportal.E005"),
        ("https://192.168.10.4", "tipiportal.E005"),
        ("https://paiement.ville.fr:8443", "tipiportal.E005"),
        ("https://localhost", "tipiportal.E005"),
    ],
)
def test_production_refuses_a_missing_private_or_non_default_port_url(settings, url, code):
    settings.DEBUG = False
    settings.PORTAL_PUBLIC_URL = url
    ids = [problem.id for problem in portal_url_problems()]
    assert ids and set(ids) == {code}


def test_production_accepts_a_public_url(settings):
    settings.DEBUG = False
    settings.PORTAL_PUBLIC_URL = "https://paiement.ville.fr"
    assert portal_url_problems() == []


def test_development_keeps_working_on_127_0_0_1(settings):
    settings.DEBUG = True
    settings.PORTAL_PUBLIC_URL = "http://127.0.0.1:8000"
    assert portal_url_problems() == []


def test_check_deploy_fails_without_portal_public_url():
    # Production has no default any more (it was http://127.0.0.1:8000 even with DEBUG off).
    result = manage("check", "--deploy", env=without(PRODUCTION, "PORTAL_PUBLIC_URL"))
    assert result.returncode != 0
    assert "tipiportal.E004" in result.stderr
