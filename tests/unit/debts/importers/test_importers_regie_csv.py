"""The régie CSV parser (docs/regie-csv.md): good lines, every bad-line case, whole-file refusals,
and properties (exact amounts, round trip through the sample writer, no crash on any bytes)."""

from __future__ import annotations

import datetime
import io

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from debts.importers import PARSERS, DebtRecord, ImportFileError, LineError, regie_csv, samples
from debts.importers.regie_csv import COLUMNS, MAX_LINE_BYTES, parse_amount
from payments.tipi import INVOICE_MAX_LENGTH
from tests.unit.debts.importers.importer_helpers import OneWay, errors, records, run, without_source

HEADER = ";".join(COLUMNS)
GOOD = {
    "numero_facture": "FAC-2026/001",
    "reference_debiteur": "FAM001",
    "nom": "Lefèvre Marie",
    "adresse": "12 rue des Lilas | 75011 Paris",
    "objet": "Cantine novembre 2026",
    "montant": "42,50",
    "date_emission": "01/12/2026",
    "date_echeance": "31/12/2026",
}


def line(**overrides: str) -> str:
    values = {**GOOD, **overrides}
    return ";".join(values[name] for name in COLUMNS)


def csv_bytes(*lines: str, header: str = HEADER, encoding: str = "utf-8", newline: str = "\r\n") -> bytes:
    return newline.join([header, *lines]).encode(encoding) + newline.encode()


def parse(data: bytes, **options):
    return run(regie_csv.parse, data, **options)


def only_error(**overrides: str) -> LineError:
    [error] = parse(csv_bytes(line(**overrides)))
    assert isinstance(error, LineError), error
    return error


# --- good lines ----------------------------------------------------------------------------------


def test_a_good_line_gives_one_invoice_with_everything_read():
    [debt] = parse(csv_bytes(line()))
    assert debt == DebtRecord(
        line_no=2,
        ref_parts={"invoice": "FAC-2026/001"},
        amount_cents=4250,
        debtor_ref="FAM001",
        debtor_name="Lefèvre Marie",
        debtor_address="12 rue des Lilas\n75011 Paris",
        label="Cantine novembre 2026",
        issued_on=datetime.date(2026, 12, 1),
        taken_in_charge_on=None,
        raw=line(),
        due_on=datetime.date(2026, 12, 31),
    )
    assert PARSERS["regie"] is regie_csv.parse


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("42,50", 4250),
        ("42.50", 4250),
        ("42,5", 4250),
        ("42", 4200),
        ("0,01", 1),
        ("1 234,56", 123456),
        ("1\u00a0234,56", 123456),
        ("1\u202f234.56", 123456),
        ("12 345 678,90", 1234567890),
        ("42,50 €", 4250),
        ("42,50€", 4250),
        (" 7,00 ", 700),
    ],
)
def test_amounts_in_euros_with_comma_or_point_are_exact_cents(text, cents):
    assert parse_amount(text) == cents
    [debt] = parse(csv_bytes(line(montant=f'"{text}"')))
    assert debt.amount_cents == cents


def test_iso_dates_and_the_due_date_equal_to_the_issue_date():
    [debt] = parse(csv_bytes(line(date_emission="2026-12-01", date_echeance="2026-12-01")))
    assert debt.issued_on == debt.due_on == datetime.date(2026, 12, 1)


def test_a_quoted_address_on_several_lines_keeps_the_line_numbers_right():
    address = '"Résidence Les Tilleuls\r\n12 rue des Lilas\r\n75011 Paris"'
    data = csv_bytes(line(adresse=address), line(numero_facture="FAC2", montant="oops"))
    [debt, error] = parse(data)
    assert debt.line_no == 2 and debt.debtor_address == "Résidence Les Tilleuls\n12 rue des Lilas\n75011 Paris"
    assert debt.raw.count("\n") == 2
    assert (error.line_no, error.field) == (5, "montant")


def test_columns_in_any_order_with_french_names_and_extra_columns_ignored():
    header = "Montant;Numéro facture;Date d'émission;Nom;Référence débiteur;Adresse;Objet;Date échéance;Service"
    row = "12,00;F2026001;15/11/2026;Dupont Jean;FAM9;;;15/12/2026;cantine"
    [debt] = parse(csv_bytes(row, header=header))
    assert (debt.ref_parts, debt.amount_cents, debt.debtor_ref, debt.debtor_address, debt.label) == (
        {"invoice": "F2026001"},
        1200,
        "FAM9",
        "",
        "",
    )


@pytest.mark.parametrize("delimiter", ["\t", ","])
def test_tab_and_comma_delimiters_are_read_from_the_header(delimiter):
    values = {**GOOD, "montant": '"42,50"' if delimiter == "," else "42,50"}
    row = delimiter.join(values[name] for name in COLUMNS)
    [debt] = parse(csv_bytes(row, header=delimiter.join(COLUMNS)))
    assert debt.amount_cents == 4250 and debt.debtor_name == "Lefèvre Marie"


def test_encodings_are_detected_as_for_the_other_files():
    for encoding in ("utf-8", "utf-8-sig", "cp1252", "iso8859-15"):
        [debt] = parse(csv_bytes(line(nom="Œuvray Élodie"), encoding=encoding))
        assert debt.debtor_name == "Œuvray Élodie", encoding


def test_blank_lines_are_skipped_and_lf_line_ends_read():
    [first, second] = parse(csv_bytes(line(), "", " ", line(numero_facture="FAC2"), newline="\n"))
    assert (first.line_no, second.line_no) == (2, 5)


def test_a_source_that_cannot_seek_is_read():
    [debt] = list(regie_csv.parse(OneWay(csv_bytes(line()))))
    assert debt.amount_cents == 4250


# --- every bad line, reported with its number and column -------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"numero_facture": ""}, "numero_facture", "Numéro de facture absent"),
        ({"numero_facture": "F" * (INVOICE_MAX_LENGTH + 1)}, "numero_facture", "40 caractères au plus"),
        ({"numero_facture": "FAC\x0b1"}, "numero_facture", "caractère de contrôle"),
        ({"reference_debiteur": ""}, "reference_debiteur", "Référence du débiteur absent"),
        ({"reference_debiteur": "R" * 31}, "reference_debiteur", "30 caractères au plus"),
        ({"nom": ""}, "nom", "Nom du débiteur absent"),
        ({"nom": "N" * 201}, "nom", "200 caractères au plus"),
        ({"adresse": "A" * 501}, "adresse", "500 caractères au plus"),
        ({"objet": "O" * 201}, "objet", "200 caractères au plus"),
        ({"montant": ""}, "montant", "Montant absent"),
        ({"montant": "12,345"}, "montant", "deux décimales au plus"),
        ({"montant": "douze"}, "montant", "Montant illisible"),
        ({"montant": "1.234,56"}, "montant", "Montant illisible"),
        ({"montant": "12,"}, "montant", "Montant illisible"),
        ({"montant": "1 23,00"}, "montant", "Montant illisible"),
        ({"montant": "١٢"}, "montant", "Montant illisible"),
        ({"montant": "-12,00"}, "montant", "Montant négatif"),
        ({"montant": "0,00"}, "montant", "Montant nul"),
        ({"date_emission": ""}, "date_emission", "Date d'émission absente"),
        ({"date_emission": "1/12/2026"}, "date_emission", "JJ/MM/AAAA ou AAAA-MM-JJ attendu"),
        ({"date_emission": "2026/12/01"}, "date_emission", "JJ/MM/AAAA ou AAAA-MM-JJ attendu"),
        ({"date_emission": "31/02/2026"}, "date_emission", "jour ou mois inexistant"),
        ({"date_emission": "01/12/1889"}, "date_emission", "année hors de la plage"),
        ({"date_echeance": ""}, "date_echeance", "Date d'échéance absente"),
        ({"date_echeance": "2026-13-01"}, "date_echeance", "jour ou mois inexistant"),
        ({"date_echeance": "30/11/2026"}, "date_echeance", "antérieure à la date d'émission"),
    ],
)
def test_each_bad_field_is_reported_with_its_line_and_column(overrides, field, message):
    error = only_error(**overrides)
    assert (error.line_no, error.field) == (2, field)
    assert message in error.message


def test_every_problem_of_a_line_is_reported_and_the_next_lines_are_read():
    data = csv_bytes(line(), line(nom="", montant="x", date_emission="hier"), line(numero_facture="FAC3"))
    items = parse(data)
    assert [(i.line_no, getattr(i, "field", "debt")) for i in items] == [
        (2, "debt"),
        (3, "nom"),
        (3, "montant"),
        (3, "date_emission"),
        (4, "debt"),
    ]


def test_a_line_with_too_few_columns():
    [error] = parse(csv_bytes("FAC1;FAM1;Dupont"))
    assert (error.line_no, error.field) == (2, "ligne") and "Nombre de colonnes incorrect : 3" in error.message


def test_a_forced_encoding_reports_the_line_it_cannot_read():
    data = csv_bytes(line(), line(nom="Ærø"), encoding="utf-8").replace("Ærø".encode(), b"\xc6r\xf8")
    items = parse(data, encoding="utf-8")
    assert isinstance(items[0], DebtRecord)
    assert (items[1].line_no, items[1].field) == (3, "encodage") and "0xC6" in items[1].message


def test_an_over_long_line_and_a_nul_byte_are_reported_and_skipped():
    long = line(objet="x" * (MAX_LINE_BYTES + 10))
    data = csv_bytes(line(), long, line(nom="A\x00B"), line(numero_facture="FAC4"))
    items = parse(data, encoding="utf-8")
    assert [(i.line_no, getattr(i, "field", "debt")) for i in items] == [
        (2, "debt"),
        (3, "ligne"),
        (4, "ligne"),
        (5, "debt"),
    ]
    assert "trop longue" in items[1].message and "nul" in items[2].message


# --- whole-file refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "vide"),
        (b"\r\n\r\n", "vide"),
        (csv_bytes(), "seulement la ligne d'en-tête"),
        (b"FAC1;FAM1;Dupont;;;12,00;01/12/2026;31/12/2026\r\n", "il manque numero_facture"),
        (csv_bytes(header=HEADER.replace(";objet", "")), "il manque objet"),
        (csv_bytes(header=HEADER + ";nom"), "la colonne « nom » figure deux fois"),
        (csv_bytes(line(nom='"Dupont')), "guillemets mal fermés"),
        (csv_bytes(line(nom='"Dupont" Jean')), "guillemets mal fermés"),
        ("\ufeff".encode("utf-16-le") + csv_bytes(line(), encoding="utf-16-le"), "UTF-16"),
        (b"\r\x01", "Ligne 1 : en-tête illisible"),  # found by test_importers_on_any_bytes: a csv.Error escaped
    ],
)
def test_an_unusable_file_is_refused_whole_with_a_french_message(data, message):
    with pytest.raises(ImportFileError) as refused:
        parse(data)
    assert message in refused.value.message


def test_a_broken_quote_names_its_line():
    with pytest.raises(ImportFileError, match=r"^Ligne 3 "):
        parse(csv_bytes(line(), line(nom='"Dupont" Jean'), line()))


# --- properties -------------------------------------------------------------------------------------

PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _thousands(units: int, separator: str) -> str:
    return f"{units:,}".replace(",", separator)


@PROPERTY
@given(st.integers(1, 10**11), st.sampled_from([",", "."]), st.sampled_from(["", " ", "\u00a0", "\u202f"]))
def test_property_any_amount_written_in_euros_reads_back_to_its_exact_cents(cents, decimal, separator):
    units, rest = divmod(cents, 100)
    text = f"{_thousands(units, separator) if separator else units}{decimal}{rest:02d}"
    assert parse_amount(text) == cents


# Any Latin text but "|", the address lines' separator; quotes and ";" are the writer's to quote.
_word = st.text(
    st.characters(min_codepoint=32, max_codepoint=0x17F, blacklist_categories=("Cc",), blacklist_characters="|"),
    max_size=12,
)
_name = (
    st.lists(_word.filter(str.strip).map(str.strip), min_size=1, max_size=4)
    .map(lambda ws: " ".join(" ".join(ws).split()))
    .filter(bool)
)
_day = st.dates(datetime.date(1990, 1, 1), datetime.date(2099, 10, 1))  # due up to 60 days later


@st.composite
def invoices(draw):
    issued = draw(_day)
    lines = draw(st.lists(_name.filter(lambda s: len(s) <= 60), max_size=3))
    return DebtRecord(
        line_no=0,
        ref_parts={"invoice": draw(_name.filter(lambda s: len(s) <= INVOICE_MAX_LENGTH))},
        amount_cents=draw(st.integers(1, 10**9)),
        debtor_ref=draw(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=30)),
        debtor_name=draw(_name.filter(lambda s: len(s) <= 200)),
        debtor_address="\n".join(lines),
        label=draw(st.one_of(st.just(""), _name.filter(lambda s: len(s) <= 200))),
        issued_on=issued,
        taken_in_charge_on=None,
        raw="",
        due_on=issued + datetime.timedelta(days=draw(st.integers(0, 60))),
    )


@PROPERTY
@given(st.lists(invoices(), min_size=1, max_size=8), st.sampled_from(["utf-8", "cp1252", "iso8859-15"]))
def test_property_what_the_sample_writer_writes_parses_back(written, encoding):
    written = [r for r in written if _encodable(r, encoding)]
    assume(written)
    out = io.BytesIO()
    samples.write_regie(out, written, encoding=encoding)
    parsed = run(regie_csv.parse, out.getvalue())
    assert [without_source(p) for p in parsed] == [without_source(r) for r in written]


def _encodable(record: DebtRecord, encoding: str) -> bool:
    try:
        (record.debtor_name + record.debtor_address + record.label + record.ref_parts["invoice"]).encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


@PROPERTY
@given(st.binary(max_size=400))
def test_property_any_bytes_after_a_good_header_give_items_or_a_french_refusal(tail):
    try:
        items = parse(csv_bytes(line()) + tail)
    except ImportFileError as refused:
        assert refused.message
        return
    assert all(isinstance(i, DebtRecord | LineError) for i in items)
    assert all(i.message for i in errors(items))
    assert records(items)[0].line_no == 2


# --- the sample writer ------------------------------------------------------------------------------


def test_generated_regie_files_give_the_announced_invoices_and_errors():
    out = io.BytesIO()
    stats = samples.write_sample("regie", out, 600, seed=3, bad_share=0.05)
    items = parse(out.getvalue())
    assert (stats.records, stats.bad) == (600, 30)
    assert len(records(items)) == stats.debts == 570
    assert len({e.line_no for e in errors(items)}) == 30
    invoices_read = [r.ref_parts["invoice"] for r in records(items)]
    assert any("-" in number for number in invoices_read) and any("-" not in n for n in invoices_read)
    same = io.BytesIO()
    samples.write_sample("regie", same, 600, seed=3, bad_share=0.05)
    assert same.getvalue() == out.getvalue()


def test_the_invoice_length_limit_is_the_protocol_s():
    assert regie_csv.INVOICE_MAX_LENGTH == INVOICE_MAX_LENGTH
