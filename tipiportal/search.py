"""Searching text as staff type it: case and accents ignored ("noel" finds "NOËL", "lefevre"
finds "LEFÈVRE").

The column side is ``Folded(expression)``: ``UPPER(UNACCENT(…))``, PostgreSQL's ``unaccent``
extension (created by the migration debts 0008) or, on SQLite, the same function written in
Python and registered on every connection (``sqlite_functions_install``); the typed side is
``folded(text)``, the same folding done in Python.
"""

import unicodedata

from django.db.models import Func, TextField
from django.db.models.functions import Upper

# Letters NFKD does not decompose, spelled as PostgreSQL's unaccent rules spell them.
_LIGATURES = str.maketrans({"Œ": "OE", "œ": "oe", "Æ": "AE", "æ": "ae", "ß": "ss", "Ø": "O", "ø": "o"})


def unaccent(text: str | None) -> str | None:
    """``text`` without its accents (what PostgreSQL's unaccent does to French text)."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(character for character in decomposed if not unicodedata.combining(character))


def folded(text: str) -> str:
    """The typed text as ``Folded`` makes a column: without accents, in capitals."""
    return unaccent(text).upper()


class Unaccent(Func):
    function = "UNACCENT"
    output_field = TextField()


def Folded(expression) -> Upper:
    """A column without accents and in capitals, to compare with ``folded(text)``."""
    return Upper(Unaccent(expression))


def sqlite_functions_install(sender, connection, **kwargs) -> None:
    """connection_created: SQLite has no unaccent; this one is the Python one above."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("UNACCENT", 1, unaccent, deterministic=True)
