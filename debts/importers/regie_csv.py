"""Régie invoices (protocol 0) exported by the authority's billing software as CSV, streaming.

One line per invoice, a header line naming the columns (any order, case, accents and
spaces ignored; other columns are ignored), the delimiter read from the header (``;``,
tab or ``,``), fields quoted the usual way (a quoted address may span lines). The format,
for the billing software's editor, is docs/regie-csv.md.

=====================  ==========================================================
column                 value
=====================  ==========================================================
numero_facture         the invoice number as printed (1 to 40 characters)
reference_debiteur     the debtor's (family's) reference in the billing software
nom                    the debtor's name
adresse                the address; lines separated by a line break or `` | ``
objet                  what is billed (optional)
montant                euros: ``12,50``, ``12.50``, ``1 234,56`` (exact, to the cent)
date_emission          ``JJ/MM/AAAA`` or ``AAAA-MM-JJ``
date_echeance          the same; not before the issue date
=====================  ==========================================================

The REFDET sent to PayFiP is not read here: ``payments.tipi.regie_refdet`` derives it
from the invoice number (``ref_parts={"invoice": …}``). Every problem of a line is a
``LineError`` naming its column, with the number of the line where the record starts.
"""

from __future__ import annotations

import csv
import datetime
import re
import unicodedata
from collections.abc import Iterator
from decimal import Decimal
from typing import BinaryIO

from .base import EXERCICE_MAX, EXERCICE_MIN, DebtRecord, ImportFileError, LineError, join_address
from .encoding import check_codec, detect_encoding, encoding_label, rewindable

__all__ = ["COLUMNS", "DELIMITERS", "INVOICE_MAX_LENGTH", "MAX_LINE_BYTES", "parse"]

#: The columns, in the order the sample files write them.
COLUMNS: tuple[str, ...] = (
    "numero_facture",
    "reference_debiteur",
    "nom",
    "adresse",
    "objet",
    "montant",
    "date_emission",
    "date_echeance",
)
_OPTIONAL = frozenset({"adresse", "objet"})
#: Tried in this order on the header line: the first that names every column wins.
DELIMITERS: tuple[str, ...] = (";", "\t", ",")
#: As payments.tipi.INVOICE_MAX_LENGTH (this package imports nothing of the project).
INVOICE_MAX_LENGTH = 40
#: Longest physical line read; an address is a few hundred bytes.
MAX_LINE_BYTES = 16 * 1024
_MAX = {"numero_facture": INVOICE_MAX_LENGTH, "reference_debiteur": 30, "nom": 200, "adresse": 500, "objet": 200}
_LABELS = {
    "numero_facture": "Numéro de facture",
    "reference_debiteur": "Référence du débiteur",
    "nom": "Nom du débiteur",
    "adresse": "Adresse",
    "objet": "Objet",
}

# Euros: digits with optional (narrow) no-break or plain spaces between groups of three,
# then one decimal comma or point and at most two decimals, optionally followed by "€".
_AMOUNT = re.compile(r"([0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+|[0-9]+)(?:[.,]([0-9]{1,2}))?(?: ?€)?")
_FR_DATE = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_ADDRESS_SEPARATOR = re.compile(r"\s*\|\s*|\r?\n")


# Words a header may add between a column's words ("Date d'émission", "Référence du débiteur").
_PARTICLES = frozenset({"d", "de", "du", "des", "l", "la", "le"})


def _column_key(name: str) -> str:
    """``Date d'émission`` → ``date_emission``: how a header cell is matched to a column."""
    plain = unicodedata.normalize("NFKD", name.strip().lstrip("\ufeff")).encode("ascii", "ignore").decode()
    words = [word for word in re.split(r"[^a-z0-9]+", plain.lower()) if word and word not in _PARTICLES]
    return "_".join(words)


def _physical_lines(stream: BinaryIO, codec: str, tainted: dict[int, LineError]) -> Iterator[str]:
    """Decoded lines, line ends kept (the csv module needs them inside quoted fields).

    A line that cannot be decoded in a forced encoding, or longer than MAX_LINE_BYTES, is
    replaced by an empty line and noted in ``tainted``: the record it belongs to is reported
    instead of read."""
    line_no = 0
    while data := stream.readline(MAX_LINE_BYTES):
        line_no += 1
        if not data.endswith(b"\n") and len(data) == MAX_LINE_BYTES:
            while (more := stream.readline(MAX_LINE_BYTES)) and not more.endswith(b"\n"):
                pass
            tainted[line_no] = LineError(
                line_no, "ligne", "", f"Ligne trop longue : plus de {MAX_LINE_BYTES // 1024} Ko, ligne ignorée"
            )
            yield "\n"
            continue
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            bad = data[exc.start : exc.start + 1].hex().upper()
            tainted[line_no] = LineError(
                line_no,
                "encodage",
                f"0x{bad}",
                f"Caractère illisible dans l'encodage imposé ({encoding_label(codec)}) : octet 0x{bad}",
            )
            yield "\n"
            continue
        if line_no == 1:
            text = text.lstrip("\ufeff")
        if "\x00" in text:
            tainted[line_no] = LineError(line_no, "ligne", "", "Caractère nul dans la ligne : ligne ignorée")
            yield "\n"
            continue
        yield text


def _header(cells: list[str]) -> dict[str, int]:
    """Column name → position, or ImportFileError naming what is missing."""
    keys = [_column_key(cell) for cell in cells]
    positions: dict[str, int] = {}
    for index, key in enumerate(keys):
        if key in COLUMNS:
            if key in positions:
                raise ImportFileError(f"Fichier de factures de régie : la colonne « {key} » figure deux fois.")
            positions[key] = index
    missing = [name for name in COLUMNS if name not in positions]
    if missing:
        raise ImportFileError(
            "Ce fichier n'est pas un fichier de factures de régie (CSV) : la première ligne doit nommer les "
            f"colonnes {', '.join(COLUMNS)} ; il manque {', '.join(missing)}."
        )
    return positions


def _delimiter(line: str) -> str:
    for delimiter in DELIMITERS:
        cells = next(csv.reader([line], delimiter=delimiter))
        if all(name in {_column_key(cell) for cell in cells} for name in COLUMNS):
            return delimiter
    return DELIMITERS[0]  # _header then says which columns are missing


def parse_amount(value: str) -> int | str:
    """Exact cents from euros, or the French problem."""
    text = value.strip()
    if not text:
        return "Montant absent"
    match = _AMOUNT.fullmatch(text)
    if match is None:
        if text.startswith("-"):
            return "Montant négatif : une facture à payer est positive"
        return "Montant illisible : en euros, par exemple 12,50 ou 12.50 (deux décimales au plus)"
    units, fraction = match.groups()
    cents = Decimal(re.sub(r"\D", "", units) + "." + (fraction or "0")) * 100
    if cents == 0:
        return "Montant nul : rien à payer"
    return int(cents)


def parse_date(value: str, what: str) -> datetime.date | str | None:
    """A JJ/MM/AAAA or AAAA-MM-JJ date; None when blank; else the French problem."""
    text = value.strip()
    if not text:
        return None
    if match := _FR_DATE.fullmatch(text):
        day, month, year = match.groups()
    elif match := _ISO_DATE.fullmatch(text):
        year, month, day = match.groups()
    else:
        return f"{what} illisible : JJ/MM/AAAA ou AAAA-MM-JJ attendu"
    try:
        parsed = datetime.date(int(year), int(month), int(day))
    except ValueError:
        return f"{what} invalide : jour ou mois inexistant"
    if not EXERCICE_MIN <= parsed.year <= EXERCICE_MAX:
        return f"{what} invalide : année hors de la plage {EXERCICE_MIN}-{EXERCICE_MAX}"
    return parsed


def _text_problem(name: str, value: str) -> str | None:
    what = _LABELS[name]
    if name not in _OPTIONAL and not value:
        return f"{what} absent" if name != "adresse" else "Adresse absente"
    if len(value) > _MAX[name]:
        return f"{what} trop long : {_MAX[name]} caractères au plus"
    if any(unicodedata.category(char) == "Cc" for char in value if char != "\n"):
        return f"{what} : caractère de contrôle (tabulation…) interdit"
    return None


def _record(line_no: int, cells: list[str], positions: dict[str, int], raw: str) -> DebtRecord | list[LineError]:
    if len(cells) < len(positions) or len(cells) <= max(positions.values()):
        return [
            LineError(
                line_no,
                "ligne",
                str(len(cells)),
                f"Nombre de colonnes incorrect : {len(cells)} au lieu d'au moins {max(positions.values()) + 1}",
            )
        ]
    values = {name: cells[index].strip() for name, index in positions.items()}
    values["adresse"] = join_address(_ADDRESS_SEPARATOR.split(values["adresse"]))
    errors: list[LineError] = []
    for name in ("numero_facture", "reference_debiteur", "nom", "adresse", "objet"):
        if problem := _text_problem(name, values[name]):
            errors.append(LineError(line_no, name, values[name][:200], problem))
    amount = parse_amount(values["montant"])
    if isinstance(amount, str):
        errors.append(LineError(line_no, "montant", values["montant"][:200], amount))
    dates: dict[str, datetime.date] = {}
    for name, what in (("date_emission", "Date d'émission"), ("date_echeance", "Date d'échéance")):
        parsed = parse_date(values[name], what)
        if parsed is None:
            errors.append(LineError(line_no, name, "", f"{what} absente"))
        elif isinstance(parsed, str):
            errors.append(LineError(line_no, name, values[name][:200], parsed))
        else:
            dates[name] = parsed
    if len(dates) == 2 and dates["date_echeance"] < dates["date_emission"]:
        errors.append(
            LineError(
                line_no,
                "date_echeance",
                values["date_echeance"],
                "Date d'échéance antérieure à la date d'émission",
            )
        )
    if errors:
        return errors
    return DebtRecord(
        line_no=line_no,
        ref_parts={"invoice": values["numero_facture"]},
        amount_cents=amount,  # type: ignore[arg-type]  # an int: the str case is an error above
        debtor_ref=values["reference_debiteur"],
        debtor_name=" ".join(values["nom"].split()),
        debtor_address=values["adresse"],
        label=" ".join(values["objet"].split()),
        issued_on=dates["date_emission"],
        taken_in_charge_on=None,
        raw=raw,
        due_on=dates["date_echeance"],
    )


def parse(source: BinaryIO, *, encoding: str | None = None) -> Iterator[DebtRecord | LineError]:
    """Yield a DebtRecord per invoice line and a LineError per bad field, in file order.

    Raises ImportFileError for a file that is not text in a supported encoding, has no
    header naming the columns, no invoice line, or quoting the csv module cannot read."""
    stream = rewindable(source)
    try:
        yield from _parse(stream, encoding)
    finally:
        if stream is not source:
            stream.close()


def _parse(stream: BinaryIO, encoding: str | None) -> Iterator[DebtRecord | LineError]:
    codec = check_codec(encoding) if encoding is not None else detect_encoding(stream)
    if codec == "utf-8-sig":
        codec = "utf-8"  # the BOM is dropped from the first line
    tainted: dict[int, LineError] = {}
    lines = _physical_lines(stream, codec, tainted)
    header_no = 0
    for header_line in lines:
        header_no += 1
        if header_line.strip():
            break
    else:
        raise ImportFileError("Le fichier est vide : aucune facture.")
    try:
        delimiter = _delimiter(header_line)
        header_cells = next(csv.reader([header_line], delimiter=delimiter))
    except csv.Error as exc:  # a stray carriage return or quote in the header line
        raise ImportFileError(f"Ligne {header_no} : en-tête illisible ({exc}).") from None
    positions = _header(header_cells)
    # Keep each record's source text: the raw record of the debt, for the audit trail.
    recorded: list[str] = []

    def remembered() -> Iterator[str]:
        for line in lines:
            recorded.append(line)
            yield line

    reader = csv.reader(remembered(), delimiter=delimiter, strict=True)
    end = header_no
    lines_read = 0  # invoices and bad lines: a file of bad lines is reported, not called empty
    while True:
        start = end + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ImportFileError(
                f"Ligne {reader.line_num + header_no} : guillemets mal fermés ou caractère inattendu ({exc}). "
                "Le fichier n'est pas lisible au-delà."
            ) from None
        end = reader.line_num + header_no
        raw = "".join(recorded).rstrip("\r\n")
        recorded.clear()
        errors = [tainted.pop(n) for n in range(start, end + 1) if n in tainted]
        if errors:
            lines_read += 1
            yield from errors
            continue
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        lines_read += 1
        item = _record(start, cells, positions, raw)
        if isinstance(item, DebtRecord):
            yield item
        else:
            yield from item
    # Only the header's own line may be left (a header that could not be read is refused above).
    yield from (tainted[n] for n in sorted(tainted))
    if not lines_read and not tainted:
        raise ImportFileError("Le fichier ne contient aucune facture : seulement la ligne d'en-tête.")
