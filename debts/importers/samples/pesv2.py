"""The PES V2 Recette sample writer (XML ``PES_Aller``, bordereaux of pieces)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from random import Random
from typing import BinaryIO

from debts.importers.base import DebtRecord
from debts.importers.encoding import encoding_label

from .base import EXERCICE, SampleStats, bad_due, split_address
from .people import MONTHS, SERVICES, Person, random_amount, random_day, random_person

__all__ = ["PES_NAMESPACE", "PIECES_PER_BORDEREAU", "write_pesv2"]

PES_NAMESPACE = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"
PIECES_PER_BORDEREAU = 200

_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
)


def _v(name: str, value: str | None) -> str:
    """``<Name V="value"/>``, or nothing for a missing value."""
    if value is None:
        return ""
    return f'<{name} V="{value.translate(_ESCAPES)}"/>'


def _decimal(cents: int) -> str:
    """Cents as an xs:decimal with two decimals ("1250" → "12.50")."""
    return f"{cents // 100}.{cents % 100:02d}"


@dataclass(slots=True)
class _PesLine:
    idligne: str | None
    mtht: str | None
    mttva: str | None = None
    cents: int | None = None  # MtHT in cents, for the bordereau total
    label: str = ""
    civility: str = ""
    last: str = ""
    first: str = ""
    ref: str = ""
    hints: dict[str, str] | None = None
    address: tuple[tuple[str, ...], str, str] = ((), "", "")


@dataclass(slots=True)
class _PesPiece:
    idpce: str | None
    label: str
    dteasp: str | None
    lines: list[_PesLine]


def _pes_line_xml(line: _PesLine) -> str:
    """One LigneDePiece."""
    adr_lines, postcode, town = line.address
    hints = line.hints or {}
    tiers = "".join(
        (
            _v("IdTiers", hints.get("IdTiers")),
            _v("NatIdTiers", hints.get("NatIdTiers")),
            _v("RefTiers", line.ref or None),
            # Only public bodies carry them here: the importer takes any of them as a public-body hint.
            _v("CatTiers", hints.get("CatTiers")),
            _v("NatJur", hints.get("NatJur")),
            _v("TypTiers", hints.get("TypTiers")),
            _v("Civilite", line.civility or None),
            _v("Nom", line.last),
            _v("Prenom", line.first or None),
        )
    )
    return (
        "<LigneDePiece><BlocLignePiece><InfoLignePiece>"
        f"{_v('IdLigne', line.idligne)}{_v('ObjLignePce', line.label or None)}{_v('TvaIntraCom', '0')}"
        f"{_v('CodProdLoc', 'CANT')}{_v('Nature', '7067')}{_v('Majo', '0')}{_v('MtHT', line.mtht)}"
        f"{_v('MtTVA', line.mttva)}</InfoLignePiece></BlocLignePiece>"
        f"<Tiers><InfoTiers>{tiers}</InfoTiers>{_address_xml(adr_lines, postcode, town)}</Tiers></LigneDePiece>"
    )


def _address_xml(adr_lines: tuple[str, ...], postcode: str, town: str) -> str:
    """The principal Adresse: the street in Adr2 (Adr1 and Adr3 are the complements before and
    after it), then CP, Ville and CodRes (0: resident in France)."""
    if len(adr_lines) == 1:
        named = [("Adr2", adr_lines[0])]
    else:
        named = list(zip(("Adr1", "Adr2", "Adr3"), adr_lines, strict=False))
    address = "".join(_v(name, text) for name, text in named)
    return f"<Adresse>{_v('TypAdr', '1')}{address}{_v('CP', postcode or None)}{_v('Ville', town or None)}" + (
        f"{_v('CodRes', '0')}</Adresse>"
    )


class _PesWriter:
    """Write the envelope, then bordereaux of pieces (one bordereau held at a time)."""

    def __init__(self, out: BinaryIO, encoding: str, declaration: bool, namespace: str | None) -> None:
        self.out = out
        self.encoding = encoding
        self.namespace = namespace
        self.bordereau: list[_PesPiece] = []
        self.exer = EXERCICE
        self.idbord = 0
        self.typbord = "01"
        self.dtebord: str | None = EXERCICE + "-03-01"
        head = ""
        if declaration:
            head = f'<?xml version="1.0" encoding="{encoding_label(encoding)}"?>\n'
        if namespace == "prefix":
            root = f'<n:PES_Aller xmlns:n="{PES_NAMESPACE}">'
            self.close_root = "</n:PES_Aller>"
        elif namespace == "default":
            root = f'<PES_Aller xmlns="{PES_NAMESPACE}">'
            self.close_root = "</PES_Aller>"
        else:
            root = "<PES_Aller>"
            self.close_root = "</PES_Aller>"
        self.write(
            f"{head}{root}\n<Enveloppe><Parametres>{_v('Version', '2')}{_v('TypFic', 'PESALR2')}"
            f"{_v('NomFic', 'PES_RECETTE_' + EXERCICE)}</Parametres></Enveloppe>\n<EnTetePES>{_v('DteStr', EXERCICE + '-12-31')}{_v('IdPost', '042000')}"
            f"{_v('IdColl', '21420218600011')}{_v('CodCol', '042')}{_v('CodBud', '00')}</EnTetePES>\n"
            f"<PES_RecetteAller><EnTeteRecette>{_v('IdVer', '2')}</EnTeteRecette>\n"
        )

    def write(self, text: str) -> None:
        self.out.write(text.encode(self.encoding, "xmlcharrefreplace"))

    def add(self, piece: _PesPiece, exer: str) -> None:
        if self.bordereau and (exer != self.exer or len(self.bordereau) >= PIECES_PER_BORDEREAU):
            self.flush()
        self.exer = exer
        self.bordereau.append(piece)

    def flush(self) -> None:
        if not self.bordereau:
            return
        self.idbord += 1
        # MtBordHt is informative (the parser does not read it); bad amounts count for 0.
        total = sum(line.cents or 0 for piece in self.bordereau for line in piece.lines)
        parts = [
            f"<Bordereau><BlocBordereau>{_v('Exer', self.exer)}{_v('IdBord', str(self.idbord))}"
            f"{_v('DteBordEm', self.dtebord)}{_v('TypBord', self.typbord)}"
            f"{_v('NbrPce', str(len(self.bordereau)))}{_v('MtBordHT', _decimal(total))}</BlocBordereau>\n"
        ]
        for piece in self.bordereau:
            parts.append(
                f"<Piece><BlocPiece>{_v('IdPce', piece.idpce)}{_v('TypPce', '01')}{_v('NatPce', '01')}"
                f"{_v('ObjPce', piece.label or None)}{_v('DteAsp', piece.dteasp)}</BlocPiece>"
                + "".join(_pes_line_xml(line) for line in piece.lines)
                + "</Piece>\n"
            )
        parts.append("</Bordereau>\n")
        self.write("".join(parts))
        self.bordereau = []

    def close(self) -> None:
        self.flush()
        self.write(f"</PES_RecetteAller>\n{self.close_root}\n")


def _pes_person_line(person: Person, idligne: int, cents: int, rng: Random) -> _PesLine:
    """A line of a generated piece for one debtor; one in ten splits out 10 % VAT."""
    mttva = None
    if rng.random() < 0.1 and cents >= 11:
        ht = cents * 100 // 110
        mttva = _decimal(cents - ht)
        cents = ht
    hints = None
    if person.siret:
        hints = {"IdTiers": person.siret, "NatIdTiers": "01", "CatTiers": "50", "NatJur": "03", "TypTiers": "01"}
    return _PesLine(
        idligne=str(idligne),
        mtht=_decimal(cents),
        mttva=mttva,
        cents=cents,
        civility=person.civility.title(),
        last=person.last,
        first=person.first.title(),
        ref=person.ref,
        hints=hints,
        address=(person.lines, person.postcode, person.town),
    )


def _pes_generate(rng: Random, count: int, bad_share: float) -> Iterator[tuple[_PesPiece, int, bool]]:
    """Generated pieces with the number of debts each must give and whether it is bad."""
    bad = 0
    for number in range(1, count + 1):
        label = f"{rng.choice(SERVICES).capitalize()} {rng.choice(MONTHS).lower()} {EXERCICE}"
        dteasp = random_day(rng).isoformat()
        if bad_due(bad, number - 1, bad_share, count):
            bad += 1
            line = _pes_person_line(random_person(rng, number * 10), 1, random_amount(rng), rng)
            piece = _PesPiece(str(number), label, dteasp, [line])
            kind = rng.randrange(5)
            if kind == 0:
                line.mtht, line.cents = "12.345", None
            elif kind == 1:
                line.mtht, line.cents = "douze", None
            elif kind == 2:
                line.idligne = ""
            elif kind == 3:
                piece.idpce = ""
            else:
                piece.dteasp = EXERCICE + "-02-30"
            yield piece, 0, True
            continue
        draw = rng.random()
        if draw < 0.7:
            shape = [1]  # mono-débiteur mono-imputation
        elif draw < 0.8:
            shape = [rng.randint(2, 3)]  # mono-débiteur multi-imputation
        elif draw < 0.9:
            shape = [1] * rng.randint(2, 4)  # multi-débiteur mono-imputation
        else:
            shape = [rng.randint(1, 3) for _ in range(rng.randint(2, 3))]  # multi-débiteur multi-imputation
            shape[0] = max(shape[0], 2)
        lines = []
        idligne = 0
        for debtor_index, size in enumerate(shape):
            person = random_person(rng, number * 10 + debtor_index)
            for _ in range(size):
                idligne += 1
                lines.append(_pes_person_line(person, idligne, random_amount(rng), rng))
        yield _PesPiece(str(number), label, dteasp, lines), len(shape), False


def write_pesv2(
    out: BinaryIO,
    records_or_count: int | Iterable[DebtRecord],
    *,
    seed: int = 0,
    bad_share: float = 0.0,
    encoding: str = "iso-8859-1",
    declaration: bool = True,
    namespace: str | None = "prefix",
) -> SampleStats:
    """Write a PES V2 Recette file: ``count`` pieces, or the given DebtRecords.

    Generated pieces: 70 % mono-débiteur mono-imputation, 10 % mono-débiteur
    multi-imputation, 10 % multi-débiteur mono-imputation, 10 % multi-débiteur
    multi-imputation; 10 % of lines carry MtTVA. Given records sharing Exer and IdPce
    (consecutively) become the lines of one piece, each its own debtor.

    ``namespace``: "prefix" (``n:PES_Aller``, children unqualified, like Hélios
    files), "default" (``xmlns=``, every element qualified) or None. Characters the
    encoding lacks (Œ in ISO-8859-1) are written as character references;
    ``declaration=False`` leaves the XML declaration out, like some Windows software.
    """
    writer = _PesWriter(out, encoding, declaration, namespace)
    if not isinstance(records_or_count, int):
        writer.dtebord = None  # the records' own dates only
        pieces = debts = 0
        current: _PesPiece | None = None
        key = None
        for record in records_or_count:
            parts = record.ref_parts
            adr_lines, postcode, town = split_address(record.debtor_address, 3)
            line = _PesLine(
                idligne=parts["idligne"],
                mtht=_decimal(record.amount_cents),
                cents=record.amount_cents,
                last=record.debtor_name,
                ref=record.debtor_ref,
                hints=record.public_body,
                address=(adr_lines, postcode, town),
            )
            if current is None or key != (parts["exer"], parts["idpce"]):
                current = _PesPiece(
                    parts["idpce"], record.label, record.issued_on.isoformat() if record.issued_on else None, []
                )
                key = (parts["exer"], parts["idpce"])
                writer.add(current, parts["exer"])
                pieces += 1
            current.lines.append(line)
            debts += 1
        writer.close()
        return SampleStats(pieces, 0, debts)

    rng = Random(seed)
    written = bad = debts = 0
    for piece, piece_debts, is_bad in _pes_generate(rng, records_or_count, bad_share):
        writer.add(piece, EXERCICE)
        written += 1
        bad += is_bad
        debts += piece_debts
    writer.close()
    return SampleStats(written, bad, debts)
