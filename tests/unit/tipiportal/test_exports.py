"""tipiportal.exports: the cell guard (formula start, control characters) and the CSV responses."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.http import StreamingHttpResponse

from tipiportal.exports import cell_safe, csv_streaming_response, table_response

# Every character the guard removes, by class: C0 controls below tab, vertical tab and form
# feed, the C0 controls after carriage return, and DEL.
C0_LOW = [chr(code) for code in range(0x09)]
C0_VT_FF = ["\x0b", "\x0c"]
C0_HIGH = [chr(code) for code in range(0x0E, 0x20)]
DEL = ["\x7f"]
REMOVED = C0_LOW + C0_VT_FF + C0_HIGH + DEL


@pytest.mark.parametrize("characters", [C0_LOW, C0_VT_FF, C0_HIGH, DEL], ids=["00-08", "0b-0c", "0e-1f", "7f-DEL"])
def test_control_characters_are_removed_class_by_class(characters):
    for character in characters:
        assert cell_safe(f"DUPONT{character} Jean") == "DUPONT Jean", repr(character)
        assert cell_safe(f"{character}DUPONT") == "DUPONT", repr(character)
        assert cell_safe(f"DUPONT{character}") == "DUPONT", repr(character)


def test_every_removed_character_at_once():
    assert cell_safe("A" + "".join(REMOVED) + "B") == "AB"
    assert len(REMOVED) == 30  # 0x00-0x1f less tab, line feed and carriage return, plus DEL


def test_tab_line_feed_and_carriage_return_are_kept_inside_text():
    text = "12 RUE DE L'ÉGLISE\n42000 SAINT-ÉTIENNE\r\nBât.\tB"
    assert cell_safe(text) == text


def test_printable_text_is_left_alone():
    for text in ["LEFÈVRE Marie", "Œuvray", "38,08 €", "N'DIAYE", "", "a=b", "x-1", "mail@example.org"]:
        assert cell_safe(text) == text


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_formula_start_gets_a_leading_quote(start):
    assert cell_safe(f"{start}SUM(A1:A9)") == f"'{start}SUM(A1:A9)"


def test_the_formula_guard_sees_the_text_after_removal():
    """A control character in front must not hide a formula from the guard."""
    assert cell_safe('\x01=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert cell_safe("\x00\x1f+33 6 12 34 56 78") == "'+33 6 12 34 56 78"


@pytest.mark.parametrize(
    "value",
    [
        0,
        -12,
        3808,
        38.08,
        Decimal("-38.08"),
        None,
        True,
        datetime.date(2026, 11, 22),
        datetime.datetime(2026, 11, 22, 8, 30),
        b"=\x01",
    ],
)
def test_non_strings_are_returned_untouched(value):
    assert cell_safe(value) is value


# --- csv_streaming_response (the import report, the access codes) ------------------------------


def _body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def test_csv_streaming_response_for_french_spreadsheets():
    rows = [
        [3, "REFDET", "=1+1", "Montant non numérique", Decimal("38.08"), datetime.date(2026, 11, 22)],
        [4, "ROLNOM", "DUPONT\x01 Jean", "Nom\x7f illisible", None, datetime.datetime(2026, 11, 22, 8, 30, 5)],
    ]
    response = csv_streaming_response(
        "compte-rendu-import-7.csv", ["Ligne", "Zone", "Valeur", "Erreur", "€", "Le"], rows
    )
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="compte-rendu-import-7.csv"'
    text = _body(response)
    assert text.startswith("\ufeffLigne;Zone;Valeur;Erreur;€;Le\r\n")
    assert list(csv.reader(io.StringIO(text[1:]), delimiter=";")) == [
        ["Ligne", "Zone", "Valeur", "Erreur", "€", "Le"],
        ["3", "REFDET", "'=1+1", "Montant non numérique", "38,08", "22/11/2026"],
        ["4", "ROLNOM", "DUPONT Jean", "Nom illisible", "", "22/11/2026 08:30:05"],
    ]


def test_csv_streaming_response_keeps_line_breaks_inside_a_quoted_cell():
    response = csv_streaming_response("r.csv", ["Adresse"], [["12 RUE\n42000 SAINT-ÉTIENNE"]])
    text = _body(response)
    assert text == '\ufeffAdresse\r\n"12 RUE\n42000 SAINT-ÉTIENNE"\r\n'


def test_csv_streaming_response_reads_its_rows_as_it_streams():
    """Rows are pulled one by one while the response is sent, never listed first."""
    pulled = []

    def rows():
        for number in range(1, 4):
            pulled.append(number)
            yield [number]

    response = csv_streaming_response("r.csv", ["N"], rows())
    assert pulled == []
    chunks = iter(response.streaming_content)
    assert next(chunks) == "\ufeffN\r\n".encode()
    assert pulled == []
    assert next(chunks) == b"1\r\n"
    assert pulled == [1]
    assert b"".join(chunks) == b"2\r\n3\r\n"
    assert pulled == [1, 2, 3]


def test_csv_streaming_response_with_no_rows_has_its_header():
    assert _body(csv_streaming_response("r.csv", ["Ligne", "Erreur"], [])) == "\ufeffLigne;Erreur\r\n"


def _sheet(response):
    """The first sheet of an XLSX response, its temporary file closed once read (as Django does once
    sent; response.close() would also send request_finished, which closes database connections)."""
    try:
        return openpyxl.load_workbook(io.BytesIO(response.getvalue())).active
    finally:
        response.file_to_stream.close()


# --- table_response (the follow-up exports) -----------------------------------------------------


def test_table_response_xlsx_holds_control_characters_removed_and_the_guard():
    response = table_response(
        fmt="xlsx",
        name="dettes",
        headers=["Débiteur", "Objet", "Montant (€)"],
        rows=[["=A1\x01", "CANTINE\x1f", 38.08]],
    )
    sheet = _sheet(response)
    assert [cell.value for cell in sheet[2]] == ["'=A1", "CANTINE", 38.08]


def test_table_response_refuses_an_unknown_format():
    with pytest.raises(ValueError):
        table_response(fmt="pdf", name="dettes", headers=["A"], rows=[])


def test_table_response_csv_streams_its_rows_as_they_are_sent():
    pulled = []

    def rows():
        for number in range(1, 3):
            pulled.append(number)
            yield [number, Decimal("38.08")]

    response = table_response(fmt="csv", name="dettes", headers=["N", "€"], rows=rows())
    assert isinstance(response, StreamingHttpResponse)
    assert pulled == []
    assert response["Content-Disposition"].startswith('attachment; filename="dettes-')
    assert response["Content-Disposition"].endswith('.csv"')
    assert b"".join(response.streaming_content).decode() == "\ufeffN;€\r\n1;38,08\r\n2;38,08\r\n"
    assert pulled == [1, 2]


def test_table_response_xlsx_is_written_in_write_only_mode_and_streamed(monkeypatch):
    modes = []
    real_workbook = openpyxl.Workbook

    def recording_workbook(*args, **kwargs):
        modes.append(kwargs.get("write_only", False))
        return real_workbook(*args, **kwargs)

    monkeypatch.setattr("tipiportal.exports.Workbook", recording_workbook)
    day = datetime.date(2026, 11, 22)
    response = table_response(
        fmt="xlsx", name="dettes", headers=["Date", "Montant (€)"], rows=[[day, Decimal("1200.50")]]
    )
    assert modes == [True]
    assert response.streaming
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = _sheet(response)
    assert sheet["A1"].font.bold
    assert [cell.value for cell in sheet[2]] == [datetime.datetime(2026, 11, 22), 1200.5]
