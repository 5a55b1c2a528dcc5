"""The logged-in citizen of the account tests."""

import pytest

from tests.factories import UserFactory


@pytest.fixture
def citizen(client):
    user = UserFactory(email="marie.lefevre@example.fr")
    client.force_login(user)
    return user
