"""fixedwidth.read_records: the block reading (its speed) reads every file exactly as the
line-by-line reading does: same records, same line numbers, same messages, same refusals.

Each file is read twice, with blocks of 1 KiB (so that every case falls inside, across or at
the edge of a block, and the switch to line-by-line happens in mid-file) and line by line only.
"""

import io

import pytest

from debts.importers import fixedwidth
from debts.importers.base import ImportFileError
from debts.importers.fixedwidth import MAX_LINE_BYTES, Field, Layout

LAYOUT = Layout("TEST", 20, [Field("A", 1, 10, "9"), Field("B", 11, 20)])


def record(n: int, text: str = "DUPONT") -> str:
    return f"{n:010d}{text:<10}"[:20]


def body(count: int = 120, end: str = "\r\n", text: str = "DUPONT") -> str:
    return "".join(record(n, text) + end for n in range(1, count + 1))


def read(data: bytes, encoding: str | None) -> list:
    try:
        return list(fixedwidth.read_records(io.BytesIO(data), LAYOUT, encoding=encoding))
    except ImportFileError as exc:
        return ["refused", exc.message]


def both_ways(monkeypatch, data: bytes, encoding: str | None = None) -> list:
    monkeypatch.setattr(fixedwidth, "BLOCK_BYTES", 1024)
    by_block = read(data, encoding)
    monkeypatch.setattr(fixedwidth, "_BLOCK_CODECS", {})
    by_line = read(data, encoding)
    assert by_block == by_line
    return by_block


CASES = {
    "lf": body(end="\n").encode(),
    "crlf-final-line-without-end": (body() + record(999)).encode(),
    "final-line-with-cr-only": (body() + record(999) + "\r").encode(),
    "cr-cr-lf": body(end="\r\r\n").encode(),
    "bom": b"\xef\xbb\xbf" + body().encode(),
    "blank-lines-of-record-length": (body(100) + " " * 20 + "\r\n\x1a\r\n" + "\t" * 20 + "\n" + body(30)).encode(),
    "dos-eof-mark": (body() + "\x1a").encode(),
    "wrong-lengths-first-then-records": ("short\r\n" * 5 + body() + "x" * 19 + "\r\n" + body(10)).encode(),
    "never-the-right-length": (("x" * 21 + "\r\n") * 40).encode(),
    "empty": b"",
    "blank-only": b"\r\n   \r\n",
    "over-long-line-mid-file": (body(200) + "y" * (MAX_LINE_BYTES + 100) + "\r\r\n" + body(50)).encode(),
    "line-just-under-the-long-limit": (body(60) + "z" * (MAX_LINE_BYTES - 2) + "\r\n" + body(5)).encode(),
    "line-at-the-long-limit": (body(60) + "z" * MAX_LINE_BYTES + "\n" + body(5)).encode(),
    "over-long-last-line-without-end": (body(60) + "w" * (MAX_LINE_BYTES * 2)).encode(),
    "utf-8-accents": body(text="ÉLOÏSE Œ").encode("utf-8"),
    "latin-9-letters": body(text="CŒUR ŠA").encode("iso8859-15"),
    "cp1252-punctuation": body(text="L’ÉCOLE").encode("cp1252"),
}


@pytest.mark.parametrize("name", CASES)
def test_blocks_read_every_file_as_lines_do(monkeypatch, name):
    both_ways(monkeypatch, CASES[name])


@pytest.mark.parametrize(
    ("encoding", "data"),
    [
        ("ascii", (body(100) + record(101, "ÉCOLE") + "\r\n" + body(100)).encode("latin-1")),
        ("cp1252", (body(100) + "\r\n").encode() + b"0000000101AB\x81CDEFGH\r\n" + body(50).encode()),
        ("utf-8", body(100).encode() + "0000000101ÉCOLE".encode("latin-1") + b"\r\n" + body(50).encode()),
        ("iso8859-15", body(text="A€BŒC").encode("iso8859-15")),
        ("latin-1", body(text="¤½ÿ").encode("latin-1")),
        ("cp850", body(text="é").encode("cp850")),
    ],
    ids=["ascii-bad-byte", "cp1252-undefined-byte", "utf-8-invalid", "iso8859-15", "latin-1", "cp850"],
)
def test_blocks_read_a_forced_encoding_as_lines_do(monkeypatch, encoding, data):
    items = both_ways(monkeypatch, data, encoding)
    assert items and items[0] != "refused"


def test_the_comparison_sees_a_difference(monkeypatch):
    """The tests above can fail: a block reader that takes ISO-8859-15 for ISO-8859-1 is caught."""
    import re

    monkeypatch.setattr(fixedwidth, "BLOCK_BYTES", 1024)
    monkeypatch.setitem(fixedwidth._BLOCK_CODECS, "iso8859-15", re.compile(rb"(?!)"))
    data = body(text="CŒUR €").encode("iso8859-15")
    by_block = read(data, "iso8859-15")
    monkeypatch.setattr(fixedwidth, "_BLOCK_CODECS", {})
    assert by_block != read(data, "iso8859-15")
