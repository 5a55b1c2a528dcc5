"""ROLMRE: golden files from annex 5, EAU and DDPAC variants, bad lines, streaming."""

from __future__ import annotations

import datetime
import gc
import tracemalloc

import pytest

from debts.importers import DebtRecord, LineError, rolmre, samples
from debts.importers.rolmre import LAYOUT, label_for
from tests.unit.debts.importers.importer_helpers import errors, records, run, shape

GOLDEN = ["rolmre_golden_latin9.txt", "rolmre_golden_cp1252_crlf.txt", "rolmre_golden_utf8_bom.txt"]

EXPECTED_SHAPE = [
    ("debt", 1, ("2024", "EA", "01", "0000000000123", "01"), 12345),
    ("debt", 2, ("2024", "EA", "", "0000000000124", "01"), 4200),
    ("debt", 3, ("2024", "", "", "0000000000125", "12"), 98765),
    ("debt", 4, ("2024", "", "05", "0000000000126", "12"), 50),
    ("error", 5, "ROLTOT"),
    ("error", 6, "ROLDET"),
    ("error", 7, "ROLDAT"),
    ("error", 8, "ROLEX"),
    ("error", 9, "enregistrement"),
    ("error", 10, "ROLREC"),
    ("error", 11, "ROLREC"),  # a water line (ROLTPR 1) without ROLREC (annex 4)
    ("error", 12, "ROLTOT"),
    ("error", 13, "ROLDEB"),
    ("error", 14, "ROLEAU"),
    ("debt", 15, ("2024", "AS", "", "0000000000137", "01"), 1999),
]


@pytest.fixture(scope="module")
def golden() -> list[DebtRecord | LineError]:
    return run(rolmre.parse, GOLDEN[0])


def test_golden_shape(golden):
    assert shape(golden) == EXPECTED_SHAPE


@pytest.mark.parametrize("name", GOLDEN[1:])
def test_same_result_in_every_encoding_and_line_end(golden, name):
    assert run(rolmre.parse, name) == golden


def test_eau_record_field_by_field(golden):
    first = golden[0]
    assert first == DebtRecord(
        line_no=1,
        ref_parts={"rolex": "2024", "rolrec": "EA", "roldeb": "01", "roldet": "0000000000123", "rolnat": "01"},
        amount_cents=12345,
        debtor_ref="C000123",
        debtor_name="CŒURDEVEY ÉMILE OU MME CŒURDEVEY",
        debtor_address="RÉSIDENCE LES ÉRABLES\n3 RUE DU CŒUR VOLANT\n25000 BESANÇON",
        label="Facture d'eau n° 123",
        issued_on=datetime.date(2024, 3, 15),
        taken_in_charge_on=None,
        raw=first.raw,
        public_body=None,
        piece_id=None,
    )
    assert len(first.raw) == 500 and first.raw[86:98] == "000000012345"


def test_ddpac_records(golden):
    third, fourth = golden[2], golden[3]
    assert third.debtor_address == "1 PLACE DE LA RÉPUBLIQUE\nLE BOURG\n88000 ÉPINAL"
    assert third.label == "Article de rôle n° 125"
    assert third.issued_on == datetime.date(2024, 4, 1)
    assert fourth.label == "Redevance LEMA n° 126"
    assert fourth.amount_cents == 50  # below 1 €: still a debt
    assert golden[-1].issued_on is None
    assert golden[-1].debtor_name == "SAINT-CYR OCÉANE"


def test_golden_error_messages(golden):
    by_line = {e.line_no: e for e in errors(golden)}
    assert by_line[5].value == "0000001234,5"
    assert by_line[5].message == "Montant total (ROLTOT) non numérique"
    assert by_line[6].message == "Numéro de dette (ROLDET) absent"
    assert by_line[7].message == "Date d'émission (ROLDAT) invalide : jour ou mois inexistant"
    assert by_line[8].value == "2O24"
    assert by_line[9].message == "Longueur d'enregistrement incorrecte : 501 caractères au lieu de 500"
    assert by_line[10].value == "É1" and "sans accent" in by_line[10].message
    # Line 11 is a water line (ROLTPR 1) without ROLREC: an error whatever ROLNAT says (annex 4).
    assert by_line[11].field == "ROLREC" and "ligne d'eau (ROLTPR=1)" in by_line[11].message
    assert "nul" in by_line[12].message
    assert by_line[13].value == "A1"
    assert by_line[14].message == "Montant eau (ROLEAU) non numérique"


def test_refdet_composes_with_payments_tipi(golden):
    """The parts are what ``compose_refdet`` expects: EAU, DDPAC (ROLNAT, 00), padding."""
    tipi = pytest.importorskip("payments.tipi")
    composed = [tipi.compose_refdet(tipi.Protocol.ROLMRE, **r.ref_parts) for r in records(golden)]
    assert composed == [
        "2024EA010000000000123",
        "2024EA000000000000124",
        "202412000000000000125",
        "202412000000000000126",  # DDPAC: 00 whatever ROLDEB says
        "2024AS000000000000137",
    ]
    assert all(len(refdet) == 21 for refdet in composed)


def test_several_problems_of_one_line_are_all_reported():
    line = LAYOUT.build({"ROLEX": "20X4", "ROLDET": "", "ROLREC": "EA", "ROLDAT": "99999999", "ROLTOT": "ABC"})
    items = run(rolmre.parse, (line + "\n").encode())
    assert [(e.line_no, e.field) for e in items] == [(1, "ROLEX"), (1, "ROLDET"), (1, "ROLTOT"), (1, "ROLDAT")]


def _line(**values) -> bytes:
    base = {"ROLEX": "2026", "ROLNAT": "12", "ROLDET": "42", "ROLDAT": "20260315", "ROLTOT": "000000003808"}
    return (LAYOUT.build({**base, **values}) + "\n").encode()


def test_water_line_without_rolrec_is_a_line_error():
    # Annex 4, ROLMRE EAU: "la zone ROLREC (code recette) est obligatoirement renseignée".
    (item,) = run(rolmre.parse, _line(ROLTPR="1"))
    assert isinstance(item, LineError) and (item.line_no, item.field) == (1, "ROLREC")
    assert item.message == (
        "Code recette (ROLREC) absent sur une ligne d'eau (ROLTPR=1) : obligatoire pour un rôle EAU (annexe 4)"
    )


@pytest.mark.parametrize("roltpr", ["0", "2", " "])
def test_other_line_without_rolrec_is_ddpac_on_rolnat(roltpr):
    (item,) = run(rolmre.parse, _line(ROLTPR=roltpr))
    assert isinstance(item, DebtRecord) and item.ref_parts["rolrec"] == "" and item.ref_parts["rolnat"] == "12"


def test_ddpac_line_without_rolnat_is_a_line_error():
    (item,) = run(rolmre.parse, _line(ROLTPR="0", ROLNAT=""))
    assert isinstance(item, LineError) and item.field == "ROLNAT"
    assert "ROLREC" in item.message and "ROLNAT" in item.message


def test_water_line_with_rolrec_is_eau_whatever_rolnat():
    (item,) = run(rolmre.parse, _line(ROLTPR="1", ROLREC="EA", ROLNAT=""))
    assert isinstance(item, DebtRecord) and item.ref_parts["rolrec"] == "EA"


def test_label_for():
    assert label_for("1", "0000000000042") == "Facture d'eau n° 42"
    assert label_for("2", "0000000000042") == "Redevance LEMA n° 42"
    assert label_for(" ", "0000000000000") == "Article de rôle n° 0"


def test_generated_file_parses_to_the_announced_counts(tmp_path):
    path = tmp_path / "roles.txt"
    with path.open("wb") as out:
        stats = samples.write_rolmre(out, 3000, seed=11, bad_share=0.05, newline="\r\n", encoding="cp1252")
    items = run(rolmre.parse, path)
    assert len(records(items)) == stats.debts == 3000 - stats.bad
    assert len({e.line_no for e in errors(items)}) == stats.bad == 150
    assert len({r.ref_parts["roldet"] for r in records(items)}) == stats.debts


def test_parsing_200_000_records_keeps_memory_flat(tmp_path):
    """A 100 MB file streams: memory does not follow the file's size.

    tracemalloc slows every allocation ten times, so it watches the start of the
    parse (the encoding pass over the whole file, the first 2 000 records: where
    reading the file into memory would show) and the last 2 000 (where records
    kept by the parser would have piled up); the 196 000 in between run untraced.
    """
    path = tmp_path / "big_rolmre.txt"
    with path.open("wb") as out:
        samples.write_rolmre(out, 200_000, seed=5, bad_share=0.001)
    size = path.stat().st_size
    assert size > 100_000_000

    gc.collect()
    with path.open("rb") as source:
        tracemalloc.start()
        try:
            items = rolmre.parse(source)
            count = 0
            for _ in range(2_000):
                next(items)
                count += 1
            _, start_peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        for _ in range(196_000):
            next(items)
            count += 1
        tracemalloc.start()
        try:
            before, _ = tracemalloc.get_traced_memory()
            for _ in items:
                count += 1
            after, end_peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert count == 200_000
    assert start_peak < 4 * 1024 * 1024, start_peak  # the file is 100 MB
    assert end_peak < 2 * 1024 * 1024, end_peak
    assert after - before < 256 * 1024, after - before  # 2 000 records kept would be 2 MB


# --- The fast pattern (speed) takes only lines the field-by-field checks let through ----------


def _without_fast_pattern(monkeypatch):
    import re

    monkeypatch.setattr(rolmre, "_FAST", re.compile(r"(?!)"))  # every line the field-by-field way


def _edge_line(**values: str) -> str:
    base = {
        "ROLMVT": "1",
        "ROLNAT": "01",
        "ROLEX": "2024",
        "ROLDET": "0000000000123",
        "ROLREC": "EA",
        "ROLDAT": "20240315",
        "ROLEAU": "000000001000",
        "ROLASS": "000000000500",
        "ROLTVE": "000000000000",
        "ROLTVA": "000000000045",
        "ROLTOT": "000000001545",
        "ROLNOM": "  DURAND   Léa ",
        "ROLCNM": "née\tMARTIN",
        "ROLADR": "  3  RUE  DES  LILAS",
        "ROLCP": "80000",
        "ROLLOC": " AMIENS",
        "ROLCLI": " CLI0001 ",
        "ROLDEB": "01",
        "ROLTPR": "1",
    }
    base.update(values)
    return LAYOUT.build(base)


EDGE_LINES = {
    "plain": {},
    "ddpac": {"ROLREC": "", "ROLNAT": "12", "ROLDEB": "", "ROLTPR": "0"},
    "water-without-code": {"ROLREC": "", "ROLNAT": "12", "ROLDEB": ""},
    "ddpac-bad-nature": {"ROLREC": "", "ROLNAT": "1A", "ROLTPR": "2"},
    "ddpac-blank-nature": {"ROLREC": "", "ROLNAT": "", "ROLTPR": "0"},
    "eau-any-nature": {"ROLNAT": " 7"},
    "one-letter-code": {"ROLREC": "A"},
    "accented-code": {"ROLREC": "ÉA"},
    "roldeb-one-digit": {"ROLDEB": "5"},
    "roldeb-letters": {"ROLDEB": "AB"},
    "roldeb-blank": {"ROLDEB": ""},
    "zero-total": {"ROLTOT": "000000000000"},
    "total-in-spaces": {"ROLTOT": "1545"},
    "total-not-digits": {"ROLTOT": "0000000015,4"},
    "non-ascii-digits": {"ROLDET": "000000000012٣"},
    "short-roldet": {"ROLDET": "123"},
    "blank-detail": {"ROLEAU": "", "ROLNMAJ": ""},
    "spaced-detail": {"ROLASS": "500"},
    "bad-detail": {"ROLTVA": "00000000004X"},
    "year-1989": {"ROLEX": "1989"},
    "year-2099": {"ROLEX": "2099"},
    "year-2100": {"ROLEX": "2100"},
    "no-date": {"ROLDAT": ""},
    "zero-date": {"ROLDAT": "00000000"},
    "impossible-date": {"ROLDAT": "20241341"},
    "iso-date": {"ROLDAT": "2024-03-1"},
    "lema": {"ROLTPR": "2"},
    "other-product": {"ROLTPR": " "},
    "blank-names": {"ROLNOM": "", "ROLCNM": "", "ROLADR": "", "ROLCP": "", "ROLLOC": ""},
}


def _parse_text(text: str) -> list:
    import io

    return list(rolmre.parse(io.BytesIO(text.encode("utf-8")), encoding="utf-8"))


@pytest.mark.parametrize("case", EDGE_LINES)
def test_the_fast_pattern_reads_each_line_as_the_field_checks_do(monkeypatch, case):
    text = _edge_line(**EDGE_LINES[case]) + "\r\n"
    fast = _parse_text(text)
    _without_fast_pattern(monkeypatch)
    assert fast == _parse_text(text)


def test_generated_files_read_alike_with_and_without_the_fast_pattern(monkeypatch, tmp_path):
    """Every kind of bad line the sample writer makes (a fifth of 6,000), each message and number."""
    path = tmp_path / "rolmre.txt"
    with path.open("wb") as out:
        samples.write_rolmre(out, 6_000, seed=11, bad_share=0.2)
    with path.open("rb") as source:
        fast = list(rolmre.parse(source))
    _without_fast_pattern(monkeypatch)
    with path.open("rb") as source:
        slow = list(rolmre.parse(source))
    assert sum(isinstance(item, LineError) for item in slow) > 1_000
    assert fast == slow
