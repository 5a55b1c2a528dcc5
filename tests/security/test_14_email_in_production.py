"""Issue 13, item 14: e-mail in production.

With EMAIL_URL unset, production used the console backend: every password-reset link (and
every address confirmation) landed in the logs, for whoever reads them. Production now refuses
to start without EMAIL_URL, and refuses the backends that keep messages readable on the
machine (console, files, memory); `dummymail://` is the explicit way to send none.
"""

import pytest

from tests.integration.tipiportal.test_settings import PRODUCTION, manage, python, without

BACKEND = "import django; django.setup(); from django.conf import settings; print(settings.EMAIL_BACKEND)"


def test_production_refuses_to_start_without_email_url():
    result = manage("check", "--deploy", env=without(PRODUCTION, "EMAIL_URL"))
    assert result.returncode != 0
    assert "EMAIL_URL must be set in production" in result.stderr


def test_an_empty_email_url_is_no_email_url():
    result = manage("check", "--deploy", env={**PRODUCTION, "EMAIL_URL": ""})
    assert result.returncode != 0
    assert "EMAIL_URL must be set in production" in result.stderr


@pytest.mark.parametrize("url", ["consolemail://", "filemail:///tmp/mails", "memorymail://"])
def test_production_refuses_backends_that_keep_messages_on_the_machine(url):
    result = manage("check", "--deploy", env={**PRODUCTION, "EMAIL_URL": url})
    assert result.returncode != 0
    assert "EMAIL_URL" in result.stderr and url.split("://")[0] in result.stderr


def test_dummymail_explicitly_sends_no_email():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION, "EMAIL_URL": "dummymail://"})
    assert result.returncode == 0, result.stderr
    assert python(BACKEND, env={**PRODUCTION, "EMAIL_URL": "dummymail://"}).stdout.strip() == (
        "django.core.mail.backends.dummy.EmailBackend"
    )


def test_the_documented_smtp_url_is_used():
    assert python(BACKEND, env=PRODUCTION).stdout.strip() == "django.core.mail.backends.smtp.EmailBackend"


def test_development_still_prints_emails_to_the_console():
    development = {**without(PRODUCTION, "EMAIL_URL"), "DEBUG": "1"}
    assert python(BACKEND, env=development).stdout.strip() == "django.core.mail.backends.console.EmailBackend"
