"""Fixtures of the import pages' tests: the imports directory, tasks run at once, a logged-in agent."""

import pytest

from tests.factories import staff_member


@pytest.fixture(autouse=True)
def imports_dir(settings, tmp_path):
    settings.IMPORTS_DIR = tmp_path / "imports"
    return settings.IMPORTS_DIR


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """The import task runs inside the request, as a worker would run it (django-tasks 0.12)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def staff_user():
    return staff_member("agent", "mot-de-passe-agent")


@pytest.fixture
def staff(client, staff_user):
    client.force_login(staff_user)
    return client
