"""What every sample writer shares: the exercice, the statistics a writer returns, when a
record should be a bad one, addresses split back into zones, and batched line output."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import BinaryIO

__all__ = ["EXERCICE", "LineWriter", "SampleStats", "bad_due", "split_address"]

EXERCICE = "2024"
WRITE_BATCH = 512


@dataclass(frozen=True, slots=True)
class SampleStats:
    """What a writer produced: source records (lines or pieces) written, how many of
    them are deliberately bad, and how many debts a parser must yield."""

    records: int
    bad: int
    debts: int


_POSTCODE_LINE = re.compile(r"([0-9]{5}) (.+)")


@functools.lru_cache(maxsize=4096)  # generated files reuse a pool of addresses
def split_address(address: str, room: int) -> tuple[tuple[str, ...], str, str]:
    """Address lines, postcode and town from a multi-line address (the inverse of the
    parsers' "lines, then postcode and town" layout)."""
    lines = [line for line in address.split("\n") if line]
    postcode = town = ""
    if lines and (match := _POSTCODE_LINE.fullmatch(lines[-1])):
        postcode, town = match.groups()
        lines = lines[:-1]
    return tuple(lines[:room]), postcode, town


class LineWriter:
    """Encode and write text lines in batches."""

    def __init__(self, out: BinaryIO, encoding: str, newline: str, errors: str = "replace") -> None:
        self.out = out
        self.encoding = encoding
        self.newline = newline
        self.errors = errors
        self.pending: list[str] = []

    def line(self, text: str) -> None:
        self.pending.append(text)
        if len(self.pending) >= WRITE_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            text = self.newline.join(self.pending) + self.newline
            self.out.write(text.encode(self.encoding, self.errors))
            self.pending = []


def bad_due(bad: int, written: int, share: float, count: int) -> bool:
    """Whether the next record should be a bad one: bad records are spread evenly and
    there are exactly round(count × share) of them in the end."""
    target = round(count * share)
    if bad >= target:
        return False
    return bad + 1 <= share * (written + 1) or count - written <= target - bad
