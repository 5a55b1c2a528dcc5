"""TIPI console: who reaches its pages, and the configuration of the TIPI clients (rules, audit)."""

import html

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from payments.models import TipiClient
from payments.services.tipi_clients import tipi_client_save
from payments.tipi import Protocol
from staff.followup.audit import client_audit_entries
from tests.factories import DebtFactory, TipiClientFactory, TransactionFactory, staff_member

pytestmark = pytest.mark.django_db

LOGIN = "/gestion/admin/login/"


@pytest.fixture
def administrator():
    return staff_member("admin", "mot-de-passe-admin", role="Administrateurs", email="admin@mairie.example")


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


def console_urls(tipi_client, transaction):
    return [
        "/gestion/tipi/",
        "/gestion/tipi/clients/nouveau/",
        f"/gestion/tipi/clients/{tipi_client.pk}/",
        f"/gestion/tipi/clients/{tipi_client.pk}/modifier/",
        f"/gestion/tipi/clients/{tipi_client.pk}/essais/{transaction.public_id}/",
    ]


@pytest.fixture
def pages():
    tipi_client = TipiClientFactory(state="new")
    transaction = TransactionFactory(
        debt=None, client=tipi_client, saisie="T", refdet="999900000000999999", amount_cents=111111
    )
    return console_urls(tipi_client, transaction)


def valid(**overrides):
    data = {
        "numcli": "654321",
        "protocol": "indigo",
        "label": "Régie des eaux",
        "online_delay_days": "60",
        "code_recette": "",
        "mode": "classic",
        "state": "new",
    }
    data.update(overrides)
    return data


# --- Who reaches the console --------------------------------------------------------------------


def test_anonymous_is_sent_to_the_staff_login_from_every_console_page(client, pages):
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{LOGIN}?next={url}", url


def test_citizen_is_sent_to_the_staff_login_from_every_console_page(client, pages):
    client.force_login(get_user_model().objects.create_user("usager", "usager@example.fr", "mot-de-passe-usager"))
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{LOGIN}?next="), url


def test_agent_is_forbidden_every_console_page(client, pages):
    client.force_login(staff_member("agent", "mot-de-passe-agent"))
    for url in pages:
        assert client.get(url).status_code == 403, url


def test_administrator_reaches_every_console_page(admin_client, pages):
    for url in pages:
        assert admin_client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["anonymous", "citizen", "agent"])
def test_posts_without_an_administrator_change_nothing(client, who):
    tipi_client = TipiClientFactory(state="new", label="Cantine")
    if who == "citizen":
        client.force_login(get_user_model().objects.create_user("usager", password="x-usager-x"))
    elif who == "agent":
        client.force_login(staff_member("agent", "mot-de-passe-agent"))
    posts = [
        ("/gestion/tipi/clients/nouveau/", valid()),
        (f"/gestion/tipi/clients/{tipi_client.pk}/modifier/", valid(numcli=tipi_client.numcli, label="Piscine")),
        (
            f"/gestion/tipi/clients/{tipi_client.pk}/",
            {"saisie": "X", "email": "a.b@example.fr", "with_return_url": "on"},
        ),
    ]
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code == (403 if who == "agent" else 302), url
    assert TipiClient.objects.count() == 1
    assert TipiClient.objects.get().label == "Cantine"
    assert not tipi_client.transactions.exists()
    assert list(TipiClient.history.values_list("history_type", flat=True)) == ["+"]  # the factory's creation


def test_staff_home_links_the_console_for_administrators_only(client, admin_client):
    assert "/gestion/tipi/" in admin_client.get("/gestion/").text
    client.logout()
    client.force_login(staff_member("agent", "mot-de-passe-agent"))
    assert "/gestion/tipi/" not in client.get("/gestion/").text


# --- Creating and changing a client -----------------------------------------------------------


def test_administrator_creates_a_client_and_the_creation_is_audited(admin_client, administrator):
    response = admin_client.post("/gestion/tipi/clients/nouveau/", valid(accept_only_known_debts="on"))
    tipi_client = TipiClient.objects.get(numcli="654321")
    assert response.status_code == 302 and response["Location"] == f"/gestion/tipi/clients/{tipi_client.pk}/"
    assert (tipi_client.protocol, tipi_client.label, tipi_client.online_delay_days, tipi_client.state) == (
        "indigo",
        "Régie des eaux",
        60,
        "new",
    )
    assert tipi_client.accept_only_known_debts is True
    event = TipiClient.history.get()
    assert (event.instance, event.history_user, event.history_type) == (tipi_client, administrator, "+")
    page = html.unescape(admin_client.get(response["Location"]).text)
    assert "Client TIPI 654321 – Régie des eaux" in page
    assert "Création" in page and "admin" in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"numcli": "12345"}, "numcli", "Le numéro client TIPI comporte exactement 6 chiffres."),
        ({"numcli": "1234567"}, "numcli", "Le numéro client TIPI comporte exactement 6 chiffres."),
        ({"numcli": "12345A"}, "numcli", "Le numéro client TIPI comporte exactement 6 chiffres."),
        (
            {"online_delay_days": "9"},
            "online_delay_days",
            "Le délai de mise en ligne est compris entre 10 et 360 jours.",
        ),
        (
            {"online_delay_days": "361"},
            "online_delay_days",
            "Le délai de mise en ligne est compris entre 10 et 360 jours.",
        ),
        (
            {"protocol": "rolmre", "code_recette": ""},
            "code_recette",
            "le code recette (ROLREC) comporte 2 lettres ou chiffres",
        ),
        (
            {"protocol": "rolmre", "code_recette": "E"},
            "code_recette",
            "le code recette (ROLREC) comporte 2 lettres ou chiffres",
        ),
        (
            {"protocol": "rolmre", "code_recette": "É1"},
            "code_recette",
            "le code recette (ROLREC) comporte 2 lettres ou chiffres",
        ),
        (
            {"protocol": "indigo", "code_recette": "EA"},
            "code_recette",
            "Le code recette ne concerne que les clients ROLMRE",
        ),
        ({"label": "  "}, "label", "Ce champ est obligatoire."),
    ],
)
def test_bad_values_are_refused_next_to_their_field(admin_client, overrides, field, message):
    response = admin_client.post("/gestion/tipi/clients/nouveau/", valid(**overrides))
    assert response.status_code == 400
    assert message in html.unescape(response.text)
    assert message in " ".join(response.context["form"].errors[field])
    assert not TipiClient.objects.exists()
    assert not TipiClient.history.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"numcli": "12345"}, "numcli"),
        ({"numcli": " 1234567"}, "numcli"),
        ({"online_delay_days": 9}, "online_delay_days"),
        ({"online_delay_days": 361}, "online_delay_days"),
        ({"online_delay_days": None}, "online_delay_days"),
        ({"protocol": "rolmre", "code_recette": ""}, "code_recette"),
        ({"protocol": "pesv2", "code_recette": "EA"}, "code_recette"),
        ({"protocol": "titre"}, "protocol"),
        ({"mode": "webservice"}, "mode"),
        ({"protocol": "pesv2", "mode": "webservice"}, "mode"),
        ({"protocol": "regie", "mode": "soap"}, "mode"),
        ({"state": "active"}, "state"),
    ],
)
def test_the_service_refuses_what_the_form_would_let_through(administrator, overrides, field):
    data = {"numcli": "654321", "protocol": "indigo", "label": "Eau", "online_delay_days": 60, "state": "new"}
    data.update(overrides)
    with pytest.raises(ValidationError) as refused:
        tipi_client_save(user=administrator, **data)
    assert field in refused.value.message_dict
    assert not TipiClient.objects.exists()


def test_the_delay_bounds_10_and_360_are_accepted(administrator):
    for numcli, delay in (("100010", 10), ("100360", 360)):
        assert (
            tipi_client_save(
                user=administrator, numcli=numcli, protocol="indigo", label="Eau", online_delay_days=delay
            ).online_delay_days
            == delay
        )


def test_regie_client_in_webservice_mode(admin_client):
    response = admin_client.post(
        "/gestion/tipi/clients/nouveau/", valid(protocol="regie", mode="webservice", label="Régie cantine")
    )
    assert response.status_code == 302
    client = TipiClient.objects.get()
    assert (client.protocol, client.mode, client.state) == ("regie", "webservice", "new")
    assert client.tipi_protocol is Protocol.REGIE and client.is_webservice
    listing = html.unescape(admin_client.get("/gestion/tipi/").text)
    assert "Régie (factures)" in listing and "Web-service PayFiP (SAISIE W)" in listing
    detail = html.unescape(admin_client.get(f"/gestion/tipi/clients/{client.pk}/").text)
    assert "Web-service PayFiP (SAISIE W)" in detail


def test_a_regie_client_may_stay_classic_and_change_mode_later(admin_client):
    assert admin_client.post("/gestion/tipi/clients/nouveau/", valid(protocol="regie")).status_code == 302
    client = TipiClient.objects.get()
    assert client.mode == TipiClient.Mode.CLASSIC
    response = admin_client.post(
        f"/gestion/tipi/clients/{client.pk}/modifier/", valid(protocol="regie", mode="webservice")
    )
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.mode == TipiClient.Mode.WEBSERVICE
    assert [entry.mode for entry in client.history.order_by("history_id")] == ["classic", "webservice"]


@pytest.mark.parametrize("protocol", ["indigo", "pesv2", "rolmre"])
def test_the_webservice_mode_is_refused_to_a_titre_client_next_to_its_field(admin_client, protocol):
    extra = {"code_recette": "EA"} if protocol == "rolmre" else {}
    response = admin_client.post("/gestion/tipi/clients/nouveau/", valid(protocol=protocol, mode="webservice", **extra))
    assert response.status_code == 400
    assert "n'est proposé qu'aux clients « Régie »" in " ".join(response.context["form"].errors["mode"])
    assert not TipiClient.objects.exists()


def test_the_database_refuses_a_webservice_titre_client_too():
    # The rule holds below the service (the Django admin is read-only, but a shell or a bug is not).
    client = TipiClient(numcli="654321", protocol="indigo", label="Eau", mode="webservice")
    with pytest.raises(ValidationError) as refused:
        client.full_clean()
    assert "n'est proposé qu'aux clients « Régie »" in str(refused.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        client.save()
    assert not TipiClient.objects.exists()


def test_rolmre_client_with_its_code_recette(admin_client):
    response = admin_client.post("/gestion/tipi/clients/nouveau/", valid(protocol="rolmre", code_recette="EA"))
    assert response.status_code == 302
    assert TipiClient.objects.get().code_recette == "EA"


def test_numcli_is_unique(admin_client):
    TipiClientFactory(numcli="654321")
    response = admin_client.post("/gestion/tipi/clients/nouveau/", valid())
    assert response.status_code == 400
    assert "Un autre client TIPI porte déjà le numéro 654321." in html.unescape(response.text)


def test_a_client_cannot_be_created_active(admin_client):
    response = admin_client.post("/gestion/tipi/clients/nouveau/", valid(state="active"))
    assert response.status_code == 400
    assert not TipiClient.objects.exists()
    # The page offers the states allowed at creation only, and says where activation comes from.
    assert [value for value, _ in response.context["form"].fields["state"].choices] == ["new", "inactive"]
    assert "au retour de son URL d'activation (SAISIE=X)" in html.unescape(response.text)


def test_edit_records_who_changed_what(admin_client, administrator):
    tipi_client = TipiClientFactory(numcli="654321", label="Cantine", online_delay_days=60, state="new")
    response = admin_client.post(
        f"/gestion/tipi/clients/{tipi_client.pk}/modifier/", valid(label="Cantine scolaire", online_delay_days="90")
    )
    assert response.status_code == 302
    tipi_client.refresh_from_db()
    assert (tipi_client.label, tipi_client.online_delay_days) == ("Cantine scolaire", 90)
    event = client_audit_entries(tipi_client)[0]
    assert event.type_label == "Modification" and event.user == administrator
    assert [(c.label, c.before, c.after) for c in event.changes] == [
        ("libellé", "Cantine", "Cantine scolaire"),
        ("délai de mise en ligne (jours)", "60", "90"),
    ]
    page = html.unescape(admin_client.get(f"/gestion/tipi/clients/{tipi_client.pk}/").text)
    assert "Libellé : Cantine → Cantine scolaire" in page


def test_saving_without_change_records_nothing(admin_client):
    tipi_client = TipiClientFactory(numcli="654321", label="Régie des eaux", online_delay_days=60, state="new")
    response = admin_client.post(f"/gestion/tipi/clients/{tipi_client.pk}/modifier/", valid())
    assert response.status_code == 302
    assert tipi_client.history.count() == 1  # the factory's creation only


@pytest.mark.parametrize(
    ("before", "after", "allowed"),
    [
        ("new", "inactive", True),
        ("inactive", "new", True),
        ("active", "inactive", True),
        ("inactive", "active", True),
        ("new", "active", False),
        ("active", "new", False),
    ],
)
def test_states_changed_by_hand(administrator, before, after, allowed):
    tipi_client = TipiClientFactory(state=before)
    data = {"numcli": tipi_client.numcli, "protocol": "indigo", "label": tipi_client.label, "online_delay_days": 60}
    if allowed:
        tipi_client_save(user=administrator, client=tipi_client, state=after, **data)
        tipi_client.refresh_from_db()
        assert tipi_client.state == after
        assert [c.label for c in client_audit_entries(tipi_client)[0].changes] == ["état"]
    else:
        with pytest.raises(ValidationError) as refused:
            tipi_client_save(user=administrator, client=tipi_client, state=after, **data)
        assert "state" in refused.value.message_dict
        tipi_client.refresh_from_db()
        assert tipi_client.state == before


def test_edit_page_offers_only_the_allowed_states(admin_client):
    tipi_client = TipiClientFactory(state="new")
    form = admin_client.get(f"/gestion/tipi/clients/{tipi_client.pk}/modifier/").context["form"]
    assert [value for value, _ in form.fields["state"].choices] == ["new", "inactive"]
    response = admin_client.post(
        f"/gestion/tipi/clients/{tipi_client.pk}/modifier/",
        valid(numcli=tipi_client.numcli, label=tipi_client.label, state="active"),
    )
    assert response.status_code == 400
    tipi_client.refresh_from_db()
    assert tipi_client.state == "new"


def test_an_activation_return_arriving_meanwhile_is_not_undone(administrator):
    """The page showed "new"; meanwhile the X return made the client active: saving refuses."""
    tipi_client = TipiClientFactory(state="new")
    seen = TipiClient.objects.get(pk=tipi_client.pk)
    TipiClient.objects.filter(pk=tipi_client.pk).update(state="active")
    with pytest.raises(ValidationError):
        tipi_client_save(
            user=administrator,
            client=seen,
            numcli=seen.numcli,
            protocol="indigo",
            label="Autre",
            online_delay_days=60,
            state="new",
        )
    tipi_client.refresh_from_db()
    assert tipi_client.state == "active" and tipi_client.label != "Autre"


def test_numcli_and_protocol_are_frozen_once_the_client_has_debts(administrator):
    debt = DebtFactory()
    tipi_client = debt.client
    common = {"label": tipi_client.label, "online_delay_days": 60, "state": tipi_client.state}
    with pytest.raises(ValidationError) as refused:
        tipi_client_save(user=administrator, client=tipi_client, numcli="999999", protocol="indigo", **common)
    assert "ne peuvent plus changer" in refused.value.message_dict["numcli"][0]
    with pytest.raises(ValidationError) as refused:
        tipi_client_save(user=administrator, client=tipi_client, numcli=tipi_client.numcli, protocol="pesv2", **common)
    assert "ne peuvent plus changer" in refused.value.message_dict["protocol"][0]
    # Other settings still change.
    tipi_client_save(
        user=administrator,
        client=tipi_client,
        numcli=tipi_client.numcli,
        protocol="indigo",
        **{**common, "online_delay_days": 120},
    )
    tipi_client.refresh_from_db()
    assert tipi_client.online_delay_days == 120


def test_client_list_shows_every_client_with_its_state(admin_client):
    TipiClientFactory(numcli="111111", label="Cantine", state="new")
    TipiClientFactory(numcli="222222", label="Eau", state="active")
    page = html.unescape(admin_client.get("/gestion/tipi/").text)
    assert "Cantine" in page and "Eau" in page
    assert "Nouveau (à activer)" in page and "Actif" in page
