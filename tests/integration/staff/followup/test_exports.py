"""Exports (CSV streamed, XLSX in openpyxl's write-only mode): they open, and hold exactly what the screen shows for
the same filters, with French column names and amounts in euros as numbers."""

import csv
import datetime
import io
from decimal import Decimal

import lxml.html
import openpyxl
import pytest
from django.utils import timezone

from debts.models import Debt
from payments.models import Transaction
from staff.followup.selectors import DEBT_HEADERS, TRANSACTION_HEADERS
from tests.factories import DebtFactory, TipiClientFactory, TransactionFactory, staff_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client):
    client.force_login(staff_member("agent", email="agent@mairie.example"))
    return client


def doc(response):
    return lxml.html.fromstring(response.getvalue().decode())


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.getvalue().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


class Sheet(list):
    """The rows of the first sheet under its header (the header apart)."""

    headers: list


def read_xlsx(response) -> Sheet:
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = openpyxl.load_workbook(io.BytesIO(response.getvalue())).active.iter_rows(values_only=True)
    sheet = Sheet()
    sheet.headers = list(next(rows))
    sheet.extend(rows)
    return sheet


@pytest.fixture
def transactions():
    north, south = TipiClientFactory(label="Cantine du Nord"), TipiClientFactory(label="Eau du Sud")
    made = []
    for index, (tipi_client, cents, state) in enumerate(
        [
            (north, 3808, "paid"),
            (north, 1500, "refused"),
            (south, 3808, "paid"),
            (south, 120000, "pending"),
            (north, 999, "paid"),
        ]
    ):
        debt = DebtFactory(client=tipi_client, amount_cents=cents)
        txn = TransactionFactory(debt=debt, state=state, numauto="112233" if state == "paid" else "")
        Transaction.objects.filter(pk=txn.pk).update(created_at=timezone.now() - datetime.timedelta(hours=index))
        made.append(txn)
    return {"north": north, "south": south, "made": made}


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"state": "paid", "amount_min": "38,08", "amount_max": "38,08"},
        {"client": "north"},
        {"amount_min": "10", "state": "bogus"},  # a bad value filters nothing, on screen as in the file
    ],
    ids=["all", "paid-38,08", "one-client", "bad-filter"],
)
def test_transaction_exports_hold_what_the_list_shows(agent, transactions, query):
    query = {key: (transactions[value].pk if value in ("north", "south") else value) for key, value in query.items()}
    screen = doc(agent.get("/gestion/suivi/transactions/", query))
    shown = [int(pk) for pk in screen.xpath("//table[@id='transactions']//tr/@data-transaction")]
    by_pk = {t.pk: t for t in Transaction.objects.all()}
    expected = [(by_pk[pk].refdet, Decimal(by_pk[pk].amount_cents) / 100) for pk in shown]
    assert shown  # every case shows something

    rows = read_csv(agent.get("/gestion/suivi/transactions/export.csv", query))
    assert rows[0] == TRANSACTION_HEADERS
    refdet, amount = TRANSACTION_HEADERS.index("Référence (REFDET)"), TRANSACTION_HEADERS.index("Montant (€)")
    assert [(row[refdet], Decimal(row[amount].replace(",", "."))) for row in rows[1:]] == expected
    assert all("," in row[amount] for row in rows[1:])  # 38,08 for a French spreadsheet

    sheet = read_xlsx(agent.get("/gestion/suivi/transactions/export.xlsx", query))
    assert list(sheet.headers) == TRANSACTION_HEADERS
    assert [(row[refdet], Decimal(str(row[amount]))) for row in sheet] == expected


def test_xlsx_cells_are_typed_numbers_and_dates(agent, transactions):
    response = agent.get("/gestion/suivi/transactions/export.xlsx", {"state": "paid"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.getvalue())).active
    header = [cell.value for cell in sheet[1]]
    amount = sheet.cell(row=2, column=header.index("Montant (€)") + 1)
    assert amount.data_type == "n" and amount.value == 38.08
    created = sheet.cell(row=2, column=header.index("Créée le") + 1)
    assert isinstance(created.value, datetime.datetime)
    assert sheet.cell(row=2, column=header.index("État") + 1).value == "Payée"
    assert sheet.cell(row=2, column=header.index("SAISIE") + 1).value == "Saisie manuelle"
    assert response["Content-Disposition"].startswith('attachment; filename="transactions-')


@pytest.fixture
def debts():
    tipi_client = TipiClientFactory(label="Cantine du Nord")
    return [
        DebtFactory(
            client=tipi_client, state=Debt.State.IN_PROGRESS, amount_cents=3808, debtor_name='=HYPERLINK("http://x")'
        ),
        DebtFactory(client=tipi_client, state=Debt.State.IN_PROGRESS, amount_cents=120050, debtor_name="LEFÈVRE Marie"),
        DebtFactory(client=tipi_client, state=Debt.State.OPEN, amount_cents=500, debtor_name="DURAND Paul"),
        DebtFactory(state=Debt.State.PAID, amount_cents=700, debtor_name="MARTIN Louise"),
    ]


@pytest.mark.parametrize(
    "query", [{}, {"state": "in_progress"}, {"q": "LEFÈVRE"}], ids=["all", "in-progress", "search"]
)
def test_debt_exports_hold_what_the_debts_list_shows(agent, debts, query):
    screen = doc(agent.get("/gestion/dettes/", query))
    shown = [link.text_content() for link in screen.xpath("//table[contains(@class, 'data')]//tbody//td[1]/a")]
    assert shown
    rows = read_csv(agent.get("/gestion/suivi/exports/dettes.csv", query))
    assert rows[0] == DEBT_HEADERS
    refdet = DEBT_HEADERS.index("Référence (REFDET)")
    assert [row[refdet] for row in rows[1:]] == shown
    sheet = read_xlsx(agent.get("/gestion/suivi/exports/dettes.xlsx", query))
    assert [row[refdet] for row in sheet] == shown


def test_debt_export_values_and_formula_safety(agent, debts):
    rows = read_csv(agent.get("/gestion/suivi/exports/dettes.csv", {"state": "in_progress"}))
    by_ref = {row[2]: dict(zip(rows[0], row)) for row in rows[1:]}
    first = by_ref[debts[0].refdet]
    assert first["Montant (€)"] == "38,08"
    assert first["Débiteur"] == '\'=HYPERLINK("http://x")'  # never run as a formula
    assert first["État"] == "Paiement en ligne en cours de validation"
    assert first["Payable en ligne du"] == f"{debts[0].online_from:%d/%m/%Y}"
    assert by_ref[debts[1].refdet]["Montant (€)"] == "1200,50"
    book = openpyxl.load_workbook(
        io.BytesIO(agent.get("/gestion/suivi/exports/dettes.xlsx", {"state": "in_progress"}).getvalue())
    )
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    names = {sheet.cell(row=r, column=header.index("Débiteur") + 1) for r in range(2, sheet.max_row + 1)}
    assert all(cell.data_type == "s" for cell in names)
    assert '\'=HYPERLINK("http://x")' in {cell.value for cell in names}
    amounts = [sheet.cell(row=r, column=header.index("Montant (€)") + 1).value for r in range(2, sheet.max_row + 1)]
    assert sorted(amounts) == [38.08, 1200.5]
    dates = [
        sheet.cell(row=r, column=header.index("Payable en ligne du") + 1).value for r in range(2, sheet.max_row + 1)
    ]
    assert all(isinstance(value, datetime.datetime) for value in dates)


def test_too_many_rows_are_refused_with_a_message(agent, debts, settings):
    settings.FOLLOWUP_EXPORT_MAX_ROWS = 3
    response = agent.get("/gestion/suivi/exports/dettes.xlsx", follow=True)
    assert response.redirect_chain[-1][0] == "/gestion/suivi/exports/"
    assert "L&#x27;export compterait 4 lignes, 3 au plus" in response.getvalue().decode()
    response = agent.get("/gestion/suivi/exports/dettes.csv", {"state": "in_progress"})
    assert response.status_code == 200 and len(read_csv(response)) == 3


def test_unknown_format_is_not_found(agent):
    assert agent.get("/gestion/suivi/exports/dettes.pdf").status_code == 404
    assert agent.get("/gestion/suivi/transactions/export.json").status_code == 404


def test_the_exports_page_offers_both_lists_with_their_filters(agent):
    page = doc(agent.get("/gestion/suivi/exports/"))
    actions = set(page.xpath("//button/@formaction"))
    assert actions == {
        "/gestion/suivi/exports/dettes.csv",
        "/gestion/suivi/exports/dettes.xlsx",
        "/gestion/suivi/transactions/export.csv",
        "/gestion/suivi/transactions/export.xlsx",
    }


# --- Control characters (which XLSX cannot hold) -------------------------------------------------


@pytest.fixture
def answering_agent(agent):
    """The agent's client answering as the server would (a 500 rather than the exception)."""
    agent.raise_request_exception = False
    return agent


def debtor_cells(response) -> list[dict[str, str]]:
    """The exported debts as header → value, CSV or XLSX, in file order."""
    if response["Content-Type"].startswith("text/csv"):
        rows = read_csv(response)
        return [dict(zip(rows[0], row)) for row in rows[1:]]
    sheet = openpyxl.load_workbook(io.BytesIO(response.getvalue())).active
    header = [cell.value for cell in sheet[1]]
    return [dict(zip(header, (cell.value for cell in row))) for row in sheet.iter_rows(min_row=2)]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_debt_export_with_control_characters_answers_with_them_removed(answering_agent, fmt):
    tipi_client = TipiClientFactory(label="Cantine du Nord")
    plain = DebtFactory(client=tipi_client, debtor_name="DUPONT\x01 Jean", label="CANTINE\x1f MARS\x7f 2026")
    formula = DebtFactory(client=tipi_client, debtor_name='=\x02HYPERLINK("http://x")', label="\x0b@SOMME(A1)")
    response = answering_agent.get(f"/gestion/suivi/exports/dettes.{fmt}")
    assert response.status_code == 200
    by_ref = {cells["Référence (REFDET)"]: cells for cells in debtor_cells(response)}
    assert by_ref[plain.refdet]["Débiteur"] == "DUPONT Jean"
    assert by_ref[plain.refdet]["Objet"] == "CANTINE MARS 2026"
    assert by_ref[formula.refdet]["Débiteur"] == '\'=HYPERLINK("http://x")'  # the guard still applies
    assert by_ref[formula.refdet]["Objet"] == "'@SOMME(A1)"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_file_imported_with_a_control_character_exports(answering_agent, settings, tmp_path, fmt):
    """The character comes in through the real importer (an INDIGO file) and out through the export."""
    from debts.importers import DebtRecord
    from debts.importers.samples import write_indigo
    from debts.services.imports import debts_import, import_batch_create

    settings.IMPORTS_DIR = tmp_path / "imports"
    tipi_client = TipiClientFactory(label="Cantine du Nord")
    record = DebtRecord(
        line_no=0,
        ref_parts={"codexer": "2026", "numtitre": "00000042", "numordre": "000001", "nature_titre": "01"},
        amount_cents=3808,
        debtor_ref="D0000042",
        debtor_name="LEFÈVRE\x01 Marie",
        debtor_address="12 RUE DE L'ÉGLISE\n42000 SAINT-ÉTIENNE",
        label="=CANTINE\x1f MARS 2026",
        issued_on=None,
        taken_in_charge_on=None,
        raw="",
    )
    path = tmp_path / "titres.txt"
    with path.open("wb") as out:
        write_indigo(out, [record])
    batch = import_batch_create(client=tipi_client, fmt="indigo", path=path, filename=path.name)
    batch = debts_import(batch=batch)
    assert (batch.state, batch.imported) == ("done", 1)
    debt = Debt.objects.get()
    assert debt.debtor_name == "LEFÈVRE\x01 Marie"  # stored as received: the export is what cleans it

    response = answering_agent.get(f"/gestion/suivi/exports/dettes.{fmt}")
    assert response.status_code == 200
    [cells] = debtor_cells(response)
    assert cells["Référence (REFDET)"] == debt.refdet
    assert cells["Débiteur"] == "LEFÈVRE Marie"
    assert cells["Objet"] == "'=CANTINE MARS 2026"
