"""The attacks replay dozens of logins: a fast hasher keeps them quick (what is tested is the
throttling, not the hash)."""

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
