"""The authority's own site: its name, logo and contact on every page, the legal pages from the
settings, French error pages with a way back (DEBUG off), allauth's e-mails signed by it."""

import re

import pytest
from django.core import mail
from django.test import Client

from tests.factories import DebtFactory, UserFactory
from tests.integration.tipiportal.test_settings import PRODUCTION, manage

pytestmark = pytest.mark.django_db

AUTHORITY = {
    "AUTHORITY_NAME": "Ville de Saint-Éloi",
    "AUTHORITY_ADDRESS": "3 rue du Beffroi, 59000 Saint-Éloi",
    "AUTHORITY_PHONE": "03 20 00 00 00",
    "AUTHORITY_EMAIL": "accueil@saint-eloi.example",
    "AUTHORITY_DPO_EMAIL": "rgpd@saint-eloi.example",
    "AUTHORITY_COLOR": "#6a1b3d",
}


@pytest.fixture
def authority(settings):
    for name, value in AUTHORITY.items():
        setattr(settings, name, value)
    return settings


@pytest.mark.parametrize("path", ["/", "/payer/", "/compte/login/", "/mentions-legales/", "/nulle-part/"])
def test_every_page_shows_the_authority_and_links_the_legal_pages(client, authority, path):
    DebtFactory()
    text = client.get(path, follow=True).text
    assert "<title>" in text and "Ville de Saint-Éloi" in text.split("</title>")[0]
    header, footer = text.split("</header>")[0], text.split('<footer class="site-footer"')[1]
    assert 'class="brand-name">Ville de Saint-Éloi<' in header and 'src="/static/img/logo-demo.svg"' in header
    assert "3 rue du Beffroi, 59000 Saint-Éloi" in footer and 'href="tel:0320000000"' in footer
    for link in ('href="/mentions-legales/"', 'href="/accessibilite/"', 'href="/donnees-personnelles/"'):
        assert link in footer
    assert "Accessibilité : non conforme" in footer


def test_theme_css_is_the_authority_colour(client, authority):
    response = client.get("/theme.css")
    assert response["Content-Type"].startswith("text/css")
    assert response.text == ":root { --blue: #6a1b3d; }\n"


def test_legal_notice_names_the_publisher_and_host(client, authority):
    authority.AUTHORITY_PUBLICATION_DIRECTOR = "Mme la maire de Saint-Éloi"
    authority.AUTHORITY_HOSTING = "Hébergeur Exemple SAS, 1 quai du Port, 13000 Marseille"
    text = client.get("/mentions-legales/").text
    for expected in ("Ville de Saint-Éloi", "Mme la maire de Saint-Éloi", "Hébergeur Exemple SAS", "03 20 00 00 00"):
        assert expected in text


def test_accessibility_statement_follows_rgaa(client, authority):
    authority.ACCESSIBILITY_CONFORMITY = "partiellement"
    authority.ACCESSIBILITY_AUDIT = "Audit réalisé le 2 mars 2026 par Exemple Audit : 78 % des critères respectés."
    authority.ACCESSIBILITY_NON_COMPLIANT = ["Les avis PDF anciens ne sont pas balisés."]
    authority.ACCESSIBILITY_CONTACT = "accessibilite@saint-eloi.example"
    text = client.get("/accessibilite/").text
    assert "<strong>partiellement conforme</strong>" in text and "RGAA" in text
    assert "78 % des critères respectés" in text
    assert "Les avis PDF anciens ne sont pas balisés." in text
    assert 'href="mailto:accessibilite@saint-eloi.example"' in text
    assert "Défenseur des droits" in text and "Libre réponse 71120" in text
    assert "Accessibilité : partiellement conforme" in text  # the footer says it too


def test_personal_data_page_gives_the_retention_settings_and_who_to_ask(client, authority):
    authority.PERSONAL_DATA_RETENTION_DAYS = 123
    authority.RETURNS_JUNK_RETENTION_DAYS = 17
    authority.IMPORT_FILES_RETENTION_DAYS = 5
    text = client.get("/donnees-personnelles/").text
    assert "123 jours, puis effacée" in text and 'data-label="Durée">17 jours</td>' in text and "après 5 jours" in text
    assert 'href="mailto:rgpd@saint-eloi.example"' in text and "CNIL" in text


@pytest.fixture
def production_errors(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.integration.tipiportal.error_urls"
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    ("path", "status", "title"),
    [
        ("/nulle-part/", 404, "Page introuvable"),
        ("/essai/interdit/", 403, "Accès refusé"),
        ("/essai/panne/", 500, "Erreur du site"),
    ],
)
def test_error_pages_are_french_in_the_site_look_with_a_way_back(production_errors, authority, path, status, title):
    response = production_errors.get(path)
    assert response.status_code == status
    assert f"<h1>{title}</h1>" in response.text
    assert 'class="brand-name">Ville de Saint-Éloi<' in response.text
    assert 'href="/">Revenir à l\'accueil</a>' in response.text.replace("&#x27;", "'")
    assert "Not Found" not in response.text and "Forbidden" not in response.text


def test_bad_request_page(production_errors, authority):
    response = production_errors.get("/", HTTP_HOST="inconnu.example")  # not in ALLOWED_HOSTS
    assert response.status_code == 400
    assert "<h1>Demande incorrecte</h1>" in response.text and "Revenir à l" in response.text


def test_csrf_failure_page(production_errors, authority):
    debt = DebtFactory()
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/payer/{debt.client.numcli}/", {"exercice": "2026"})
    assert response.status_code == 403
    assert "<h1>Formulaire expiré</h1>" in response.text and "rechargez-la" in response.text
    assert 'class="brand-name">Ville de Saint-Éloi<' in response.text


def test_allauth_emails_come_from_the_authority(client, authority):
    authority.DEFAULT_FROM_EMAIL = "Ville de Saint-Éloi <paiement@saint-eloi.example>"
    authority.ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Ville de Saint-Éloi] "
    client.post(
        "/compte/signup/",
        {"email": "camille@example.fr", "password1": "Un-mot-2026-solide", "password2": "Un-mot-2026-solide"},
    )
    user = UserFactory(email="lucie@example.fr", username="lucie-interne-42")
    user.emailaddress_set.create(email=user.email, verified=True, primary=True)
    client.post("/compte/password/reset/", {"email": user.email})
    confirmation, reset = mail.outbox
    for message in (confirmation, reset):
        assert message.from_email == "Ville de Saint-Éloi <paiement@saint-eloi.example>"
        assert message.subject.startswith("[Ville de Saint-Éloi] ")
        assert message.body.startswith("Bonjour,")
        assert "Ville de Saint-Éloi" in message.body and "3 rue du Beffroi" in message.body
        assert "testserver" not in message.body.replace("http://testserver/", "")  # the host only in the link
        assert "example.com" not in message.body
    assert re.search(r"http://testserver/compte/confirm-email/\S+/", confirmation.body)
    assert "lucie-interne-42" not in reset.body and "nom d'utilisateur" not in reset.body


@pytest.mark.parametrize(
    ("name", "value", "refusal"),
    [
        ("AUTHORITY_COLOR", "#ffcc00", "AUTHORITY_COLOR #ffcc00 has a contrast of 1.51:1 with white"),
        ("ACCESSIBILITY_CONFORMITY", "conforme", "ACCESSIBILITY_CONFORMITY is totalement, partiellement or non"),
    ],
)
def test_the_site_refuses_to_start_with_an_unreadable_colour_or_an_unknown_conformity(name, value, refusal):
    result = manage("check", env={**PRODUCTION, name: value})
    assert result.returncode != 0 and refusal in result.stderr
    assert manage("check", env=PRODUCTION).returncode == 0
