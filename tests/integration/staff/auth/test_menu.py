"""The staff pages' header: the portal's look, no citizen menu, the agent's name, their password
change and their second factor's page."""

import lxml.html
import pytest

from tests.factories import staff_member

pytestmark = pytest.mark.django_db


def header_links(response) -> dict[str, str]:
    page = lxml.html.fromstring(response.content.decode())
    return {a.text_content().strip(): a.get("href") for a in page.xpath("//header//nav//a")}


@pytest.fixture
def agent(client):
    client.force_login(staff_member("agent", first_name="Camille", last_name="Durand"))
    return client


@pytest.mark.parametrize("url", ["/gestion/", "/gestion/dettes/", "/gestion/suivi/", "/gestion/imports/nouveau/"])
def test_agents_see_their_menu_not_the_citizens(agent, url):
    response = agent.get(url)
    assert response.status_code == 200
    links = header_links(response)
    assert "Payer une facture" not in links and "Mes factures" not in links
    assert links["Changer le mot de passe"] == "/gestion/securite/mot-de-passe/"
    assert links["Double authentification"] == "/gestion/securite/double-authentification/"
    (user,) = lxml.html.fromstring(response.content.decode()).xpath("//header//li[@class='nav-user']")
    assert user.text_content() == "Connecté : Camille Durand"


def test_the_staff_login_is_the_portals_page_without_the_citizen_menu(client):
    response = client.get("/gestion/admin/login/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "Django" not in text
    assert "<h1>Connexion à la gestion</h1>" in text
    assert "Mes factures" not in header_links(response)


def test_an_agent_changes_their_password_and_stays_logged_in(agent):
    page = agent.get("/gestion/securite/mot-de-passe/")
    assert page.status_code == 200 and "Changer le mot de passe" in page.content.decode()
    response = agent.post(
        "/gestion/securite/mot-de-passe/",
        {
            "old_password": "mot-de-passe-agent",
            "new_password1": "Nouveau-Secret-2026",
            "new_password2": "Nouveau-Secret-2026",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/gestion/"
    assert "Votre mot de passe est changé." in response.content.decode()
    assert response.wsgi_request.user.check_password("Nouveau-Secret-2026")
    assert agent.get("/gestion/dettes/").status_code == 200  # still logged in


def test_a_wrong_old_password_is_said_in_french(agent):
    response = agent.post(
        "/gestion/securite/mot-de-passe/",
        {"old_password": "faux", "new_password1": "Nouveau-Secret-2026", "new_password2": "Nouveau-Secret-2026"},
    )
    assert response.status_code == 200
    assert "Votre ancien mot de passe est incorrect" in response.content.decode()


def test_a_citizen_cannot_reach_the_staff_password_page(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("usager", "usager@example.fr", "x"))
    assert client.get("/gestion/securite/mot-de-passe/").status_code in (302, 403)
