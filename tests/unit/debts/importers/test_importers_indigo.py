"""INDIGO: golden files built from annex 5, grouping rules of annex 4, bad lines."""

from __future__ import annotations

import io

import pytest

from debts.importers import DebtRecord, ImportFileError, LineError, indigo
from debts.importers.indigo import LAYOUT, _label
from tests.unit.debts.importers.importer_helpers import DATA, OneWay, errors, records, run, shape

GOLDEN = ["indigo_golden_latin9.txt", "indigo_golden_cp1252_crlf.txt", "indigo_golden_utf8.txt"]

# What the golden file must give, in order: every grouping rule and every bad line.
EXPECTED_SHAPE = [
    ("debt", 1, ("2024", "00000101", "000001", "01"), 4250),
    # Titre 102 (nature 09, lines 2-4) comes back at line 22: refused whole, every line reported
    # (annex 5 sets no order; a partial amount would be refused by TIPI under M4).
    ("error", 2, "NUMTITRE"),
    ("error", 3, "NUMTITRE"),
    ("error", 4, "NUMTITRE"),
    ("debt", 5, ("2024", "00000103", "000001", "00"), 99),
    ("debt", 6, ("2024", "00000104", "000001", "10"), 150000 + 25),  # lines 6-7 summed
    ("debt", 8, ("2024", "00000105", "000001", "03"), 12000),  # 03: one debt per line, own NUMORDRE
    ("debt", 9, ("2024", "00000105", "000002", "03"), 3000),
    ("debt", 10, ("2024", "00000105", "000003", "03"), 4500),
    ("error", 11, "MONTANT"),
    ("error", 12, "NUMTITRE"),
    ("error", 13, "CODEXER"),
    ("error", 14, "enregistrement"),
    ("error", 15, "NATURETITRE"),
    ("error", 16, "MONTANT"),
    ("error", 17, "NUMORDRE"),
    ("error", 19, "MONTANT"),
    ("error", 18, "NUMTITRE"),  # titre 113 not imported because of line 19
    ("debt", 21, ("2024", "00000114", "000001", "09"), 800),  # line 20 is empty: skipped
    ("error", 22, "NUMTITRE"),  # titre 102 met again, not consecutive: the fourth line refused
    ("error", 23, "MONTANT"),
    ("error", 25, "REFSTABLE"),
    ("error", 24, "NUMTITRE"),
    ("error", 27, "NATURETITRE"),
    ("error", 26, "NUMTITRE"),
    ("debt", 28, ("2024", "00000118", "000001", "03"), 500),
    ("error", 29, "NUMORDRE"),
]


@pytest.fixture(scope="module")
def golden() -> list[DebtRecord | LineError]:
    return run(indigo.parse, GOLDEN[0])


@pytest.fixture(scope="module")
def adjacent() -> list[DebtRecord | LineError]:
    """The golden file without its line 22 (titre 102 met again): titre 102's lines are adjacent."""
    lines = (DATA / GOLDEN[0]).read_bytes().split(b"\n")
    lines[21] = b""  # a blank line is skipped: the other lines keep their numbers
    return run(indigo.parse, b"\n".join(lines))


def test_golden_shape(golden):
    assert shape(golden) == EXPECTED_SHAPE


@pytest.mark.parametrize("name", GOLDEN[1:])
def test_same_result_in_every_encoding_and_line_end(golden, name):
    assert run(indigo.parse, name) == golden


def test_nature_01_record_field_by_field(golden):
    first = golden[0]
    assert first == DebtRecord(
        line_no=1,
        ref_parts={"codexer": "2024", "numtitre": "00000101", "numordre": "000001", "nature_titre": "01"},
        amount_cents=4250,
        debtor_ref="D0000101",
        debtor_name="MME LEBŒUF ÉLODIE",
        debtor_address="12 RUE DE L'ÉGLISE\n42000 SAINT-ÉTIENNE",
        label="CANTINE SCOLAIRE MARS 2024",
        issued_on=None,
        taken_in_charge_on=None,
        raw=first.raw,
        public_body={"CODEDEBIT": "01"},
        piece_id=None,
    )
    assert len(first.raw) == 452
    assert first.raw[7:11] == "2024" and first.raw[18:26] == "00000101"


def test_grouped_titre_keeps_first_line_details_and_all_raw_lines(adjacent):
    grouped = adjacent[1]
    assert (grouped.line_no, grouped.amount_cents) == (2, 1000 + 2050 + 375)  # lines 2-4 summed
    assert grouped.debtor_name == "M GARÇON FRANÇOIS"
    assert grouped.debtor_address == "RÉSIDENCE LES ÉRABLES\n3 AVENUE ÉDOUARD HERRIOT\n25000 BESANÇON"
    assert grouped.label == "GARDERIE PÉRISCOLAIRE"
    assert grouped.public_body is None
    lines = grouped.raw.split("\n")
    assert [line[26:32] for line in lines] == ["000001", "000002", "000003"]
    assert all(len(line) == 452 and "\r" not in line for line in lines)


def test_nature_03_tva_is_not_added_and_label_continues_over_the_zones(adjacent):
    golden = adjacent
    public = golden[4]
    assert public.amount_cents == 12000  # MONTANT; TVA (20,00) is the VAT part of it, not added
    assert public.raw[75:91] == "0000000000002000"
    assert public.label == "OCCUPATION DU DOMAINE PUBLIC TERRASSE ÉTÉ 2024"
    assert public.debtor_name == "COMMUNE DE SAINT-ÉTIENNE"
    assert public.public_body == {"CODEDEBIT": "03"}
    assert [r.debtor_ref for r in golden[4:7]] == ["P0000001", "D0000105", "D0000106"]


def test_error_messages_are_french_and_carry_the_value(golden):
    by_line = {(e.line_no, e.field): e for e in errors(golden)}
    assert by_line[(11, "MONTANT")].value == "00000000001234A5"
    assert by_line[(11, "MONTANT")].message == "Montant (MONTANT) non numérique"
    assert by_line[(12, "NUMTITRE")].message == "Numéro de titre (NUMTITRE) absent"
    assert by_line[(13, "CODEXER")].value == "20A4"
    assert by_line[(14, "enregistrement")].message == (
        "Longueur d'enregistrement incorrecte : 451 caractères au lieu de 452"
    )
    assert by_line[(15, "NATURETITRE")].value == "07"
    assert by_line[(16, "MONTANT")].message == "Montant (MONTANT) absent"
    assert by_line[(18, "NUMTITRE")].message == (
        "Titre 2024/00000113 non importé : une de ses lignes est en erreur (lignes 18 à 19)"
    )
    for line_no in (2, 3, 4, 22):
        assert by_line[(line_no, "NUMTITRE")].message.startswith(
            "Titre 2024/00000102 non importé : ses lignes ne se suivent pas dans le fichier"
        )
    assert by_line[(23, "MONTANT")].message == "Montant nul : rien à payer"
    assert "D0000116" in by_line[(25, "REFSTABLE")].message
    assert by_line[(26, "NUMTITRE")].message.endswith("(lignes 26 à 27)")
    assert "en double" in by_line[(29, "NUMORDRE")].message
    assert all(e.piece_id is None for e in errors(golden))


def build(**values: str) -> str:
    base = {
        "CODEXER": "2024",
        "NUMTITRE": "00000001",
        "NUMORDRE": "000001",
        "NATURETITRE": "01",
        "MONTANT": "1000",
        "ZONEAD1": "DUPONT",
    }
    base.update(values)
    return LAYOUT.build(base)


def test_titre_numbers_without_zeros_are_padded():
    items = run(indigo.parse, (build(NUMTITRE="42", NUMORDRE="7", NATURETITRE="03") + "\n").encode())
    assert items[0].ref_parts == {"codexer": "2024", "numtitre": "00000042", "numordre": "000007", "nature_titre": "03"}


def test_grouping_flushes_on_key_change_only():
    lines = [build(NUMTITRE="1", NATURETITRE="09", MONTANT="100", NUMORDRE=str(n)) for n in range(1, 4)]
    lines += [build(NUMTITRE="2", NATURETITRE="09", MONTANT="5")]
    lines += [build(NUMTITRE="2", NATURETITRE="09", MONTANT="5", CODEXER="2023")]  # other exercice, other titre
    items = run(indigo.parse, "\n".join(lines).encode())  # no final line end
    assert shape(items) == [
        ("debt", 1, ("2024", "00000001", "000001", "09"), 300),
        ("debt", 4, ("2024", "00000002", "000001", "09"), 5),
        ("debt", 5, ("2023", "00000002", "000001", "09"), 5),
    ]


@pytest.mark.parametrize("nature", ["09", "10", "00", "01"])
def test_grouped_titre_whose_lines_are_not_adjacent_is_refused_whole(nature):
    # Issue 15: "partial mode stores 10.00 € for a 15.00 € titre". Now no amount at all, every line named.
    lines = [
        build(NUMTITRE="1", NATURETITRE=nature, MONTANT="1000", NUMORDRE="1"),
        build(NUMTITRE="2", NATURETITRE="01", MONTANT="700"),
        build(NUMTITRE="1", NATURETITRE=nature, MONTANT="500", NUMORDRE="2"),
        build(NUMTITRE="3", NATURETITRE="09", MONTANT="200"),
        build(NUMTITRE="3", NATURETITRE="09", MONTANT="300", NUMORDRE="2"),
    ]
    items = run(indigo.parse, "\n".join(lines).encode())
    assert shape(items) == [
        ("error", 1, "NUMTITRE"),
        ("debt", 2, ("2024", "00000002", "000001", "01"), 700),
        ("error", 3, "NUMTITRE"),
        ("debt", 4, ("2024", "00000003", "000001", "09"), 500),
    ]
    assert not any(r.ref_parts["numtitre"] == "00000001" for r in records(items))


def test_nature_03_lines_need_not_be_adjacent():
    lines = [
        build(NUMTITRE="5", NATURETITRE="03", MONTANT="100", NUMORDRE="1"),
        build(NUMTITRE="6", NATURETITRE="01", MONTANT="700"),
        build(NUMTITRE="5", NATURETITRE="03", MONTANT="200", NUMORDRE="2"),
    ]
    items = run(indigo.parse, "\n".join(lines).encode())
    assert [(r.line_no, r.amount_cents) for r in records(items)] == [(1, 100), (2, 700), (3, 200)]


def test_split_titre_refused_from_a_one_way_source_too():
    lines = [build(NUMTITRE="1", NATURETITRE="09"), build(NUMTITRE="2"), build(NUMTITRE="1", NATURETITRE="09")]
    with OneWay("\n".join(lines).encode()) as source:
        assert [type(item).__name__ for item in indigo.parse(source)] == ["LineError", "DebtRecord", "LineError"]


def test_label_rule():
    assert _label("CANTINE".ljust(30), "MARS 2024".ljust(30)) == "CANTINE MARS 2024"
    assert _label("A" * 30, "BC".ljust(30)) == "A" * 30 + "BC"
    assert _label(" " * 30, "SEUL".ljust(30)) == "SEUL"
    assert _label(" " * 30, " " * 30) == ""


def test_a_file_of_another_format_is_refused_whole():
    with pytest.raises(ImportFileError, match="n'est pas au format INDIGO") as caught:
        run(indigo.parse, "rolmre_golden_latin9.txt")
    assert "500" in caught.value.message


def test_a_long_file_of_another_format_is_refused_early():
    data = ("X" * 500 + "\n").encode() * 1000
    with pytest.raises(ImportFileError, match="452 caractères"):
        run(indigo.parse, data)


def test_bad_first_lines_are_reported_once_the_format_is_confirmed():
    data = ("X" * 10 + "\n" + build() + "\n").encode()
    assert shape(run(indigo.parse, data)) == [
        ("error", 1, "enregistrement"),
        ("debt", 2, ("2024", "00000001", "000001", "01"), 1000),
    ]


def test_empty_file_is_refused():
    for data in (b"", b"\n\n", b"\r\n  \r\n\x1a"):
        with pytest.raises(ImportFileError, match="vide"):
            run(indigo.parse, data)


def test_an_overlong_line_is_reported_without_being_held():
    data = (build() + "\n" + "Y" * 200_000 + "\n" + build(NUMTITRE="2") + "\n").encode()
    items = run(indigo.parse, data)
    # A titre is yielded when the next one starts: the error of line 2 comes first.
    assert shape(items) == [
        ("error", 2, "enregistrement"),
        ("debt", 1, ("2024", "00000001", "000001", "01"), 1000),
        ("debt", 3, ("2024", "00000002", "000001", "01"), 1000),
    ]
    assert items[0].value == "200000"


def test_positions_count_characters_not_bytes():
    line = build(ZONEAD1="ŒÉÇ" * 10, ZONEOBJ1="ÉTÉ")
    data = (line + "\n").encode("utf-8")
    assert len(data) > 453
    (item,) = run(indigo.parse, data)
    assert item.debtor_name == "ŒÉÇ" * 10
    assert item.label == "ÉTÉ"


def test_forced_encoding_is_used():
    data = (build(ZONEAD1="LEBŒUF") + "\n").encode("iso8859-15")
    assert records(run(indigo.parse, data))[0].debtor_name == "LEBŒUF"
    assert records(run(indigo.parse, data, encoding="latin-1"))[0].debtor_name == "LEB¼UF"
    (error,) = run(indigo.parse, data, encoding="utf-8")
    assert (error.line_no, error.field, error.value) == (1, "encodage", "0xBC")
    assert "UTF-8" in error.message


def test_undecidable_encoding_is_refused():
    data = (build(ZONEAD1="D´ARTAGNAN") + "\n").encode("latin-1")
    with pytest.raises(ImportFileError, match="indécidable"):
        run(indigo.parse, data)


def test_one_way_source_and_position_are_respected():
    data = (build() + "\n").encode()
    with OneWay(data) as source:
        assert len(list(indigo.parse(source))) == 1
    stream = io.BytesIO(b"JUNK\n" + data)
    stream.seek(5)
    assert len(list(indigo.parse(stream))) == 1


def test_grouped_titres_seen_in_bounded_memory():
    seen = indigo._SeenTitres()
    for number in range(0, 1_000_000, 7):
        seen.add("2024", f"{number:08d}")
    assert ("2024", "00000007") in seen
    assert ("2024", "00000008") not in seen
    assert ("2023", "00000007") not in seen
    assert len(seen._pages) <= 16


def test_golden_files_exist_and_are_small():
    for name in GOLDEN:
        assert 10_000 < (DATA / name).stat().st_size < 20_000
