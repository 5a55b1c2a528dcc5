"""Pure streaming parsers of the authorities' debt files, one module per format.

``PARSERS[fmt](source, encoding=None)`` takes a binary file object and yields
``DebtRecord`` (one per debt, REFDET parts ready for ``compose_refdet``) and
``LineError`` (one per bad field of a line or piece, French message) in file order;
it raises ``ImportFileError`` when the whole file is unusable. No Django, no import
from the rest of the project: stdlib and lxml only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO

from . import indigo, pesv2, regie_csv, rolmre
from .base import DebtRecord, ImportFileError, LineError
from .encoding import detect_encoding

__all__ = ["FORMATS", "PARSERS", "DebtRecord", "ImportFileError", "LineError", "Parser", "detect_encoding", "parse"]

Parser = Callable[..., Iterator[DebtRecord | LineError]]

# Format key → parser. The keys are the ones the TIPI client's protocol maps to.
PARSERS: dict[str, Parser] = {
    "indigo": indigo.parse,
    "rolmre": rolmre.parse,
    "pesv2": pesv2.parse,
    "regie": regie_csv.parse,
}

# Format key → label for the staff pages.
FORMATS: dict[str, str] = {
    "indigo": "INDIGO (titres, largeur fixe 452)",
    "rolmre": "ROLMRE (rôles, largeur fixe 500)",
    "pesv2": "PES V2 Recette (XML)",
    "regie": "Factures de régie (CSV, docs/regie-csv.md)",
}


def parse(fmt: str, source: BinaryIO, *, encoding: str | None = None) -> Iterator[DebtRecord | LineError]:
    """Parse ``source`` with the parser of format ``fmt`` ("indigo", "rolmre", "pesv2", "regie")."""
    try:
        parser = PARSERS[fmt]
    except KeyError:
        raise ImportFileError(f"Format de fichier inconnu : « {fmt} ».") from None
    return parser(source, encoding=encoding)
