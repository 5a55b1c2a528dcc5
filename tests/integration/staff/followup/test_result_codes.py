"""Staff pages name each result and its means: transactions (and their filter), the journal of
returns, the exports, the dashboard, the reconciliation, the console's attempts, the admin."""

import csv
import io

import lxml.html
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from payments.models import ReturnNotice, Transaction
from tests.conftest import retour_body
from tests.factories import TransactionFactory, staff_member

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def agent(client):
    client.force_login(staff_member("agent", email="agent@mairie.example"))
    return client


@pytest.fixture
def results(client):
    """Through the return endpoint: a card payment, a debit payment, a refused debit, an unknown code."""
    made = {}
    for code, numauto, cents in [("P", "123456", 1000), ("V", "", 2500), ("Z", "", 700), ("Q", "", 300)]:
        transaction = TransactionFactory(debt__amount_cents=cents)
        client.post("/tipi/retour/", data=retour_body(transaction, resultrans=code, numauto=numauto), content_type=FORM)
        made[code] = transaction
    return made


def doc(response):
    assert response.status_code == 200
    return lxml.html.fromstring(response.content.decode())


def test_the_transactions_list_names_the_means_and_filters_by_result(agent, results):
    page = doc(agent.get("/gestion/suivi/transactions/"))
    labels = {cell.get("data-resultrans"): cell.text_content() for cell in page.xpath("//*[@data-resultrans]")}
    assert labels == {"P": "P : Payée par carte", "V": "V : Payée par prélèvement", "Z": "Z : Prélèvement refusé"}
    only_debits = doc(agent.get("/gestion/suivi/transactions/", {"resultrans": "V"}))
    rows = only_debits.xpath("//table[@id='transactions']/tbody/tr[@data-transaction]")
    assert [row.get("data-transaction") for row in rows] == [str(results["V"].pk)]


def test_the_journal_shows_each_code_and_the_unknown_one_to_review(agent, results):
    page = doc(agent.get("/gestion/suivi/retours/"))
    cells = {cell.get("data-resultrans"): cell.text_content() for cell in page.xpath("//td[@data-resultrans]")}
    assert cells["V"] == "V Payée par prélèvement"
    assert cells["Z"] == "Z Prélèvement refusé"
    assert cells["Q"] == "Q Code inconnu « Q » (à vérifier)"
    unknown = page.xpath(f"//tr[@data-notice='{ReturnNotice.objects.get(resultrans='Q').pk}']")[0]
    assert unknown.get("class") == "suspect"
    assert "code RESULTRANS inconnu du portail" in unknown.text_content()
    to_review = doc(agent.get("/gestion/suivi/retours/", {"outcome": "suspicious"}))
    assert [cell.get("data-resultrans") for cell in to_review.xpath("//td[@data-resultrans]")] == ["Q"]


def test_the_export_has_the_result_in_words(agent, results):
    response = agent.get("/gestion/suivi/transactions/export.csv")
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8")[1:]), delimiter=";"))
    header, body = rows[0], rows[1:]
    by_code = {row[header.index("RESULTRANS")]: row[header.index("Résultat")] for row in body}
    assert by_code == {"P": "Payée par carte", "V": "Payée par prélèvement", "Z": "Prélèvement refusé", "": ""}


def test_the_dashboard_counts_debit_payments_apart(agent, results):
    Transaction.objects.filter(state=Transaction.State.PAID).update(saisie="M", settled_at=timezone.now())
    page = doc(agent.get("/gestion/suivi/"))
    means = page.xpath("//*[@id='kpi-month-means']")[0].text_content()
    assert means == "dont par carte : 1 (10,00\u00a0€) ; par prélèvement : 1 (25,00\u00a0€)"
    assert "35,00" in page.xpath("//*[@id='kpi-month']//*[@class='kpi-amount']")[0].text_content()


def test_the_reconciliation_names_the_means_of_each_debt(agent, results):
    page = doc(agent.get("/gestion/suivi/rapprochement/"))
    shown = {cell.get("data-resultrans"): cell.text_content() for cell in page.xpath("//*[@data-resultrans]")}
    assert shown == {"P": "Payée par carte", "V": "Payée par prélèvement"}


def test_the_admin_filters_notices_by_result_and_shows_the_unknown_ones(client, results):
    admin = get_user_model().objects.create_superuser("root", "root@mairie.example", "pw-root-2026")
    client.force_login(admin)
    page = doc(client.get("/gestion/admin/payments/returnnotice/", {"resultrans": "unknown"}))
    assert "Code inconnu « Q » (à vérifier)" in page.text_content()
    assert "Payée par prélèvement" not in page.xpath("//table[@id='result_list']")[0].text_content()


def test_the_debt_page_names_the_means_of_its_payment(agent, results):
    page = doc(agent.get(f"/gestion/dettes/{results['V'].debt_id}/"))
    assert [cell.text_content() for cell in page.xpath("//*[@data-resultrans]")] == ["Payée par prélèvement"]
