"""PES V2 Recette structures the DGFiP schema allows that annex 5 does not show: a line without
its own Tiers, every lexical form of xs:decimal, an attachment block (PES_PJ) of any size after
the recette block."""

from __future__ import annotations

import io

import pytest

from debts.importers import ImportFileError, pesv2
from tests.unit.debts.importers.importer_helpers import errors, records, run

TIERS = '<Tiers><InfoTiers><RefTiers V="{ref}"/><Nom V="{nom}"/></InfoTiers></Tiers>'


def _line(idligne: int, amount: str, tiers: str = "") -> str:
    return (
        f'<LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="{idligne}"/><MtHT V="{amount}"/>'
        f"</InfoLignePiece></BlocLignePiece>{tiers}</LigneDePiece>"
    )


def _pes(lines: str, after: str = "") -> bytes:
    return (
        '<PES_Aller><PES_RecetteAller><Bordereau><BlocBordereau><Exer V="2024"/></BlocBordereau><Piece><BlocPiece>'
        f'<IdPce V="7"/></BlocPiece>{lines}</Piece></Bordereau></PES_RecetteAller>{after}</PES_Aller>'
    ).encode()


def test_a_line_without_tiers_belongs_to_the_piece_debtor():
    items = run(pesv2.parse, _pes(_line(1, "10.00", TIERS.format(ref="D1", nom="DUPONT")) + _line(2, "5.00")))
    assert errors(items) == []
    (record,) = records(items)
    assert (record.ref_parts["idligne"], record.amount_cents) == ("000001", 1500)
    assert (record.debtor_ref, record.debtor_name) == ("D1", "DUPONT")


def test_a_line_without_tiers_before_the_debtor_line_is_the_debtor_too():
    items = run(pesv2.parse, _pes(_line(1, "3.00") + _line(2, "4.00", TIERS.format(ref="D9", nom="MARTIN"))))
    (record,) = records(items)
    assert (record.amount_cents, record.debtor_name) == (700, "MARTIN")


def test_with_several_debtors_a_line_without_tiers_goes_to_the_first():
    lines = (
        _line(1, "1.00", TIERS.format(ref="A", nom="ALPHA"))
        + _line(2, "2.00", TIERS.format(ref="B", nom="BETA"))
        + _line(3, "0.50")
    )
    got = {(r.ref_parts["idligne"], r.debtor_name, r.amount_cents) for r in records(run(pesv2.parse, _pes(lines)))}
    assert got == {("000001", "ALPHA", 150), ("000002", "BETA", 200)}


@pytest.mark.parametrize(
    ("value", "cents"),
    [("12", 1200), ("12.5", 1250), ("+12.50", 1250), ("012.500", 1250), (".5", 50), ("5.", 500), ("0012", 1200)],
)
def test_every_xs_decimal_form_is_read(value, cents):
    (record,) = records(run(pesv2.parse, _pes(_line(1, value, TIERS.format(ref="D", nom="N")))))
    assert record.amount_cents == cents


@pytest.mark.parametrize("value", ["-1.00", ".", "+", "1.2.3", "1e2", "12.345", " + 1"])
def test_what_is_no_amount_stays_an_error(value):
    (error,) = errors(run(pesv2.parse, _pes(_line(1, value, TIERS.format(ref="D", nom="N")))))
    assert error.field == "MtHT"


class _Stream(io.RawIOBase):
    """A PES file with a PES_PJ of ``size`` bytes of base64, produced as read (never held whole)."""

    def __init__(self, size: int, closing: bytes = b"</Contenu></PJ></PES_PJ></PES_Aller>") -> None:
        head, _, _ = _pes(_line(1, "42.00", TIERS.format(ref="D", nom="N"))).rpartition(b"</PES_Aller>")
        self._parts = [head + b'<PES_PJ><PJ><IdUnique V="PJ1"/><Contenu>']
        self._left = size
        self._closing = closing
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if not self._pending:
            if self._parts:
                self._pending = self._parts.pop(0)
            elif self._left:
                self._pending = b"QUJD" * (min(self._left, 1 << 20) // 4)
                self._left -= len(self._pending)
            else:
                self._pending, self._closing = self._closing, b""
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def test_a_huge_attachment_after_the_recette_is_skipped():
    """40 MB of PES_PJ: more than the guard's 16 MB and libxml2's 10 MB text limit."""
    (record,) = list(pesv2.parse(io.BufferedReader(_Stream(40 << 20), buffer_size=1 << 16)))
    assert record.amount_cents == 4200


def test_a_small_attachment_after_the_recette_is_skipped():
    (record,) = list(pesv2.parse(io.BufferedReader(_Stream(1024))))
    assert record.amount_cents == 4200


def test_a_file_cut_inside_its_attachment_is_refused():
    with pytest.raises(ImportFileError, match="bien formé"):
        list(pesv2.parse(io.BufferedReader(_Stream(1 << 20, closing=b""))))


def test_an_attachment_only_file_has_no_recette():
    data = b'<PES_Aller><PES_PJ><PJ><IdUnique V="PJ1"/><Contenu>QUJD</Contenu></PJ></PES_PJ></PES_Aller>'
    with pytest.raises(ImportFileError, match="aucun bordereau de recette"):
        run(pesv2.parse, data)


def test_a_recette_after_the_attachments_is_refused_not_left_unread():
    recette = _pes(_line(1, "1.00", TIERS.format(ref="D", nom="N"))).removeprefix(b"<PES_Aller>")
    data = b"<PES_Aller><PES_PJ><PJ><Contenu>QUJD</Contenu></PJ></PES_PJ>" + recette
    with pytest.raises(ImportFileError, match="suit les pièces jointes"):
        run(pesv2.parse, data)
