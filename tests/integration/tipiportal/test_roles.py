"""Roles: agents and administrators as groups with permissions; citizens never reach staff pages."""

import pytest
from django.contrib.auth.models import Group

from tests.factories import UserFactory, staff_member
from tipiportal.roles import ADMINISTRATORS, AGENTS

pytestmark = pytest.mark.django_db


def test_the_migration_creates_both_roles_with_their_permissions():
    agents = set(Group.objects.get(name=AGENTS).permissions.values_list("codename", flat=True))
    admins = set(Group.objects.get(name=ADMINISTRATORS).permissions.values_list("codename", flat=True))
    assert {"access_staff_pages", "reconcile_debt"} <= agents
    assert "manage_tipi_clients" not in agents
    assert agents < admins and "manage_tipi_clients" in admins


def test_agent_reaches_staff_pages(client):
    client.force_login(staff_member())
    assert client.get("/gestion/").status_code == 200


def test_staff_flag_without_a_role_is_forbidden(client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get("/gestion/").status_code == 403


def test_citizen_and_anonymous_are_sent_to_the_staff_login(client):
    response = client.get("/gestion/dettes/")
    assert response.status_code == 302 and response["Location"].startswith("/gestion/admin/login/")
    client.force_login(UserFactory())
    response = client.get("/gestion/dettes/")
    assert response.status_code == 302 and response["Location"].startswith("/gestion/admin/login/")


def test_staff_user_command_creates_an_administrator():
    from django.core.management import call_command

    call_command(
        "staff_user",
        "--role",
        "administrator",
        "--username",
        "dsi",
        "--email",
        "dsi@mairie.example",
        "--password",
        "Un-mot-de-passe-solide-2026",
    )
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="dsi")
    assert user.is_staff and user.has_perm("payments.manage_tipi_clients")
