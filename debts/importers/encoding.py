"""Deciding a file's character encoding, without guessing wrong and without loading it.

The authorities' files come in UTF-8, ISO-8859-1, ISO-8859-15 or Windows-1252
(cp1252), rarely declared. A wrong choice silently corrupts names ("DUPRÃ‰",
"Å’UVRE"), which then reach the debtor's bill, so the rule is: decide from evidence
in the bytes, and refuse the file (``ImportFileError``, with a French message telling
the staff to state the encoding) when the evidence is missing or contradictory.

How (one streaming pass over the whole file, fixed memory; ``scan`` then ``decide``):

1. A UTF-16/32 byte-order mark or NUL bytes: not a text file in a supported encoding,
   refused.
2. No byte ≥ 0x80: plain ASCII, every candidate reads it the same; UTF-8.
3. The whole file is valid UTF-8 (optionally with a BOM): UTF-8. Latin text with
   accents is practically never valid UTF-8 by accident ("É" is 0xC9, which UTF-8
   requires to be followed by a continuation byte 0x80-0xBF, not by a letter). The
   exception is "Â" before a cp1252 byte of 0x80-0x9F ("ÂŒ"): valid UTF-8, but for
   a C1 control code, which no text contains; such a file is judged as below.
   (A single-byte file all of whose accented letters are followed by a byte of
   0x80-0xBF, such as "ÇŒ" in Windows-1252 or "ÂŒ" in ISO-8859-15, would still
   pass for UTF-8; no real file is like that: one "é" followed by a letter anywhere
   makes it invalid UTF-8.)
4. Otherwise a single-byte Latin code page. The three candidates agree on every byte
   except two groups:

   * 0x80-0x9F: printable in cp1252 (€ ‚ „ … ’ “ ” – — Š Œ Ž š œ ž Ÿ...), C1 control
     codes in ISO-8859-x, which never occur in real text. Any of these bytes means
     cp1252. Five of them (0x81 0x8D 0x8F 0x90 0x9D) are undefined even in cp1252:
     the file is in another code page (a DOS/IBM one, where 0x90 is "É"): refused.
     DOS code page 850 also writes é à ç ê ô û ù as 0x82 0x85 0x87 0x88 0x93 0x96
     0x97, which cp1252 reads as punctuation; punctuation from this range wedged
     between two letters ("r‚sident") is refused as a probable DOS file. Only the
     apostrophes ’ and ‘ legitimately sit between letters (l’école).
   * 0xA4 0xA6 0xA8 0xB4 0xB8 0xBC 0xBD 0xBE: € Š š Ž ž Œ œ Ÿ in ISO-8859-15,
     ¤ ¦ ¨ ´ ¸ ¼ ½ ¾ in ISO-8859-1 and cp1252. Each occurrence votes by its
     neighbours: next to a letter it is a letter, so ISO-8859-15 (CŒUR, ŒUVRE);
     elsewhere it is a symbol (12½), so ISO-8859-1/cp1252; 0xA4 votes ISO-8859-15
     (€ is common, ¤ is never used). 0xB4 is both "Ž" and "´", the latter widely
     typed as an apostrophe (D´ARTAGNAN): it settles nothing and makes the file
     undecidable. Votes on both sides, or ISO-8859-15 letters in a file that also
     holds cp1252-only bytes, mean mixed encodings: refused.
   * Without any byte of either group all three code pages read the file the same;
     ISO-8859-15 is returned.

The caller can always force an encoding (``encoding=`` of the parsers), which skips
the decision entirely.
"""

from __future__ import annotations

import codecs
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from .base import ImportFileError

__all__ = [
    "CP1252_UNDEFINED",
    "ByteScan",
    "check_codec",
    "decide",
    "detect_encoding",
    "encoding_label",
    "rewindable",
    "scan",
]

CHUNK_SIZE = 256 * 1024

_ASCII = bytes(range(0x80))
_ASCII_TEXT = "\t\n\r" + "".join(map(chr, range(0x20, 0x7F)))
_C1 = frozenset(range(0x80, 0xA0))
CP1252_UNDEFINED = frozenset({0x81, 0x8D, 0x8F, 0x90, 0x9D})
# Bytes where ISO-8859-15 differs from ISO-8859-1 and cp1252.
_LATIN9_DIFF = frozenset({0xA4, 0xA6, 0xA8, 0xB4, 0xB8, 0xBC, 0xBD, 0xBE})
# cp1252 punctuation that DOS code page 850 uses for French lowercase letters.
_DOS_SUSPECTS = frozenset(
    {0x80, 0x82, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8B, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9B}
)
_INTERESTING = _LATIN9_DIFF | _DOS_SUSPECTS
# translate() table deleting every byte we do not need to look at in context.
_NOT_INTERESTING = bytes(b for b in range(256) if b not in _INTERESTING)
# Letters in all three code pages (ASCII letters, 0xC0-0xFF but × and ÷), and the
# ISO-8859-15 letters among the differing bytes (Š š ž Œ œ Ÿ): "ŒŒ" is a pair of
# letters, "¼½" would not be text either way.
_LETTERS = frozenset(
    [
        *range(0x41, 0x5B),
        *range(0x61, 0x7B),
        *(b for b in range(0xC0, 0x100) if b not in (0xD7, 0xF7)),
        0xA6,
        0xA8,
        0xB8,
        0xBC,
        0xBD,
        0xBE,
    ]
)
_ASCII_LETTERS = frozenset([*range(0x41, 0x5B), *range(0x61, 0x7B)])
# "Â" then a cp1252 letter or quote (ÂŒ, Â’) is valid UTF-8 for a C1 control code.
_UTF8_C1 = re.compile(b"\xc2[\x80-\x9f]")

_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)

_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "cp1252": "Windows-1252",
    "iso8859-15": "ISO-8859-15",
    "iso8859-1": "ISO-8859-1",
    "ascii": "ASCII",
}


def encoding_label(name: str) -> str:
    """The usual name of a codec, for messages ("Windows-1252" rather than "cp1252")."""
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        return name
    return _LABELS.get(canonical, canonical)


def check_codec(name: str) -> str:
    """Validate an encoding forced by the caller; return Python's canonical name.

    Only encodings where the ASCII bytes keep their meaning are accepted: positions,
    line ends and XML markup are found byte-wise.
    """
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise ImportFileError(f"Encodage inconnu : « {name} ».") from None
    try:
        # Every printable ASCII character: UTF-7 keeps "<A9 \n" but writes "+" as "+-".
        compatible = _ASCII_TEXT.encode(info.name) == _ASCII_TEXT.encode("ascii")
    except UnicodeError:  # pragma: no cover - every codec encodes ASCII or refuses above
        compatible = False
    if not compatible:
        raise ImportFileError(
            f"Encodage « {name} » non pris en charge : seuls UTF-8, ISO-8859-1, ISO-8859-15 et "
            "Windows-1252 (ou équivalents) sont acceptés."
        )
    return info.name


def rewindable(source: BinaryIO) -> BinaryIO:
    """Return a seekable binary stream with the content of ``source`` from its position.

    Deciding the encoding needs a first pass over the file; an upload or a pipe that
    cannot seek is copied to a spooled temporary file (in memory up to 8 MB, on disk
    beyond), so memory stays bounded whatever the size.
    """
    try:
        if source.seekable():
            return source
    except (AttributeError, ValueError):
        pass
    spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 - returned to the caller
    shutil.copyfileobj(source, spool, CHUNK_SIZE)
    spool.seek(0)
    return spool


@dataclass
class ByteScan:
    """What one pass over the bytes of a file found (see the module docstring)."""

    size: int = 0
    bom: str | None = None  # "UTF-8", "UTF-16", "UTF-32"
    has_nul: bool = False
    high_bytes: set[int] = field(default_factory=set)
    valid_utf8: bool = True
    utf8_c1: bool = False  # valid UTF-8 sequences for U+0080-U+009F, control codes
    votes_latin9: int = 0
    votes_latin1: int = 0
    ambiguous_b4: int = 0
    dos_suspects: int = 0
    # A few examples for the messages: (byte, left neighbour, right neighbour).
    examples: list[tuple[int, int, int]] = field(default_factory=list)

    @property
    def c1(self) -> set[int]:
        """High bytes of the 0x80-0x9F range found in the file."""
        return self.high_bytes & _C1


def _vote(result: ByteScan, left: int, byte: int, right: int) -> None:
    """Count one occurrence of an interesting byte, judged by its neighbours."""
    if byte in _LATIN9_DIFF:
        if byte == 0xB4:
            result.ambiguous_b4 += 1
        elif byte == 0xA4 or left in _LETTERS or right in _LETTERS:
            result.votes_latin9 += 1
        else:
            result.votes_latin1 += 1
    elif left in _ASCII_LETTERS and right in _ASCII_LETTERS:  # one of _DOS_SUSPECTS
        result.dos_suspects += 1
    else:
        return
    if len(result.examples) < 3:
        result.examples.append((byte, left, right))


def _positions(chunk: bytes, values: set[int]) -> Iterator[int]:
    """Every index of ``chunk`` holding one of ``values``."""
    for value in values:
        index = chunk.find(value)
        while index >= 0:
            yield index
            index = chunk.find(value, index + 1)


def scan(stream: BinaryIO) -> ByteScan:
    """Read ``stream`` to its end in chunks of CHUNK_SIZE and collect the encoding evidence.

    The stream is left at its end; the caller seeks back.
    """
    result = ByteScan()
    head = stream.read(4)
    for bom, name in _BOMS:
        if head.startswith(bom):
            result.bom = name
            return result
    if head.startswith(codecs.BOM_UTF8):
        result.bom = "UTF-8"
    utf8 = codecs.getincrementaldecoder("utf-8-sig")()
    # Each interesting byte is judged with its two neighbours; one at the very end of
    # a chunk waits for the first byte of the next one (a newline stands for the
    # start and the end of the file).
    previous = 0x0A
    waiting: tuple[int, int] | None = None
    chunk = head
    while chunk:
        result.size += len(chunk)
        if waiting is not None:
            _vote(result, waiting[0], waiting[1], chunk[0])
            waiting = None
        if b"\x00" in chunk:
            result.has_nul = True
        high = chunk.translate(None, _ASCII)
        if high:
            result.high_bytes.update(high)
        if result.valid_utf8:
            try:
                utf8.decode(chunk)
            except UnicodeDecodeError:
                result.valid_utf8 = False
            if high and (_UTF8_C1.search(chunk) or (previous == 0xC2 and 0x80 <= chunk[0] <= 0x9F)):
                result.utf8_c1 = True
        interesting = high.translate(None, _NOT_INTERESTING) if high else b""
        if interesting:
            last = len(chunk) - 1
            # Found byte value by byte value (bytes.find is a memchr, a regex over the chunk ten
            # times slower), then judged in file order as the examples must be.
            for index in sorted(_positions(chunk, set(interesting))):
                left = chunk[index - 1] if index else previous
                if index == last:
                    waiting = (left, chunk[index])
                else:
                    _vote(result, left, chunk[index], chunk[index + 1])
        previous = chunk[-1]
        chunk = stream.read(CHUNK_SIZE)
    if waiting is not None:
        _vote(result, waiting[0], waiting[1], 0x0A)
    if result.valid_utf8:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            result.valid_utf8 = False
    return result


def _show(example: tuple[int, int, int]) -> str:
    """Render an example occurrence as « x?y (octet 0xNN) » for the staff."""
    byte, left, right = example
    around = bytes([left]).decode("latin-1") + "?" + bytes([right]).decode("latin-1")
    return f"octet 0x{byte:02X} dans « {around.strip()} »"


_FORCE_HINT = "Indiquez l'encodage du fichier (UTF-8, ISO-8859-15 ou Windows-1252) pour l'importer."


def decide(result: ByteScan) -> str:
    """Turn the evidence into a Python codec name, or refuse with ImportFileError."""
    if result.bom in ("UTF-16", "UTF-32"):
        raise ImportFileError(
            f"Fichier encodé en {result.bom} : encodage non pris en charge. "
            "Enregistrez-le en UTF-8, ISO-8859-15 ou Windows-1252."
        )
    if result.has_nul:
        raise ImportFileError(
            "Le fichier contient des octets nuls : ce n'est pas un fichier texte "
            "(fichier binaire, compressé, ou encodé en UTF-16)."
        )
    if result.bom == "UTF-8":
        if not result.valid_utf8:
            raise ImportFileError(
                "Le fichier commence par une marque UTF-8 mais contient des caractères invalides en UTF-8 "
                "(encodages mélangés). " + _FORCE_HINT
            )
        return "utf-8-sig"
    if not result.high_bytes or (result.valid_utf8 and not result.utf8_c1):
        return "utf-8"
    undefined = result.high_bytes & CP1252_UNDEFINED
    if undefined:
        shown = ", ".join(f"0x{b:02X}" for b in sorted(undefined))
        raise ImportFileError(
            f"Encodage non reconnu : octets {shown} sans signification en ISO-8859 comme en Windows-1252 "
            "(fichier produit dans une page de code DOS/IBM ?). " + _FORCE_HINT
        )
    examples = "; ".join(_show(e) for e in result.examples)
    if result.dos_suspects:
        raise ImportFileError(
            "Encodage non reconnu : des signes de ponctuation Windows-1252 apparaissent au milieu de mots "
            f"({examples}), ce qui évoque une page de code DOS (CP850). " + _FORCE_HINT
        )
    if result.c1:
        if result.votes_latin9:
            raise ImportFileError(
                "Encodage incohérent : le fichier mêle des caractères Windows-1252 et des lettres ISO-8859-15 "
                f"({examples}). " + _FORCE_HINT
            )
        return "cp1252"
    if result.ambiguous_b4:
        raise ImportFileError(
            "Encodage indécidable : l'octet 0xB4 se lit « Ž » en ISO-8859-15 mais « ´ » en ISO-8859-1 et "
            f"Windows-1252 ({examples}). " + _FORCE_HINT
        )
    if result.votes_latin9 and result.votes_latin1:
        raise ImportFileError(
            "Encodage indécidable : certains octets se lisent comme des lettres ISO-8859-15 (Œ, œ, Š...) et "
            f"d'autres comme des symboles ISO-8859-1 (¼, ½...) ({examples}). " + _FORCE_HINT
        )
    if result.votes_latin1:
        # No C1 byte: cp1252 and ISO-8859-1 read this file identically.
        return "cp1252"
    return "iso8859-15"


def detect_encoding(stream: BinaryIO) -> str:
    """Decide the encoding of a seekable binary stream from its current position.

    Returns a Python codec name ("utf-8", "utf-8-sig", "cp1252", "iso8859-15") and
    leaves the stream where it was; raises ImportFileError when the file must not be
    read with a guess.
    """
    start = stream.tell()
    try:
        return decide(scan(stream))
    finally:
        stream.seek(start)
