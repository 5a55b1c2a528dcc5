"""Production settings: refuse to start without SECRET_KEY, `check --deploy` clean, no sandbox."""

import os
import subprocess
import sys

from tests import paths

ROOT = paths.ROOT
# Set by the pytest settings (pyproject.toml) for the tests themselves; a production environment has none of them.
TEST_ONLY_VARIABLES = ("DEBUG", "SECRET_KEY", "TIPI_SANDBOX", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 20 + "-production-like-secret-key-with-enough-entropy-9f3k",
    "ALLOWED_HOSTS": "paiement.ville.example",
    "PORTAL_PUBLIC_URL": "https://paiement.ville.example",
    "TIPI_SANDBOX": "0",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in TEST_ONLY_VARIABLES}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


def test_check_deploy_is_clean_with_production_values():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    result = manage("check", env={**PRODUCTION, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_sandbox_is_never_routed_in_production():
    code = (
        "import django; django.setup();"
        "from django.urls import resolve, Resolver404\n"
        "try:\n    resolve('/tpa/paiement.web'); print('ROUTED')\n"
        "except Resolver404:\n    print('NOT ROUTED')"
    )
    clean = {k: v for k, v in os.environ.items() if k not in TEST_ONLY_VARIABLES}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **PRODUCTION, "DJANGO_SETTINGS_MODULE": "tipiportal.settings"},
    )
    assert result.stdout.strip() == "NOT ROUTED", result.stderr
