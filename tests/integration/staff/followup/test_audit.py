"""Audit trail (django-simple-history): who changed a debt or a TIPI client, when, before and after;
viewable for everyone's changes, per user, and per debt, with the reason the staff gave."""

import lxml.html
import pytest

from debts.models import Debt
from payments.models import TipiClient
from tests.conftest import retour_body
from tests.factories import DebtFactory, TipiClientFactory, TransactionFactory, staff_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_user():
    return staff_member("agent", email="agent@mairie.example", first_name="Alice", last_name="Martin")


@pytest.fixture
def admin_user():
    return staff_member("admin", role="Administrateurs", email="admin@mairie.example")


def doc(response):
    return lxml.html.fromstring(response.content.decode())


def audit_rows(response):
    rows = []
    for row in doc(response).xpath("//table[@id='audit']/tbody/tr"):
        rows.append([" ".join(cell.text_content().split()) for cell in row.xpath("td")])
    return rows


def test_a_change_through_the_staff_pages_records_who_did_it(client, agent_user):
    debt = DebtFactory(state=Debt.State.IN_PROGRESS)
    client.force_login(agent_user)
    response = client.post(f"/gestion/dettes/{debt.pk}/marquer-payee/", {"reason": "Vu sur le relevé Hélios"})
    assert response.status_code == 302
    latest = debt.history.latest()
    assert latest.history_user == agent_user and latest.history_type == "~" and latest.state == "paid"
    assert latest.prev_record.state == "in_progress"


def test_a_tipi_return_is_recorded_in_the_history_without_a_staff_member(client, agent_user):
    # The return endpoint's hot path moves the debt with one conditional UPDATE and records the
    # move with one INSERT … SELECT (no ORM save): who is TIPI (no user), the reason says so.
    txn = TransactionFactory()
    rows_before = txn.debt.history.count()
    response = client.post("/tipi/retour/", retour_body(txn), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    txn.refresh_from_db()
    assert txn.debt.state == "in_progress" and txn.state == "paid"
    assert txn.debt.history.count() == rows_before + 1
    latest = txn.debt.history.latest()
    assert (latest.state, latest.history_user, latest.prev_record.state) == ("in_progress", None, "open")
    assert txn.notices.get().outcome == "applied"


def test_a_tipi_return_for_a_debt_created_by_an_import_says_its_state_before(client, agent_user):
    """Imports insert debts in bulk (no history row): a P's move is still read open → in progress."""
    txn = TransactionFactory()
    txn.debt.history.all().delete()
    client.post("/tipi/retour/", retour_body(txn), content_type="application/x-www-form-urlencoded")
    client.force_login(agent_user)
    rows = audit_rows(client.get(f"/gestion/suivi/audit/dette/{txn.debt.pk}/"))
    assert len(rows) == 1
    assert rows[0][1:] == [
        "Aucun agent (retour TIPI, traitement)",
        "Modification",
        "état : À payer → Paiement en ligne en cours de validation",
        "Retour TIPI : paiement accepté (P)",
    ]


def test_the_audit_page_shows_who_what_when_before_and_after(client, agent_user, admin_user):
    tipi_client = TipiClientFactory(label="Cantine du Nord", online_delay_days=60)
    debt = DebtFactory(client=tipi_client, state=Debt.State.IN_PROGRESS)
    client.force_login(agent_user)
    client.post("/gestion/suivi/rapprochement/selection/", {"debts": [debt.pk], "reason": "Relevé du 21/11"})
    client.force_login(admin_user)
    client.post(f"/gestion/suivi/rapprochement/dettes/{debt.pk}/defaire/", {"reason": "Mauvaise ligne"})
    tipi_client.online_delay_days = 90
    tipi_client._history_user = admin_user
    tipi_client.save()

    client.force_login(agent_user)
    rows = audit_rows(client.get("/gestion/suivi/audit/"))
    # Newest first: the client's change, the undo, the reconciliation, then the creations.
    assert rows[0][1:4] == ["admin", f"Client TIPI {tipi_client.numcli} – Cantine du Nord", "Modification"]
    assert rows[0][4] == "délai de mise en ligne (jours) : 60 → 90"
    assert rows[1][1:4] == ["admin", f"Dette {debt.refdet}", "Modification"]
    assert rows[1][4] == "état : Payée → Paiement en ligne en cours de validation"
    assert rows[1][5] == "Mauvaise ligne"
    assert rows[2][1:4] == ["Alice Martin", f"Dette {debt.refdet}", "Modification"]
    assert rows[2][4] == "état : Paiement en ligne en cours de validation → Payée"
    assert rows[2][5] == "Rapprochement : Relevé du 21/11"
    assert {row[3] for row in rows[3:]} == {"Création"}

    # Per user.
    only_agent = audit_rows(client.get("/gestion/suivi/audit/", {"user": agent_user.pk}))
    assert [row[1] for row in only_agent] == ["Alice Martin"]
    only_admin = audit_rows(client.get("/gestion/suivi/audit/", {"user": admin_user.pk, "kind": "debt"}))
    assert [row[4] for row in only_admin] == ["état : Payée → Paiement en ligne en cours de validation"]
    nobody = audit_rows(client.get("/gestion/suivi/audit/", {"user": "system", "kind": "client"}))
    assert [row[3] for row in nobody] == ["Création"]


def test_the_audit_of_one_debt(client, agent_user):
    debt = DebtFactory(state=Debt.State.IN_PROGRESS, amount_cents=3808)
    other = DebtFactory(state=Debt.State.IN_PROGRESS)
    client.force_login(agent_user)
    client.post("/gestion/suivi/rapprochement/selection/", {"debts": [debt.pk, other.pk], "reason": "Relevé"})
    response = client.get(f"/gestion/suivi/audit/dette/{debt.pk}/")
    assert response.status_code == 200
    rows = audit_rows(response)
    assert len(rows) == 2
    assert rows[0][1:5] == [
        "Alice Martin",
        "Modification",
        "état : Paiement en ligne en cours de validation → Payée",
        "Rapprochement : Relevé",
    ]
    assert rows[1][2] == "Création" and "montant : 38,08 €" in rows[1][3]
    events = doc(response).xpath("//table[@id='events']/tbody/tr")
    assert len(events) == 1 and "Rapprochement : Relevé" in events[0].text_content()
    assert client.get("/gestion/suivi/audit/dette/999999/").status_code == 404


def test_a_debt_created_by_an_import_has_no_creation_row_but_its_first_change_is_readable(client, agent_user):
    """Imports insert debts in bulk (no history row): the first change still says who and what."""
    debt = DebtFactory(state=Debt.State.IN_PROGRESS)
    debt.history.all().delete()
    client.force_login(agent_user)
    client.post("/gestion/suivi/rapprochement/selection/", {"debts": [debt.pk], "reason": "Relevé"})
    rows = audit_rows(client.get(f"/gestion/suivi/audit/dette/{debt.pk}/"))
    assert len(rows) == 1
    assert rows[0][3] == "état : Paiement en ligne en cours de validation → Payée"
    Debt.objects.filter(pk=debt.pk).update(label="changé sans trace")
    debt.refresh_from_db()
    debt.history.all().delete()
    debt.state = Debt.State.CANCELLED
    debt.save()
    rows = audit_rows(client.get(f"/gestion/suivi/audit/dette/{debt.pk}/"))
    assert rows[0][3].startswith("état : non enregistré → Annulée")
    assert "Valeurs précédentes non enregistrées" in rows[0][3]


def test_every_save_of_a_tipi_client_is_recorded():
    tipi_client = TipiClientFactory(label="Cantine")
    assert tipi_client.history.count() == 1
    TipiClient.objects.filter(pk=tipi_client.pk).first().save()
    assert tipi_client.history.count() == 2
