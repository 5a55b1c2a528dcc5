"""The staff pages an agent uses every day, at desktop and 375×740: the portal's login and menu, no
horizontal overflow, no serious or critical axe-core violation; the search ignores accents."""

import datetime
import os
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from payments.models import Transaction
from tests.e2e.conftest import VIEWPORTS, serious_violations
from tests.factories import DebtFactory, TipiClientFactory, TransactionFactory, staff_member

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "mot-de-passe-agent-e2e"
SHOTS = os.environ.get("SHOTS_DIR")  # screenshots for a person to look at (never committed)
DAILY_PAGES = [
    "/gestion/",
    "/gestion/dettes/?q=noel",
    "/gestion/imports/nouveau/",
    "/gestion/suivi/",
    "/gestion/suivi/transactions/",
    "/gestion/suivi/retours/",
    "/gestion/suivi/exports/",
]


@pytest.fixture
def agent_data():
    staff_member("agent", PASSWORD, email="agent@mairie.example", first_name="Camille", last_name="Durand")
    cantine = TipiClientFactory(label="Commune de Démo – Restauration scolaire")
    DebtFactory(client=cantine, debtor_name="NOËL Jean", amount_cents=3808)
    DebtFactory(client=cantine, debtor_name="LEFÈVRE Marie", amount_cents=120050)
    now = timezone.now()
    for days_ago in range(0, 90, 4):  # a paid attempt every few days: the chart's 90 days
        paid = TransactionFactory(debt__client=cantine, state="paid", resultrans="P", numauto="123456")
        Transaction.objects.filter(pk=paid.pk).update(
            created_at=now - datetime.timedelta(days=days_ago), settled_at=now - datetime.timedelta(days=days_ago)
        )


def log_in(page, portal):
    page.goto(f"{portal}/gestion/")
    expect(page).to_have_url(re.compile(r"/gestion/admin/login/\?next="))
    expect(page.get_by_role("heading", name="Connexion à la gestion")).to_be_visible()
    page.locator("#id_username").fill("agent")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(f"{portal}/gestion/")


def test_the_daily_staff_pages_fit_and_pass_axe(page, portal, agent_data, viewport):
    page.set_viewport_size(VIEWPORTS[viewport])
    log_in(page, portal)
    header = page.get_by_role("banner")
    expect(header.get_by_text("Connecté : Camille Durand")).to_be_visible()
    expect(header.get_by_role("link", name="Changer le mot de passe")).to_be_visible()
    expect(header.get_by_role("link", name="Payer une facture")).to_have_count(0)
    for path in DAILY_PAGES:
        page.goto(f"{portal}{path}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (viewport, path)
        assert serious_violations(page) == [], (viewport, path)
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            name = path.strip("/").replace("/", "-").replace("?", "-") or "gestion"
            page.screenshot(path=f"{SHOTS}/staff-{name}-{viewport}.png", full_page=True)
    page.goto(f"{portal}/gestion/dettes/?q=noel")
    expect(page.get_by_role("cell", name="NOËL Jean")).to_be_visible()
    expect(page.get_by_text("LEFÈVRE Marie")).to_have_count(0)


def test_the_import_modes_radio_buttons_sit_beside_their_labels(page, portal, agent_data, viewport):
    page.set_viewport_size(VIEWPORTS[viewport])
    log_in(page, portal)
    page.goto(f"{portal}/gestion/imports/nouveau/")
    for value in ("complete", "partial"):
        radio = page.locator(f"input[name=mode][value={value}]").bounding_box()
        label = page.locator(f"label[for=id_mode_{0 if value == 'complete' else 1}]").bounding_box()
        assert radio["x"] + radio["width"] <= label["x"], (viewport, value)  # left of its label
        assert label["y"] <= radio["y"] + radio["height"] / 2 <= label["y"] + label["height"], (viewport, value)
