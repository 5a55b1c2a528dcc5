"""INDIGO titre files: fixed width, 452 characters a record (annex 5), streaming.

One record is one line of a titre (one imputation, or one debtor of a
multi-debtor titre). TIPI identifies a debt by CODEXER + NUMTITRE + NUMORDRE, and
annex 4 says which NUMORDRE, by NATURETITRE:

* 00, 01 (mono-débiteur mono-imputation) and 09, 10 (mono-débiteur
  multi-imputation): one debt per titre, on NUMORDRE ``000001``, "le regroupement
  pour le paiement est systématiquement effectué sur le premier numéro d'ordre":
  the amounts of the titre's lines are summed. (00/01 titres have a single line; if
  one has several, they are grouped the same way: one titre, one debt.)
* 03 (multi-débiteur mono-imputation): one debt per line, on its own NUMORDRE.

Amount: MONTANT (16 digits, the last two are cents). Annex 4 gives "MONTANT" as the
URL amount for INDIGO, whereas for PES V2 it spells out "MtHT + MtTVA": INDIGO's
MONTANT is therefore taken as the amount owed, TVA included, and the TVA zone (the
VAT part of it) is only checked for digits, never added.

Streaming, two passes: annex 5 sets no order between records, but a titre is grouped
while its lines are consecutive and yielded when the next titre starts, so that memory
does not grow with the file. A first pass (CODEXER, NUMTITRE and NATURETITRE of each
line) finds the grouped titres whose lines are not adjacent; the second refuses such a
titre whole, every line of it reported, rather than import a partial amount that TIPI
would refuse (M4) and the debtor could not pay. Both passes remember titres in sparse
bitmaps (a few kilobytes for a million titres). Grouping them instead would need to
hold or spill every titre until the end of the file.

Text zones: ETATCIV + ZONEAD1 form the debtor's name (ZONEAD1 carries the name in
INDIGO exports, ETATCIV the civility: "M", "MME", ...), ZONEAD2 to ZONEAD6 the
address lines; REFSTABLE the debtor's stable reference; CODEDEBIT (nature juridique
du débiteur) is passed on as a public-body hint; ZONEOBJ1 + ZONEOBJ2 the label
(see ``_label``). INDIGO carries no issue or take-in-charge date.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from .base import (
    DebtRecord,
    LineError,
    ValueProblem,
    as_public_body,
    exercice,
    implied_cents,
    join_address,
    join_words,
    numeric_id,
)
from .encoding import check_codec, detect_encoding, rewindable
from .fixedwidth import Field, Layout, read_records
from .indigo_titres import SeenTitres as _SeenTitres
from .indigo_titres import split_titres

__all__ = ["GROUPED_NATURES", "LAYOUT", "NATURES", "OWN_ORDER_NATURES", "parse"]

LAYOUT = Layout(
    "INDIGO",
    452,
    [
        Field("CODRCT", 1, 2, "9"),
        Field("CODCOL", 3, 5, "9"),
        Field("COBUDGET", 6, 7, "9"),
        Field("CODEXER", 8, 11, "9"),
        Field("NUMBORD", 12, 18),
        Field("NUMTITRE", 19, 26),
        Field("NUMORDRE", 27, 32),
        Field("NATURE", 33, 42),
        Field("FONCTION", 43, 49),
        Field("OPERATION", 50, 59),
        Field("MONTANT", 60, 75, "9"),
        Field("TVA", 76, 91, "9"),
        Field("ETATCIV", 92, 97),
        Field("ZONEAD1", 98, 129),
        Field("ZONEAD2", 130, 161),
        Field("ZONEAD3", 162, 193),
        Field("ZONEAD4", 194, 225),
        Field("ZONEAD5", 226, 257),
        Field("ZONEAD6", 258, 289),
        Field("REFSTABLE", 290, 304),
        Field("NATURETITRE", 305, 306),
        Field("CODEDEBIT", 307, 308, "9"),
        Field("CODSERVICE", 309, 318, "9"),
        Field("CODEREGIE", 319, 323),
        Field("ZONEOBJ1", 324, 353),
        Field("ZONEOBJ2", 354, 383),
        Field("EXORAT", 384, 387, "9"),
        Field("TITRERAT", 388, 395, "9"),
        Field("ORDRERAT", 396, 401, "9"),
        Field("INVENTAIRE", 402, 426),
        Field("MONNAIE", 427, 427),
        Field("FILLER", 428, 450),
        Field("VERSION", 451, 451),
        Field("CODTYPE", 452, 452),
    ],
)

# Annex 4: natures grouped on NUMORDRE 000001, and the one keeping its own NUMORDRE.
GROUPED_NATURES = frozenset({"00", "01", "09", "10"})
OWN_ORDER_NATURES = frozenset({"03"})
NATURES = GROUPED_NATURES | OWN_ORDER_NATURES
FIRST_ORDER = "000001"

_NAMES = (
    "CODEXER",
    "NUMTITRE",
    "NUMORDRE",
    "MONTANT",
    "TVA",
    "ETATCIV",
    "ZONEAD1",
    "ZONEAD2",
    "ZONEAD3",
    "ZONEAD4",
    "ZONEAD5",
    "ZONEAD6",
    "REFSTABLE",
    "NATURETITRE",
    "CODEDEBIT",
    "ZONEOBJ1",
    "ZONEOBJ2",
)
_OBJ_WIDTH = LAYOUT.fields["ZONEOBJ1"].width


def _label(obj1: str, obj2: str) -> str:
    """The titre's object from its two 30-character zones.

    A first zone filled to its last position was cut there by the producer: the
    second one continues it without a space ("...ECOLE MATERNEL" + "LE"); otherwise
    the zones are two parts of the text, joined with one space.
    """
    obj1 = obj1.rstrip()
    obj2 = obj2.rstrip()
    if len(obj1) == _OBJ_WIDTH:
        return (obj1 + obj2).strip()
    return join_words(obj1, obj2)


class _Titre:
    """The lines of one titre read so far (only kept while the titre is grouped)."""

    __slots__ = (
        "amount",
        "codexer",
        "debtor_ref",
        "first",
        "first_line",
        "grouped",
        "last_line",
        "nature",
        "numordres",
        "numtitre",
        "poisoned",
        "raw",
    )

    def __init__(self, codexer: str, numtitre: str, nature: str, line_no: int) -> None:
        self.codexer = codexer
        self.numtitre = numtitre
        self.nature = nature
        self.grouped = nature in GROUPED_NATURES
        self.first_line = line_no
        self.last_line = line_no
        self.amount = 0
        self.first: DebtRecord | None = None  # the first good line, as a record
        self.debtor_ref: str | None = None
        self.raw: list[str] = []
        self.poisoned = False
        self.numordres: set[str] = set()

    @property
    def key(self) -> tuple[str, str]:
        """CODEXER and NUMTITRE: what identifies the titre."""
        return self.codexer, self.numtitre

    @property
    def shown(self) -> str:
        """The titre as staff know it: exercice/number."""
        return f"{self.codexer}/{self.numtitre}"


def _line_record(line_no: int, line: str, values: list[str], amount: int, numordre: str) -> DebtRecord:
    """The debt one good line stands for (grouping adjusts amount and NUMORDRE)."""
    (
        codexer,
        numtitre,
        _numordre,
        _montant,
        _tva,
        etatciv,
        ad1,
        ad2,
        ad3,
        ad4,
        ad5,
        ad6,
        refstable,
        nature,
        codedebit,
        obj1,
        obj2,
    ) = values
    return DebtRecord(
        line_no=line_no,
        ref_parts={
            "codexer": codexer.strip(),
            "numtitre": numtitre,
            "numordre": numordre,
            "nature_titre": nature.strip(),
        },
        amount_cents=amount,
        debtor_ref=refstable.strip(),
        debtor_name=join_words(etatciv, ad1),
        debtor_address=join_address([ad2, ad3, ad4, ad5, ad6]),
        label=_label(obj1, obj2),
        issued_on=None,
        taken_in_charge_on=None,
        raw=line,
        public_body=as_public_body({"CODEDEBIT": codedebit}),
    )


def parse(source: BinaryIO, *, encoding: str | None = None) -> Iterator[DebtRecord | LineError]:
    """Parse an INDIGO file, yielding one DebtRecord per debt and a LineError per problem.

    ``encoding`` forces the file's encoding; by default it is decided from the bytes
    (``encoding`` module) and an undecidable file raises ImportFileError. Records
    come in file order of completion: a grouped titre is yielded once its last line
    has been read, so a line error inside it may come first. A grouped titre whose
    lines are not adjacent is refused whole: each of its lines is reported.
    """
    stream = rewindable(source)
    try:
        start = stream.tell()
        codec = check_codec(encoding) if encoding is not None else detect_encoding(stream)
        split = split_titres(read_records(stream, LAYOUT, encoding=codec), LAYOUT, GROUPED_NATURES, NATURES)
        stream.seek(start)
        yield from _parse(read_records(stream, LAYOUT, encoding=codec), split)
    finally:
        if stream is not source:
            stream.close()  # our spooled copy of a non-seekable source


def _parse(items: Iterator[tuple[int, str] | LineError], split: _SeenTitres) -> Iterator[DebtRecord | LineError]:
    """The second pass (see ``parse``)."""
    titre: _Titre | None = None
    for item in items:
        if isinstance(item, LineError):
            yield item
            continue
        line_no, line = item
        values = LAYOUT.read(line, *_NAMES)
        codexer, numtitre, nature = values[0], values[1], values[13]

        # 1. What titre the line belongs to; without it the line stands alone.
        errors: list[LineError] = []
        year = exercice(codexer, "Exercice (CODEXER)")
        if isinstance(year, ValueProblem):
            errors.append(LineError(line_no, "CODEXER", codexer.strip(), year.message))
        number = numeric_id(numtitre, 8, "Numéro de titre (NUMTITRE)")
        if isinstance(number, ValueProblem):
            errors.append(LineError(line_no, "NUMTITRE", numtitre.strip(), number.message))
        nature = nature.strip()
        if nature not in NATURES:
            message = (
                "Nature de titre absente" if not nature else "Nature de titre inconnue"
            ) + " : 00, 01, 03, 09 ou 10 attendu"
            errors.append(LineError(line_no, "NATURETITRE", nature, message))
        if errors:
            yield from errors
            continue
        assert isinstance(year, str) and isinstance(number, str)
        values[1] = number
        key = (year, number)
        if key in split:
            if titre is not None and titre.key != key:
                yield from _close(titre)  # the titre before ends here (it is not this split one)
                titre = None
            # Every line of the titre, whatever its nature (a differing one is an error of the titre too).
            yield LineError(
                line_no,
                "NUMTITRE",
                number,
                f"Titre {year}/{number} non importé : ses lignes ne se suivent pas dans le fichier (une autre "
                "ligne s'intercale). Un titre mono-débiteur (nature 00, 01, 09 ou 10) est payé en une fois, "
                "sur le total de ses lignes : placez-les l'une après l'autre et importez de nouveau ce titre.",
            )
            continue

        # 2. Same titre as the line before, or a new one.
        if titre is not None and titre.key == key:
            titre.last_line = line_no
            if nature != titre.nature:
                yield LineError(
                    line_no,
                    "NATURETITRE",
                    nature,
                    f"Nature de titre {nature} différente de celle des lignes précédentes du titre "
                    f"{titre.shown} ({titre.nature})",
                )
                titre.poisoned = titre.poisoned or titre.grouped
                continue
        else:
            if titre is not None:
                yield from _close(titre)
            # A grouped titre met again was found by the first pass: only 03 titres come back here,
            # their lines being debts of their own (a repeated NUMORDRE is not detected across gaps).
            titre = _Titre(year, number, nature, line_no)
        titre.last_line = line_no

        # 3. The line's own fields.
        numordre_raw = values[2]
        numordre = numeric_id(numordre_raw, 6, "Numéro d'ordre (NUMORDRE)")
        if isinstance(numordre, ValueProblem):
            errors.append(LineError(line_no, "NUMORDRE", numordre_raw.strip(), numordre.message))
        amount = implied_cents(values[3], "Montant (MONTANT)")
        if isinstance(amount, ValueProblem):
            errors.append(LineError(line_no, "MONTANT", values[3].strip(), amount.message))
        if values[4].strip() and isinstance(implied_cents(values[4]), ValueProblem):
            errors.append(LineError(line_no, "TVA", values[4].strip(), "Montant de TVA (TVA) non numérique"))
        if not titre.grouped and isinstance(numordre, str):
            if numordre in titre.numordres:
                errors.append(
                    LineError(
                        line_no,
                        "NUMORDRE",
                        numordre,
                        f"Numéro d'ordre {numordre} en double dans le titre {titre.shown}",
                    )
                )
            titre.numordres.add(numordre)
        if errors:
            yield from errors
            titre.poisoned = titre.poisoned or titre.grouped
            continue
        assert isinstance(amount, int) and isinstance(numordre, str)

        if not titre.grouped:
            # 03: one debt per line, on its own NUMORDRE; yielded at once.
            if amount == 0:
                yield LineError(line_no, "MONTANT", values[3].strip(), "Montant nul : rien à payer")
                continue
            yield _line_record(line_no, line, values, amount, numordre)
            continue

        record = _line_record(line_no, line, values, amount, FIRST_ORDER)
        if titre.first is None:
            titre.first = record
            titre.debtor_ref = record.debtor_ref
        elif record.debtor_ref != titre.debtor_ref:
            yield LineError(
                line_no,
                "REFSTABLE",
                record.debtor_ref,
                f"Débiteur différent de celui des lignes précédentes du titre mono-débiteur {titre.shown} "
                f"({titre.debtor_ref or 'sans référence'})",
            )
            titre.poisoned = True
            continue
        titre.amount += amount
        titre.raw.append(line)
    if titre is not None:
        yield from _close(titre)


def _close(titre: _Titre) -> Iterator[DebtRecord | LineError]:
    """Yield the debt of a grouped titre whose lines are all read (03 titres yielded theirs)."""
    if not titre.grouped:
        return
    first = titre.first
    if titre.poisoned:
        if first is not None:
            lines = f"lignes {titre.first_line} à {titre.last_line}"
            yield LineError(
                first.line_no,
                "NUMTITRE",
                titre.numtitre,
                f"Titre {titre.shown} non importé : une de ses lignes est en erreur ({lines})",
            )
        return
    if first is None:  # pragma: no cover - a titre exists only once a line joined it
        return
    if titre.amount == 0:
        yield LineError(first.line_no, "MONTANT", "0", f"Montant nul pour le titre {titre.shown} : rien à payer")
        return
    yield DebtRecord(
        line_no=first.line_no,
        ref_parts=first.ref_parts,
        amount_cents=titre.amount,
        debtor_ref=first.debtor_ref,
        debtor_name=first.debtor_name,
        debtor_address=first.debtor_address,
        label=first.label,
        issued_on=None,
        taken_in_charge_on=None,
        raw="\n".join(titre.raw),
        public_body=first.public_body,
    )
