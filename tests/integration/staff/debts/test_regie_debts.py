"""A régie invoice created and cancelled by hand (/gestion/dettes/nouvelle/, /annuler/): one
service each, the permission of every change by hand, recorded in the debt's history."""

import datetime
import html

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.utils import timezone

from debts.models import Debt, DebtorReference
from debts.services.debts import CREATED_BY_HAND_REASON, debt_create
from payments.tipi import regie_refdet
from tests.factories import RegieClientFactory, RegieDebtFactory, TipiClientFactory, UserFactory, staff_member

pytestmark = pytest.mark.django_db
NEW = "/gestion/dettes/nouvelle/"


@pytest.fixture
def agent_user():
    return staff_member("agent", email="agent@mairie.example")


@pytest.fixture
def agent(client, agent_user):
    client.force_login(agent_user)
    return client


@pytest.fixture
def canteen():
    return RegieClientFactory(label="Régie cantine", online_delay_days=90)


def invoice(client, **overrides):
    data = {
        "client": client.pk,
        "invoice_reference": "FAC-2026/0099",
        "debtor_ref": "FAM0012",
        "debtor_name": "Lefèvre  Marie",
        "debtor_address": "12 rue des Lilas\r\n75011 Paris",
        "label": "Cantine novembre 2026",
        "amount_cents": "42,50",
        "issued_on": "01/12/2026",
        "due_on": "2026-12-31",
    }
    data.update(overrides)
    return data


def test_an_agent_creates_a_regie_invoice_payable_today_with_its_history(agent, agent_user, canteen):
    assert "Saisir une facture de régie" in agent.get("/gestion/dettes/").text
    response = agent.post(NEW, invoice(canteen))
    debt = Debt.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/gestion/dettes/{debt.pk}/"
    today = timezone.localdate()
    assert (debt.client, debt.invoice_reference, debt.refdet) == (
        canteen,
        "FAC-2026/0099",
        regie_refdet("FAC-2026/0099"),
    )
    assert (debt.amount_cents, debt.debtor_name, debt.debtor_address, debt.state) == (
        4250,
        "Lefèvre Marie",
        "12 rue des Lilas\n75011 Paris",
        "open",
    )
    assert (debt.issued_on, debt.due_on) == (datetime.date(2026, 12, 1), datetime.date(2026, 12, 31))
    assert (debt.online_from, debt.online_until) == (today, today + datetime.timedelta(days=90))
    assert debt.debtor == DebtorReference.objects.get(client=canteen, reference="FAM0012")
    assert len(debt.debtor.access_code) == 10
    [created] = debt.history.all()
    assert (created.history_type, created.history_user, created.history_change_reason) == (
        "+",
        agent_user,
        CREATED_BY_HAND_REASON,
    )
    page = html.unescape(agent.get(response["Location"]).text)
    assert "Facture FAC-2026/0099 enregistrée" in page and "Numéro de facture" in page and debt.refdet in page


def test_an_existing_family_keeps_its_access_code(agent, canteen):
    family = DebtorReference.objects.create(client=canteen, reference="FAM0012")
    agent.post(NEW, invoice(canteen))
    assert Debt.objects.get().debtor == family
    assert DebtorReference.objects.get().access_code == family.access_code


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"invoice_reference": ""}, "invoice_reference", "Ce champ est obligatoire."),
        ({"debtor_ref": " "}, "debtor_ref", "Ce champ est obligatoire."),
        ({"amount_cents": "0"}, "amount_cents", "Indiquez un montant positif"),
        ({"amount_cents": "douze"}, "amount_cents", "Saisissez le montant en euros"),
        ({"due_on": "30/11/2026"}, "due_on", "ne peut pas précéder la date d'émission"),
        ({"issued_on": "31/02/2026"}, "issued_on", "Date incorrecte"),
        ({"debtor_ref": "FAM\x0712"}, "debtor_ref", "Caractère de contrôle"),
    ],
)
def test_bad_values_are_refused_in_french_next_to_their_field(agent, canteen, overrides, field, message):
    response = agent.post(NEW, invoice(canteen, **overrides))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not Debt.objects.exists()


def test_an_invoice_number_already_held_by_the_regie_is_refused(agent, canteen):
    RegieDebtFactory(client=canteen, invoice_reference="FAC-2026/0099")
    response = agent.post(NEW, invoice(canteen))
    assert response.status_code == 400
    assert "déjà enregistrée pour cette régie" in " ".join(response.context["form"].errors["invoice_reference"])
    # Another régie may have the same number.
    assert agent.post(NEW, invoice(RegieClientFactory())).status_code == 302


def test_only_a_regie_s_invoices_are_typed_by_hand(agent, agent_user, canteen):
    titres = TipiClientFactory(protocol="indigo")
    response = agent.post(NEW, invoice(titres))
    assert response.status_code == 400 and "client" in response.context["form"].errors
    with pytest.raises(ValidationError) as refused:
        debt_create(
            user=agent_user,
            client=titres,
            invoice_reference="FAC1",
            debtor_ref="F1",
            debtor_name="X",
            amount_cents=100,
            issued_on=datetime.date(2026, 12, 1),
            due_on=datetime.date(2026, 12, 1),
        )
    assert "les titres viennent d'Hélios" in refused.value.message_dict["client"][0]
    assert not Debt.objects.exists()


def test_who_may_not_change_debts_by_hand_may_not_create_one(client, canteen):
    reader = UserFactory(username="lecteur@mairie.example", is_staff=True)
    reader.user_permissions.add(Permission.objects.get(content_type__app_label="debts", codename="access_staff_pages"))
    client.force_login(reader)
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, invoice(canteen)).status_code == 403
    assert "Saisir une facture de régie" not in client.get("/gestion/dettes/").text
    client.force_login(UserFactory())  # a citizen: sent to the staff login
    assert client.get(NEW).status_code == 302
    assert not Debt.objects.exists()


def test_an_agent_cancels_a_regie_invoice_and_its_history_says_who_and_why(agent, agent_user, canteen):
    debt = RegieDebtFactory(client=canteen, invoice_reference="FAC-2026/0100")
    page = html.unescape(agent.get(f"/gestion/dettes/{debt.pk}/annuler/").text)
    assert "Annuler la dette FAC-2026/0100" in page
    agent.post(f"/gestion/dettes/{debt.pk}/annuler/", {"reason": "Facture émise deux fois"})
    debt.refresh_from_db()
    assert debt.state == "cancelled"
    assert debt.history.latest("history_date").history_user == agent_user
    assert debt.events.get().reason == "Facture émise deux fois"
