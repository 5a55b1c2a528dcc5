"""Reading fixed-width record files (INDIGO, ROLMRE) line by line in bounded memory.

The encoding is decided first over the whole file (see ``encoding``: one streaming
pass, then a seek back; a non-seekable source is spooled to a temporary file), so
that an accent met at line 900 000 cannot contradict a guess made on the first
kilobytes. Then lines are read as bytes and each is decoded on its own: every
supported encoding is ASCII-compatible, so splitting on the byte 0x0A is exact, and
positions are counted in characters after decoding (an "É" is two bytes in UTF-8
but one position of the layout).

Line ends may be LF or CRLF; empty (or blank) lines, a trailing one included, and a
DOS end-of-file mark (Ctrl-Z) are skipped. A line that is not exactly the record
length is reported and skipped; if none of the first lines has the right length,
the file is not of the announced format and is refused as a whole.

Speed: the file is read in blocks of whole lines (``BLOCK_BYTES``), each decoded at once and
split into lines, which is what lets a million-line file be read in seconds. A block that is
not plain (it does not decode, or may hold a line over ``MAX_LINE_BYTES``) is read again from
its first byte, and the rest of the file with it, line by line as before, so that every
message and line number is the same whichever way a line is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .base import ImportFileError, LineError
from .encoding import check_codec, detect_encoding, encoding_label, rewindable

__all__ = ["Field", "Layout", "read_records"]

# A physical line longer than this is read in pieces and reported once, so that a
# file without line breaks cannot make us hold it whole in memory.
MAX_LINE_BYTES = 64 * 1024
# If none of the first non-blank lines has the record length, the file is refused.
PROBE_LINES = 20
# Read and decoded at a time (whole lines): see the module docstring.
BLOCK_BYTES = 256 << 10
_BOM = b"\xef\xbb\xbf"
_BLANKS = " \t\r\x1a"  # what a blank line is made of (a DOS end-of-file mark included)
# The codecs a block is decoded with at once, and the bytes for which each needs its own table:
# without any, the block is ISO-8859-1 (Python's fastest single-byte decoder reads it alike).
_BLOCK_CODECS: dict[str, re.Pattern[bytes] | None] = {
    "utf-8": None,
    "ascii": None,
    "iso8859-1": None,
    "iso8859-15": re.compile(rb"[\xa4\xa6\xa8\xb4\xb8\xbc\xbd\xbe]"),
    "cp1252": re.compile(rb"[\x80-\x9f]"),
}


@dataclass(frozen=True, slots=True)
class Field:
    """One zone of a layout, with the annex's 1-based inclusive positions and
    its format: "9" digits, "X" alphanumeric, "A" alphabetic."""

    name: str
    start: int
    end: int
    kind: str = "X"

    @property
    def width(self) -> int:
        """Number of characters of the zone."""
        return self.end - self.start + 1


class Layout:
    """A record layout: the zones of annex 5 and the record length."""

    def __init__(self, name: str, length: int, fields: list[Field]) -> None:
        self.name = name
        self.length = length
        self.fields = {f.name: f for f in fields}
        self._slices = {f.name: slice(f.start - 1, f.end) for f in fields}
        self._zones = {f.name: (f.start - 1, f.end, f.width, f.kind == "9") for f in fields}
        position = 0
        for f in fields:  # the annex lists the zones in order, without overlap
            if f.start <= position or f.end > length:
                raise ValueError(f"{name}: zone {f.name} overlaps or exceeds the record")
            position = f.end
        # For build(): the blank record as a list of zone-sized parts (positions not
        # covered by a zone are blank parts of their own), and where each zone sits.
        self._blank: list[str] = []
        self._part: dict[str, tuple[int, int, bool]] = {}
        position = 1
        for f in fields:
            if f.start > position:
                self._blank.append(" " * (f.start - position))
            self._part[f.name] = (len(self._blank), f.width, f.kind == "9")
            self._blank.append(" " * f.width)
            position = f.end + 1
        self._blank.append(" " * (length - position + 1))

    def read(self, line: str, *names: str) -> list[str]:
        """The raw (unstripped) text of the named zones of a record."""
        return [line[self._slices[n]] for n in names]

    def build(self, values: dict[str, str]) -> str:
        """Build one record: each value left-aligned and space-padded in its zone
        (numeric zones given as digits are zero-padded on the left); too long
        values are cut; zones not given are blank."""
        parts = self._blank.copy()
        for name, value in values.items():
            index, width, numeric = self._part[name]
            if numeric and value.isdigit():
                value = value.zfill(width)
            parts[index] = value[:width].ljust(width)
        return "".join(parts)

    def splice(self, line: str, values: dict[str, str]) -> str:
        """Replace some zones of a record built before, formatted as ``build`` does.

        The zones must be given in layout order: this is the fast path of the sample
        writers, which fill a per-debtor template with each line's numbers.
        """
        parts = []
        position = 0
        zones = self._zones
        for name, value in values.items():
            start, end, width, numeric = zones[name]
            if numeric and value.isdigit():
                value = value.zfill(width)
            parts.append(line[position:start])
            parts.append(value[:width].ljust(width))
            position = end
        parts.append(line[position:])
        return "".join(parts)


def _physical_lines(stream: BinaryIO, line_no: int = 0) -> Iterator[tuple[int, bytes, int]]:
    """Yield (line number, bytes without the line end, bytes left out) for each line from the
    stream's position, numbered after ``line_no``.

    An over-long line yields its first MAX_LINE_BYTES bytes and how many more it had.
    """
    while True:
        data = stream.readline(MAX_LINE_BYTES)
        if not data:
            return
        line_no += 1
        left_out = 0
        if data.endswith(b"\n"):
            data = data[:-2] if data.endswith(b"\r\n") else data[:-1]
        elif len(data) == MAX_LINE_BYTES:
            while more := stream.readline(MAX_LINE_BYTES):
                if more.endswith(b"\n"):
                    left_out += len(more.rstrip(b"\r\n"))
                    break
                left_out += len(more)
        yield line_no, data, left_out


def read_records(
    source: BinaryIO, layout: Layout, *, encoding: str | None = None
) -> Iterator[tuple[int, str] | LineError]:
    """Yield ``(line number, record text)`` for each line of the right length and a
    ``LineError`` for each line that cannot be a record. See the module docstring."""
    stream = rewindable(source)
    try:
        yield from _records(stream, layout, encoding)
    finally:
        if stream is not source:
            stream.close()  # our spooled copy of a non-seekable source


# ISO-8859-15 is ISO-8859-1 but for eight letters: decoded as ISO-8859-1 (a copy), then those of
# the eight the block holds replaced, it is read several times faster than by its codec's table.
_LATIN9_LETTERS = [
    (bytes([b]).decode("latin-1"), bytes([b]).decode("iso8859-15")) for b in b"\xa4\xa6\xa8\xb4\xb8\xbc\xbd\xbe"
]


def _decode(data: bytes, codec: str, special: re.Pattern[bytes] | None) -> str:
    """``data.decode(codec)``, by the fastest way that reads it alike."""
    if special is None:
        return data.decode(codec)
    if not special.search(data):
        return data.decode("latin-1")
    if codec != "iso8859-15":
        return data.decode(codec)
    text = data.decode("latin-1")
    for latin1, latin9 in _LATIN9_LETTERS:
        if latin1 in text:
            text = text.replace(latin1, latin9)
    return text


def _blocks(stream: BinaryIO, codec: str) -> Iterator[tuple[int, list[str] | None]]:
    """Yield (number of its first line, its lines without their line ends) for each block of
    the file; when a block is not plain, seek back to its first byte and yield (number of its
    first line, None) instead: the rest of the file is to be read line by line."""
    line_no = 1
    if codec not in _BLOCK_CODECS:
        yield line_no, None
        return
    special = _BLOCK_CODECS[codec]
    start = stream.tell()  # where ``tail`` begins in the file
    tail = b""
    while True:
        block = stream.read(BLOCK_BYTES)
        if not block:
            if tail:  # a last line without its line end, as it is: line by line
                break
            return
        data = tail + block
        cut = data.rfind(b"\n") + 1
        if len(data) - cut >= MAX_LINE_BYTES - 1:
            break  # a line that may be over-long: measured line by line
        whole, tail = data[:cut], data[cut:]
        if not whole:
            continue
        if line_no == 1 and whole.startswith(_BOM):
            whole = whole[len(_BOM) :]
        try:
            # One "\r" before each "\n" is the line end's, as _physical_lines strips it.
            lines = _decode(whole.replace(b"\r\n", b"\n"), codec, special).split("\n")
        except UnicodeDecodeError:
            break  # the line that does not decode is reported line by line
        lines.pop()  # what follows the last line end
        if max(map(len, lines)) >= MAX_LINE_BYTES // 4 - 1:
            break  # may be over-long in bytes (4 per character in UTF-8): measured line by line
        yield line_no, lines
        line_no += len(lines)
        start += cut
    stream.seek(start)
    yield line_no, None


def _line_by_line(stream: BinaryIO, codec: str, line_no: int) -> Iterator[tuple[int, str, int] | LineError]:
    """(line number, text, characters left out) for each line from the stream's position, the
    first numbered ``line_no``, or the LineError of a line that does not decode."""
    for line_no, data, left_out in _physical_lines(stream, line_no - 1):  # noqa: B020 - numbered on
        if line_no == 1 and data.startswith(_BOM):
            data = data[3:]
        try:
            # An over-long line may be cut inside a character: it is only measured.
            text = data.decode(codec, errors="replace" if left_out else "strict")
        except UnicodeDecodeError as exc:
            # Only possible with a forced encoding: a detected one was checked whole.
            bad = data[exc.start : exc.start + 1].hex().upper()
            yield LineError(
                line_no,
                "encodage",
                f"0x{bad}",
                f"Caractère illisible dans l'encodage imposé ({encoding_label(codec)}) : octet 0x{bad}",
            )
            continue
        yield line_no, text, left_out


class _Lines:
    """What is decided line by line for the lines that are not a plain record: blank lines
    skipped, wrong lengths reported, the first lines held back until the file shows records of
    the layout's length (or refused when none of the first PROBE_LINES has it)."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.probing: list[LineError] | None = []
        self.seen_lengths: list[int] = []
        self.unreadable = 0

    def check(self, line_no: int, text: str, left_out: int) -> Iterator[tuple[int, str] | LineError]:
        layout = self.layout
        if not left_out and not text.strip(_BLANKS):
            return
        length = len(text) + left_out
        if length != layout.length:
            error = LineError(
                line_no,
                "enregistrement",
                str(length),
                f"Longueur d'enregistrement incorrecte : {length} caractères au lieu de {layout.length}",
            )
            if self.probing is not None:
                self.probing.append(error)
                self.seen_lengths.append(length)
                if len(self.probing) >= PROBE_LINES:
                    _refuse(layout, self.seen_lengths)
            else:
                yield error
            return
        if self.probing is not None:
            # The file has records of the announced length: report the lines held back.
            yield from self.probing
            self.probing = None
        yield line_no, text

    def end(self) -> None:
        if self.probing is not None:
            if self.probing:
                _refuse(self.layout, self.seen_lengths)
            if not self.unreadable:
                raise ImportFileError(f"Le fichier est vide : aucun enregistrement {self.layout.name}.")


def _records(stream: BinaryIO, layout: Layout, encoding: str | None) -> Iterator[tuple[int, str] | LineError]:
    """The body of ``read_records`` over a seekable stream."""
    codec = check_codec(encoding) if encoding is not None else detect_encoding(stream)
    if codec == "utf-8-sig":
        codec = "utf-8"  # the BOM is dropped from the first line
    state = _Lines(layout)
    record_length = layout.length
    for first, lines in _blocks(stream, codec):
        if lines is None:
            for item in _line_by_line(stream, codec, first):
                if isinstance(item, LineError):
                    state.unreadable += 1
                    yield item
                else:
                    yield from state.check(*item)
            break
        if state.probing is None:  # records seen: the usual line goes its fast way
            for line_no, text in enumerate(lines, first):
                if len(text) == record_length and text[0] not in _BLANKS:
                    yield line_no, text
                else:
                    yield from state.check(line_no, text, 0)
        else:
            for line_no, text in enumerate(lines, first):
                yield from state.check(line_no, text, 0)
    state.end()


def _refuse(layout: Layout, lengths: list[int]) -> None:
    """Refuse a file none of whose first lines has the record length of the format."""
    shown = sorted(set(lengths))[:3]
    read = ", ".join(str(n) for n in shown)
    raise ImportFileError(
        f"Ce fichier n'est pas au format {layout.name} : ses lignes ne font pas {layout.length} caractères "
        f"(longueurs lues : {read}). Vérifiez le format choisi ou l'encodage du fichier."
    )
