"""What a PES file may make the parser hold, and the reader that enforces it while libxml2 reads.

The parse keeps one piece (or BlocBordereau) at a time and frees every other element once read
(``pesv2``); what is left to bound is what libxml2 holds before the parse can free it:

* a piece: at most MAX_PIECE_ELEMENTS elements. libxml2 and the piece's reading cost about 400
  bytes of memory per element (a 10,000-line piece, some 200,000 elements, takes 80 MB);
* MAX_HELD_BYTES of the file read since the parse last freed an element: a piece's values and
  text, or one tag or text libxml2 buffers whole (it refuses a value over 10 MB without
  huge_tree, but only once a start tag of many of them is read: 180 MB for twenty);
* MAX_DEPTH levels: PES nests 8 (12 in a XAdES signature);
* an attachment block (PES_PJ, after the recette block in the schema, base64 of any size): not
  parsed at all; ``skip_rest`` reads past it with bounded memory, and the parse only checks that
  the file then ends with the root's end tag.

Past a bound the file is refused (ImportFileError): no real PES comes near them.
"""

from __future__ import annotations

import re
from typing import BinaryIO

from .base import ImportFileError

__all__ = [
    "BORDEREAU_CHILDREN",
    "MAX_DEPTH",
    "MAX_HELD_BYTES",
    "MAX_PIECE_ELEMENTS",
    "GuardedReader",
    "too_deep",
    "too_many_elements",
    "unexpected_in_bordereau",
]

MAX_DEPTH = 32
MAX_PIECE_ELEMENTS = 200_000
MAX_HELD_BYTES = 16 << 20
_TAIL = 256
# A recette block's start tag (its end tag, "</", does not match), whatever its prefix.
_RECETTE_START = re.compile(rb"<(?:[\w.-]+:)?PES_RecetteAller[\s/>]")
_PJ_START = re.compile(rb"<(?:[\w.-]+:)?PES_PJ[\s/>]")
# What a recette Bordereau holds: its block, its pieces and, signed, its XML signature.
BORDEREAU_CHILDREN = frozenset({"BlocBordereau", "Piece", "Signature"})


def _count(number: int) -> str:
    """200000 → "200 000" (French thousands, narrow no-break space)."""
    return f"{number:,}".replace(",", "\u202f")


class GuardedReader:
    """The file as libxml2 reads it, refused once more than MAX_HELD_BYTES were read since the
    parse last freed an element.

    The parse sets ``freed_at`` to ``position`` (what libxml2 has read so far) when it frees an
    element, and ``piece`` to the position of the piece it keeps (None between pieces).
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.position = 0
        self.freed_at = 0
        self.piece: int | None = None
        # The last two reads, by reference (no copy): what libxml2 may hold unparsed, for ``skip_rest``.
        self._chunks = (b"", b"")

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.position += len(data)
        if data:
            self._chunks = (self._chunks[1], data)
        if self.position - self.freed_at > MAX_HELD_BYTES:
            limit = f"{MAX_HELD_BYTES >> 20} Mo"
            if self.piece is not None:
                raise ImportFileError(
                    f"Fichier refusé : la pièce {self.piece} dépasse {limit} : découpez-la en plusieurs pièces."
                )
            raise ImportFileError(
                f"Fichier refusé : {limit} lus sans qu'un élément se termine (à partir de l'octet {self.freed_at} : "
                "balise, valeur ou texte démesuré) : ce n'est pas la structure d'un fichier PES."
            )
        return data

    def skip_rest(self, *, position: int) -> bytes:
        """Read the rest of the file past libxml2, 1 MB at a time, keeping none of it, and return
        its last bytes for the caller to check that it ends as a PES does. A recette block after
        the attachments (which the schema forbids) is refused rather than silently left unread.
        ``position``: the recette pieces read so far, for the message."""
        seen = b"".join(self._chunks)
        # The parse stopped at the file's first PES_PJ: what precedes its start tag was parsed.
        first = _PJ_START.search(seen)
        if first is not None:
            seen = seen[first.start() :]
        while True:
            if _RECETTE_START.search(seen):
                raise ImportFileError(
                    f"Fichier refusé : un bloc de recette (PES_RecetteAller) suit les pièces jointes (PES_PJ) "
                    f"({_where(position)}), ce que le schéma PES V2 n'autorise pas : ses pièces ne seraient pas lues."
                )
            chunk = self._stream.read(1 << 20)
            if not chunk:
                return seen[-_TAIL:]
            seen = seen[-32:] + chunk


def _where(position: int) -> str:
    """Where in the file, for the staff: by the recette pieces started so far."""
    return f"vers la pièce {position}" if position else "avant la première pièce"


def too_deep(position: int) -> ImportFileError:
    """The file nests elements deeper than any PES does (``position``: pieces read so far)."""
    return ImportFileError(
        f"Fichier refusé : éléments imbriqués sur plus de {MAX_DEPTH} niveaux ({_where(position)}) : "
        "ce n'est pas la structure d'un fichier PES."
    )


def too_many_elements(position: int) -> ImportFileError:
    """Piece ``position`` (1-based) holds more elements than the bound."""
    return ImportFileError(
        f"Fichier refusé : la pièce {position} contient plus de {_count(MAX_PIECE_ELEMENTS)} éléments XML "
        "(environ 10\u202f000 lignes) : découpez-la en plusieurs pièces."
    )


def unexpected_in_bordereau(name: str, position: int) -> ImportFileError:
    """A recette Bordereau holds an element PES does not put there."""
    return ImportFileError(
        f"Fichier refusé : élément « {name} » dans un bordereau de recette ({_where(position)}), où un "
        "fichier PES n'a que BlocBordereau, des pièces (Piece) et sa signature : ce n'est pas la structure d'un "
        "fichier PES."
    )
