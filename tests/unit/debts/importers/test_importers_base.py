"""The shared value parsers, the layouts against annex 5, the registry, purity."""

from __future__ import annotations

import datetime
import io
import subprocess
import sys

import pytest

from debts import importers
from debts.importers import indigo, rolmre
from debts.importers.base import (
    ValueProblem,
    decimal_to_cents,
    exercice,
    implied_cents,
    join_address,
    join_words,
    numeric_id,
    yyyymmdd,
)
from debts.importers.fixedwidth import Field, Layout
from tests import paths

ROOT = paths.ROOT


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("12.50", 1250),
        ("12,5", 1250),
        ("19,6", 1960),
        ("100", 10000),
        ("0.1", 10),
        ("12.500", 1250),
        (" 7 ", 700),
        ("0.01", 1),
        ("123456789012.34", 12345678901234),
        ("-0.00", 0),
        # every lexical form of xs:decimal (the PES V2 schema's amounts)
        ("12.", 1200),
        ("+5", 500),
        (".5", 50),
        ("+.05", 5),
        ("007", 700),
    ],
)
def test_decimal_to_cents_is_exact(text, cents):
    assert decimal_to_cents(text) == cents


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("12.345", "Montant avec plus de deux décimales"),
        ("0.001", "Montant avec plus de deux décimales"),
        ("-5", "Montant négatif"),
        ("", "Montant absent"),
        ("abc", "non numérique"),
        ("1e3", "non numérique"),
        ("1 000,00", "non numérique"),
        ("١٢", "non numérique"),
        (".", "non numérique"),
        ("+", "non numérique"),
        ("+-5", "non numérique"),
        ("1.2.3", "non numérique"),
    ],
)
def test_decimal_to_cents_refuses(text, message):
    result = decimal_to_cents(text)
    assert isinstance(result, ValueProblem)
    assert message in result.message


def test_decimal_to_cents_has_no_float_rounding():
    # 0.1 + 0.2 style traps: every two-decimal value converts exactly.
    for units in (0, 1, 19, 1234567):
        for cents in range(100):
            assert decimal_to_cents(f"{units}.{cents:02d}") == units * 100 + cents


@pytest.mark.parametrize(("text", "cents"), [("0000000000012345", 12345), ("   12345", 12345), ("0" * 12, 0)])
def test_implied_cents(text, cents):
    assert implied_cents(text) == cents


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "absent"),
        ("    ", "absent"),
        ("12 45", "non numérique"),
        ("-1234", "non numérique"),
        ("١٢٣", "non numérique"),
        ("12,50", "non numérique"),
    ],
)
def test_implied_cents_refuses(text, message):
    result = implied_cents(text, "Montant")
    assert isinstance(result, ValueProblem)
    assert result.message == f"Montant {message}"


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("20240315", datetime.date(2024, 3, 15)),
        ("2024-03-15", datetime.date(2024, 3, 15)),
        ("", None),
        ("00000000", None),
        ("        ", None),
        ("20240229", datetime.date(2024, 2, 29)),
    ],
)
def test_yyyymmdd(text, day):
    assert yyyymmdd(text) == day


@pytest.mark.parametrize("text", ["20240230", "20231301", "15032024", "2024-3-15", "2024031", "2024O315", "18000101"])
def test_yyyymmdd_refuses(text):
    assert isinstance(yyyymmdd(text), ValueProblem)


def test_exercice():
    assert exercice("2024") == "2024"
    assert exercice(" 2024 ") == "2024"
    for bad in ("", "24", "20A4", "1989", "2100", "٢٠٢٤", "02024"):
        assert isinstance(exercice(bad), ValueProblem), bad


def test_numeric_id_pads_and_refuses():
    assert numeric_id("12", 8, "IdPce") == "00000012"
    assert numeric_id("  12    ", 8, "IdPce") == "00000012"
    assert numeric_id("00000012", 8, "IdPce") == "00000012"
    assert numeric_id("123456789", 8, "IdPce") == ValueProblem("IdPce trop long : 8 chiffres au plus")
    assert numeric_id("", 8, "IdPce") == ValueProblem("IdPce absent")
    assert numeric_id("12A", 8, "IdPce") == ValueProblem("IdPce non numérique")


def test_join_helpers_drop_padding():
    assert join_words("MME   ", "  DUPONT   MARIE ", None, "") == "MME DUPONT MARIE"
    assert join_address(["  1 RUE   X ", "", "   ", None, "42000 SAINT-ÉTIENNE"]) == "1 RUE X\n42000 SAINT-ÉTIENNE"


# Positions given by annex 5 (1-based, inclusive), independently of the modules.
ANNEX5_INDIGO = {
    "CODEXER": (8, 11),
    "NUMTITRE": (19, 26),
    "NUMORDRE": (27, 32),
    "MONTANT": (60, 75),
    "TVA": (76, 91),
    "ETATCIV": (92, 97),
    "ZONEAD1": (98, 129),
    "ZONEAD6": (258, 289),
    "REFSTABLE": (290, 304),
    "NATURETITRE": (305, 306),
    "CODEDEBIT": (307, 308),
    "ZONEOBJ1": (324, 353),
    "ZONEOBJ2": (354, 383),
    "VERSION": (451, 451),
    "CODTYPE": (452, 452),
}
ANNEX5_ROLMRE = {
    "ROLMVT": (1, 1),
    "ROLCOL": (2, 3),
    "ROLNAT": (4, 5),
    "ROLEX": (6, 9),
    "ROLPER": (10, 10),
    "ROLDET": (11, 23),
    "ROLCLE1": (24, 24),
    "ROLCLE2": (26, 26),
    "ROLREC": (27, 28),
    "ROLDAT": (29, 36),
    "ROLROL": (37, 38),
    "ROLEAU": (39, 50),
    "ROLASS": (51, 62),
    "ROLTVE": (63, 74),
    "ROLTVA": (75, 86),
    "ROLTOT": (87, 98),
    "ROLNMAJ": (99, 110),
    "ROLNOM": (111, 142),
    "ROLCNM": (143, 174),
    "ROLDIS": (175, 206),
    "ROLADR": (207, 238),
    "ROLCVI": (239, 270),
    "ROLCP": (271, 275),
    "ROLLOC": (276, 302),
    "ROLCLI": (415, 434),
    "ROLDEB": (467, 468),
    "ROLTPR": (499, 499),
    "ROLVER": (500, 500),
}


@pytest.mark.parametrize(
    ("layout", "annex", "length"), [(indigo.LAYOUT, ANNEX5_INDIGO, 452), (rolmre.LAYOUT, ANNEX5_ROLMRE, 500)]
)
def test_layouts_follow_annex_5(layout, annex, length):
    assert layout.length == length
    for name, (start, end) in annex.items():
        field = layout.fields[name]
        assert (field.start, field.end) == (start, end), name
    # Every position of the record belongs to exactly one zone (the annex covers them all).
    covered = sorted(p for f in layout.fields.values() for p in range(f.start, f.end + 1))
    assert covered == list(range(1, length + 1))


def test_layout_build_places_values_and_pads_numbers():
    layout = Layout("T", 12, [Field("A", 1, 3, "9"), Field("B", 5, 8), Field("C", 10, 12)])
    line = layout.build({"A": "7", "B": "ÉCOLE", "C": "x"})
    assert line == "007 ÉCOL x  "
    assert layout.read(line, "A", "B", "C") == ["007", "ÉCOL", "x  "]
    with pytest.raises(ValueError, match="overlaps"):
        Layout("T", 10, [Field("A", 1, 3), Field("B", 3, 4)])
    with pytest.raises(KeyError):
        layout.build({"Z": "1"})


def test_registry_and_dispatch():
    assert set(importers.PARSERS) == set(importers.FORMATS) == {"indigo", "rolmre", "pesv2", "regie"}
    assert importers.PARSERS["indigo"] is indigo.parse
    with pytest.raises(importers.ImportFileError, match="Format de fichier inconnu"):
        importers.parse("csv", io.BytesIO(b""))
    with pytest.raises(importers.ImportFileError, match="vide"):
        list(importers.parse("rolmre", io.BytesIO(b"")))


def test_records_are_frozen():
    error = importers.LineError(1, "MONTANT", "x", "Montant non numérique")
    with pytest.raises(AttributeError):
        error.line_no = 2  # type: ignore[misc]


def test_package_is_pure():
    """No Django, nothing else of the project: the importers run anywhere."""
    code = (
        "import sys, debts.importers, debts.importers.samples\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'payments', 'tipiportal'))\n"
        "bad += sorted(m for m in sys.modules if m.startswith('debts.') and not m.startswith('debts.importers'))\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
