"""What every importer yields, and the small value parsers they share.

Pure Python (stdlib only): the importers are used by the Django services, by the
benchmarks and by tests, and must not drag the project in.

A parser is a generator ``parse(source, *, encoding=None)`` over a binary file
object. It yields, in file order:

* ``DebtRecord``: one debt as TIPI knows it (one REFDET), after the grouping rules
  of annex 4 have been applied;
* ``LineError``: one problem of one field of one line (or XML piece), with a French
  message for the municipal staff. Parsing goes on with the next line.

Problems that make the whole file unusable (not text, undecidable encoding, not XML,
a DTD, not the announced format at all) raise ``ImportFileError`` instead, with a
French message that can be shown as is.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

__all__ = [
    "EXERCICE_MAX",
    "EXERCICE_MIN",
    "DebtRecord",
    "ImportFileError",
    "LineError",
    "ValueProblem",
    "as_public_body",
    "decimal_to_cents",
    "exercice",
    "implied_cents",
    "join_address",
    "join_words",
    "numeric_id",
    "yyyymmdd",
]


@dataclass(slots=True)  # not frozen: a frozen dataclass is built 5 times slower, and imports build millions
class DebtRecord:
    """One debt read from an authority's file, ready for REFDET composition (read-only by convention).

    ``ref_parts`` are named like ``payments.tipi.compose_refdet`` expects them for
    the file's protocol; the caller composes the REFDET. ``amount_cents`` is exact
    (an integer number of euro cents, never a float). ``raw`` keeps the source text
    for the audit trail (for XML, a compact serialisation of the piece, restricted
    to the lines of this debt when the piece has several debtors).
    """

    line_no: int
    ref_parts: dict[str, str]
    amount_cents: int
    debtor_ref: str
    debtor_name: str
    debtor_address: str
    label: str
    issued_on: datetime.date | None
    taken_in_charge_on: datetime.date | None
    raw: str
    public_body: dict[str, str] | None = None
    piece_id: str | None = None
    #: The date the bill asks to be paid by (régie invoices; the Hélios files carry none).
    due_on: datetime.date | None = None


@dataclass(frozen=True, slots=True)
class LineError:
    """One bad field of one record: where (line number, or piece position and
    ``piece_id`` for XML), which field (the format's own name), the value read and
    a French message for the staff."""

    line_no: int
    field: str
    value: str
    message: str
    piece_id: str | None = None


class ImportFileError(Exception):
    """The file cannot be imported at all; ``message`` is French, for the staff."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class ValueProblem:
    """A field value that failed a check: the French message, without position.

    The value parsers below return it instead of raising so that a format parser
    can collect every problem of a line in one pass and report them all.
    """

    message: str


# A debt payable through TIPI in 2010 or later belongs to an exercice of this range;
# anything else in a 4-digit year field is a shifted or corrupted record.
EXERCICE_MIN = 1990
EXERCICE_MAX = 2099

# PES decimals: every lexical form of the XSD's xs:decimal ("12", "+12.50", "012.500", ".5",
# "5."), with a dot or a comma (the annex's own examples write "19,6").
_DECIMAL = re.compile(r"([+-]?)([0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")


def exercice(value: str, what: str = "Exercice") -> str | ValueProblem:
    """Return a 4-digit year between EXERCICE_MIN and EXERCICE_MAX, or the problem."""
    value = value.strip()
    if not value:
        return ValueProblem(f"{what} absent")
    if len(value) != 4 or not (value.isascii() and value.isdigit()):
        return ValueProblem(f"{what} invalide : 4 chiffres attendus (année)")
    if not EXERCICE_MIN <= int(value) <= EXERCICE_MAX:
        return ValueProblem(f"{what} invalide : année hors de la plage {EXERCICE_MIN}-{EXERCICE_MAX}")
    return value


def numeric_id(value: str, width: int, what: str) -> str | ValueProblem:
    """Return a mandatory numeric identifier zero-padded to ``width`` digits.

    Fixed-width "X" zones and XML ``V`` attributes may carry the number without its
    leading zeros ("12", or "12" left-aligned in spaces); REFDET wants it padded.
    """
    value = value.strip()
    if not value:
        return ValueProblem(f"{what} absent")
    if not (value.isascii() and value.isdigit()):
        return ValueProblem(f"{what} non numérique")
    if len(value) > width:
        return ValueProblem(f"{what} trop long : {width} chiffres au plus")
    return value.zfill(width)


def implied_cents(value: str, what: str = "Montant") -> int | ValueProblem:
    """Parse a fixed-width amount: digits only, the last two being the cents.

    The layouts give amounts as format 9 (unsigned zoned digits, no comma), so
    "0000000000012345" is 123,45 €. Spaces around the digits are tolerated (some
    generators right-align numbers in spaces rather than zeros); a sign, comma or
    any other character is an error.
    """
    if value.isdigit() and value.isascii():  # the usual, zero-filled case
        return int(value)
    digits = value.strip()
    if not digits:
        return ValueProblem(f"{what} absent")
    if not (digits.isascii() and digits.isdigit()):
        return ValueProblem(f"{what} non numérique")
    return int(digits)


def decimal_to_cents(value: str, what: str = "Montant") -> int | ValueProblem:
    """Convert a PES decimal ("12.50", "12,5", "100", "+.5") to exact integer cents.

    Decimal arithmetic only, never float. A value that is not a whole number of
    cents ("12.345") is an error; trailing zeros ("12.500") are harmless and kept
    exact. Negative amounts are refused: a debt to pay is positive.
    """
    text = value.strip()
    if not text:
        return ValueProblem(f"{what} absent")
    match = _DECIMAL.fullmatch(text) if text.isascii() else None
    if match is None:
        return ValueProblem(f"{what} non numérique (attendu par exemple 12.50)")
    sign, number = match.groups()
    try:
        cents = Decimal(number.replace(",", ".")) * 100
    except InvalidOperation:  # pragma: no cover - the regex only lets digits through
        return ValueProblem(f"{what} non numérique")
    if cents != cents.to_integral_value():
        return ValueProblem(f"{what} avec plus de deux décimales")
    if sign == "-" and cents:
        return ValueProblem(f"{what} négatif")
    return int(cents)


def yyyymmdd(value: str, what: str = "Date") -> datetime.date | ValueProblem | None:
    """Parse an SSAAMMJJ date (ISO ``AAAA-MM-JJ`` accepted too); blank or zeros → None.

    The TIPI document writes its dates "SSAA" / "AAAAMMJ(J)"; real PES files carry
    the XSD's ``xs:date`` (``2024-03-15``). Both are unambiguous.
    """
    text = value.strip()
    if not text or text.strip("0") == "":
        return None
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        text = text[:4] + text[5:7] + text[8:]
    if len(text) != 8 or not (text.isascii() and text.isdigit()):
        return ValueProblem(f"{what} invalide : SSAAMMJJ attendu")
    try:
        day = datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return ValueProblem(f"{what} invalide : jour ou mois inexistant")
    if not EXERCICE_MIN <= day.year <= EXERCICE_MAX:
        return ValueProblem(f"{what} invalide : année hors de la plage {EXERCICE_MIN}-{EXERCICE_MAX}")
    return day


def join_words(*parts: str | None) -> str:
    """Join name parts with single spaces, dropping blank ones (fixed-width padding)."""
    return " ".join(" ".join(part for part in parts if part).split())


def join_address(lines: list[str | None]) -> str:
    """One multi-line address string: blank lines dropped, runs of spaces inside a
    line reduced to one (fixed-width zones are padded, XML values sometimes are)."""
    kept = (" ".join(line.split()) for line in lines if line)
    return "\n".join(line for line in kept if line)


def as_public_body(hints: Mapping[str, str]) -> dict[str, str] | None:
    """Keep the non-blank hints about the debtor's legal nature; None when there are none."""
    kept = {name: value.strip() for name, value in hints.items() if value and value.strip()}
    return kept or None
