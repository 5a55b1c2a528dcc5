"""Marking a debt paid: one service and one permission, whether from the debt's page
(/gestion/dettes/<pk>/marquer-payee/) or from the reconciliation (ticked, or a file)."""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from debts.models import Debt, DebtEvent
from tests.factories import DebtFactory, UserFactory, staff_member

pytestmark = pytest.mark.django_db

RECONCILIATION = "/gestion/suivi/rapprochement/"


@pytest.fixture
def agent_user():
    return staff_member("agent", email="agent@mairie.example")


@pytest.fixture
def agent(client, agent_user):
    client.force_login(agent_user)
    return client


@pytest.fixture
def reader(client):
    """A staff member who reaches the staff pages but may not change a debt's state."""
    user = UserFactory(username="lecteur@mairie.example", is_staff=True)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="debts", codename="access_staff_pages"))
    client.force_login(user)
    return client


def mark_paid_on_the_debt_page(client, debt, reason="Vu sur le relevé Hélios"):
    return client.post(f"/gestion/dettes/{debt.pk}/marquer-payee/", {"reason": reason}, follow=True)


def mark_paid_ticked(client, debt, reason="Vu sur le relevé Hélios"):
    return client.post(f"{RECONCILIATION}selection/", {"debts": [debt.pk], "reason": reason})


def mark_paid_from_a_file(client, debt):
    line = f"{debt.refdet};{timezone.localdate():%d/%m/%Y}\n".encode()
    upload = SimpleUploadedFile("paiements.csv", line, content_type="text/csv")
    return client.post(f"{RECONCILIATION}fichier/", {"client": debt.client_id, "file": upload})


PATHS = {"debt page": mark_paid_on_the_debt_page, "ticked": mark_paid_ticked, "file": mark_paid_from_a_file}


# --- One permission ----------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_a_staff_member_without_the_permission_is_refused_on_every_path(reader, path):
    debt = DebtFactory(state=Debt.State.IN_PROGRESS)
    response = PATHS[path](reader, debt)
    assert response.status_code == 403
    debt.refresh_from_db()
    assert debt.state == Debt.State.IN_PROGRESS
    assert not DebtEvent.objects.exists()


def test_without_the_permission_the_forms_are_refused_too(reader):
    debt = DebtFactory(state=Debt.State.IN_PROGRESS)
    assert reader.get(f"/gestion/dettes/{debt.pk}/marquer-payee/").status_code == 403
    assert reader.get(f"/gestion/dettes/{debt.pk}/annuler/").status_code == 403
    assert reader.post(f"/gestion/dettes/{debt.pk}/annuler/", {"reason": "Erreur"}).status_code == 403
    debt.refresh_from_db()
    assert debt.state == Debt.State.IN_PROGRESS and not DebtEvent.objects.exists()
    # The pages that only read stay open to them.
    assert reader.get(f"/gestion/dettes/{debt.pk}/").status_code == 200
    assert reader.get(RECONCILIATION).status_code == 200


def test_agents_and_administrators_hold_the_permission():
    agent = staff_member("agent", email="agent@mairie.example")
    administrator = staff_member("admin", email="admin@mairie.example", role="Administrateurs")
    assert agent.has_perm("debts.reconcile_debt") and administrator.has_perm("debts.reconcile_debt")


# --- One set of rules --------------------------------------------------------------------


def _refusal_on(client, path, debt) -> str:
    response = PATHS[path](client, debt)
    assert response.status_code == 200
    if path == "debt page":
        return " ".join(message.message for message in response.context["messages"])
    report = response.context["report"]
    assert report.applied == []
    return " ".join(issue.message for issue in report.issues)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("state", "message"),
    [(Debt.State.PAID, "La dette est déjà payée."), (Debt.State.CANCELLED, "La dette est annulée.")],
)
def test_the_same_states_are_refused_with_the_same_message_on_every_path(agent, path, state, message):
    debt = DebtFactory(state=state)
    assert _refusal_on(agent, path, debt) == message
    debt.refresh_from_db()
    assert debt.state == state and not DebtEvent.objects.exists()


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("state", [Debt.State.OPEN, Debt.State.IN_PROGRESS])
def test_the_same_states_are_marked_paid_on_every_path_with_an_audit_record(agent, agent_user, path, state):
    """A debt paid by card (in progress) or by another means (still open) is marked paid."""
    debt = DebtFactory(state=state)
    response = PATHS[path](agent, debt)
    assert response.status_code == 200
    debt.refresh_from_db()
    assert debt.state == Debt.State.PAID
    event = DebtEvent.objects.get()
    assert (event.debt_id, event.action, event.state_before, event.state_after, event.user) == (
        debt.pk,
        "mark_paid",
        state,
        "paid",
        agent_user,
    )
    latest = debt.history.latest()
    assert (latest.state, latest.history_user) == ("paid", agent_user)


@pytest.mark.parametrize("path", ["debt page", "ticked"])
def test_a_reason_is_required_on_every_path(agent, path):
    debt = DebtFactory(state=Debt.State.IN_PROGRESS)
    response = PATHS[path](agent, debt, reason="   ")
    assert response.status_code == 400
    assert "Indiquez le motif" in response.content.decode()
    debt.refresh_from_db()
    assert debt.state == Debt.State.IN_PROGRESS and not DebtEvent.objects.exists()
