"""INDIGO titres across the file: which titres were met, which grouped ones are split (first pass).

Annex 5 sets no order between records; ``indigo.parse`` groups a titre's lines while they are
consecutive, and refuses whole a grouped titre this first pass finds split. Memory stays bounded:
titres are remembered as bits.
"""

from __future__ import annotations

from collections.abc import Iterator

from .base import LineError, ValueProblem, exercice, numeric_id
from .fixedwidth import Layout

__all__ = ["SeenTitres", "split_titres"]


class SeenTitres:
    """Which titres (CODEXER, NUMTITRE) were already closed, in bounded memory.

    A sparse bitmap: one 8 KB page per exercice and block of 65 536 titre numbers
    actually used. Titre numbers are allocated in sequence, so a million titres of
    one exercice take 16 pages (128 KB), whatever their order in the file.
    """

    _PAGE_BITS = 1 << 16

    def __init__(self) -> None:
        self._pages: dict[tuple[int, int], bytearray] = {}

    def add(self, codexer: str, numtitre: str) -> None:
        """Remember a titre."""
        page, bit = divmod(int(numtitre), self._PAGE_BITS)
        bits = self._pages.get((int(codexer), page))
        if bits is None:
            bits = self._pages[(int(codexer), page)] = bytearray(self._PAGE_BITS // 8)
        bits[bit >> 3] |= 1 << (bit & 7)

    def __contains__(self, key: tuple[str, str]) -> bool:
        page, bit = divmod(int(key[1]), self._PAGE_BITS)
        bits = self._pages.get((int(key[0]), page))
        return bits is not None and bool(bits[bit >> 3] & (1 << (bit & 7)))


def _titre_key(line: str, layout: Layout, natures: frozenset[str]) -> tuple[str, str, str] | None:
    """CODEXER, NUMTITRE (padded) and NATURETITRE of a record, or None when one is invalid."""
    codexer, numtitre, nature = layout.read(line, "CODEXER", "NUMTITRE", "NATURETITRE")
    year = exercice(codexer, "")
    number = numeric_id(numtitre, 8, "")
    nature = nature.strip()
    if isinstance(year, ValueProblem) or isinstance(number, ValueProblem) or nature not in natures:
        return None
    return year, number, nature


def split_titres(
    items: Iterator[tuple[int, str] | LineError], layout: Layout, grouped: frozenset[str], natures: frozenset[str]
) -> SeenTitres:
    """First pass over INDIGO records: the titres of a ``grouped`` nature whose lines are not
    adjacent (another titre comes between); lines with an invalid key are left to the second pass."""
    seen = SeenTitres()
    split = SeenTitres()
    previous: tuple[str, str] | None = None
    for item in items:
        if isinstance(item, LineError):
            continue
        found = _titre_key(item[1], layout, natures)
        if found is None:
            continue  # reported by the second pass; it opens no titre there either
        year, number, nature = found
        key = (year, number)
        if key != previous:
            if key in seen:
                if nature in grouped:
                    split.add(year, number)
            else:
                seen.add(year, number)
            previous = key
    return split
