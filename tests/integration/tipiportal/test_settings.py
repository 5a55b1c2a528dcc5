"""Production settings: refuse to start without SECRET_KEY, `check --deploy` clean, no sandbox.

PRODUCTION is the documented production environment (docs/deployment.md): the security tests
(tests/security/) start from it and change one thing.
"""

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
    # A documentation network (RFC 5737) standing for the addresses DGFiP gives the operator.
    "TIPI_RETURN_ALLOWED_IPS": "192.0.2.0/24",
    "EMAIL_URL": "smtp+tls://portail%40ville.example:not-a-secret@smtp.ville.example:587",
}
# Never inherited from the test run's environment, so that leaving one out of `env` means unset.
ISOLATED = (*TEST_ONLY_VARIABLES, *PRODUCTION, "CHORUS_SANDBOX", "TIPI_RETURN_ACCEPT_ANY_SOURCE")


def without(env: dict[str, str], *names: str) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in names}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ISOLATED}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


def python(code: str, *, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`python -c code` with the project's settings and this environment only."""
    clean = {k: v for k, v in os.environ.items() if k not in ISOLATED}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **env, "DJANGO_SETTINGS_MODULE": "tipiportal.settings"},
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
    result = python(code, env=PRODUCTION)
    assert result.stdout.strip() == "NOT ROUTED", result.stderr


def test_production_keeps_compiled_templates_in_the_cached_loader():
    code = (
        "from django.template import engines\n"
        "loaders = engines['django'].engine.template_loaders\n"
        "name = lambda loader: type(loader).__module__ + '.' + type(loader).__qualname__\n"
        "print('LOADERS', [(name(loader), [name(inner) for inner in getattr(loader, 'loaders', [])]) for loader in loaders])"
    )
    result = manage("shell", "--no-imports", "-c", code, env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("LOADERS ")]
    inner = ["django.template.loaders.filesystem.Loader", "django.template.loaders.app_directories.Loader"]
    assert line == f"LOADERS {[('django.template.loaders.cached.Loader', inner)]}"
