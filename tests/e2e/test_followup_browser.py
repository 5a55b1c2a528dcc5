"""An agent reconciles debts from the accounting's CSV in real Chromium: staff login, upload, report;
and the follow-up pages pass axe-core's serious checks."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from debts.models import Debt, DebtEvent
from payments.models import ReturnNotice
from tests.e2e.conftest import serious_violations
from tests.factories import DebtFactory, TipiClientFactory, TransactionFactory, staff_member

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "mot-de-passe-agent-e2e"


@pytest.fixture
def agent_user():
    return staff_member("agent", PASSWORD, email="agent@mairie.example")


def log_in(page, portal, next_path):
    page.goto(f"{portal}{next_path}")
    expect(page).to_have_url(re.compile(r"/gestion/admin/login/\?next="))
    page.locator("#id_username").fill("agent")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit], button[type=submit]").first.click()
    expect(page).to_have_url(f"{portal}{next_path}")


def test_agent_reconciles_in_bulk_from_the_accounting_file(page, portal, agent_user):
    north = TipiClientFactory(label="Cantine du Nord")
    TipiClientFactory(label="Eau du Sud")
    first = DebtFactory(client=north, state=Debt.State.IN_PROGRESS, amount_cents=3808, debtor_name="LEFÈVRE Marie")
    second = DebtFactory(client=north, state=Debt.State.IN_PROGRESS, amount_cents=12000, debtor_name="DURAND Paul")
    waiting = DebtFactory(client=north, state=Debt.State.IN_PROGRESS, debtor_name="MARTIN Louise")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    content = (
        "REFDET;Date de paiement\r\n"
        f"{first.refdet};{yesterday:%d/%m/%Y}\r\n"
        "999999999999999999;21/11/2026\r\n"
        f"{second.refdet};{yesterday:%Y-%m-%d}\r\n"
    ).encode()

    log_in(page, portal, "/gestion/suivi/rapprochement/")
    expect(page.get_by_role("heading", name="Rapprochement des paiements")).to_be_visible()
    in_progress = page.get_by_role("table", name=re.compile(r"^Dettes en cours de validation \(3\)"))
    expect(in_progress.get_by_role("row")).to_have_count(4)

    upload = page.locator("#file-form")
    upload.get_by_label("Client TIPI").select_option(label=str(north))
    upload.get_by_label("Fichier de la comptabilité (CSV)").set_input_files(
        {"name": "compta-novembre.csv", "mimeType": "text/csv", "buffer": content}
    )
    upload.get_by_role("button", name="Rapprocher le fichier").click()

    expect(
        page.get_by_role(
            "heading", name="Compte rendu du rapprochement du fichier « compta-novembre.csv » (Cantine du Nord)"
        )
    ).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="lignes lues")).to_have_text(
        "4 lignes lues (ligne d'en-tête comprise) : 2 dettes marquées payées, 1 ligne en anomalie (non appliquée)."
    )
    issues = page.get_by_role("table", name="Lignes en anomalie (1)")
    expect(issues.get_by_role("row").nth(1)).to_have_text(
        re.compile(r"^\s*3\s*999999999999999999\s*Référence \(REFDET\) inconnue pour le client Cantine du Nord\.\s*$")
    )
    applied = page.get_by_role("table", name="Dettes marquées payées (2)")
    expect(applied).to_contain_text(first.refdet)
    expect(applied).to_contain_text(second.refdet)
    # Only the debt not in the file is still waiting.
    expect(
        page.get_by_role("table", name=re.compile(r"^Dettes en cours de validation \(1\)")).get_by_role("row")
    ).to_have_count(2)

    states = dict(Debt.objects.values_list("pk", "state"))
    assert (states[first.pk], states[second.pk], states[waiting.pk]) == ("paid", "paid", "in_progress")
    assert sorted(DebtEvent.objects.values_list("reason", flat=True)) == [
        f"Rapprochement fichier compta-novembre.csv, ligne 2, payé le {yesterday:%d/%m/%Y}",
        f"Rapprochement fichier compta-novembre.csv, ligne 4, payé le {yesterday:%d/%m/%Y}",
    ]
    assert {record.history_user for record in first.history.filter(history_type="~")} == {agent_user}

    # A mistake is undone from the report, with a reason.
    applied.get_by_role("link", name=f"Défaire pour {second.refdet}").click()
    page.get_by_label("Motif").fill("Ligne du mauvais exercice")
    page.get_by_role("button", name="Défaire le paiement").click()
    expect(page.get_by_role("status").filter(has_text="est défait")).to_be_visible()
    assert Debt.objects.get(pk=second.pk).state == Debt.State.IN_PROGRESS


def test_follow_up_pages_have_no_serious_accessibility_violation(page, portal, agent_user):
    debt = DebtFactory(state=Debt.State.IN_PROGRESS, amount_cents=3808)
    txn = TransactionFactory(debt=debt, state="paid", numauto="123456", dattrans=timezone.localdate())
    txn.settled_at = timezone.now()
    txn.save()
    ReturnNotice.objects.create(body=b"NUMCLI=1&RESULTRANS=P", outcome="applied", transaction=txn, resultrans="P")
    ReturnNotice.objects.create(body=b"<b>bad</b>", outcome="malformed")
    log_in(page, portal, "/gestion/suivi/")
    failures = {}
    for path in (
        "/gestion/suivi/",
        "/gestion/suivi/transactions/",
        f"/gestion/suivi/transactions/{txn.pk}/",
        "/gestion/suivi/retours/",
        "/gestion/suivi/rapprochement/",
        "/gestion/suivi/exports/",
        "/gestion/suivi/audit/",
        f"/gestion/suivi/audit/dette/{debt.pk}/",
    ):
        page.goto(f"{portal}{path}")
        failures[path] = serious_violations(page)
    # The chart is drawn: its bars are there without any script.
    page.goto(f"{portal}/gestion/suivi/")
    expect(page.locator("figure.chart svg rect")).to_have_count(1)
    assert {path: found for path, found in failures.items() if found} == {}
