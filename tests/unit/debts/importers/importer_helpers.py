"""Shared helpers of the importer tests (a plain module: no conftest needed)."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

from debts.importers import DebtRecord, LineError
from tests import paths

DATA = paths.DATA / "importers"


def run(parser, data: bytes | str | Path, **options) -> list[DebtRecord | LineError]:
    """Parse bytes, or the named file of tests/data/importers, to a list."""
    if isinstance(data, str):
        data = DATA / data
    if isinstance(data, Path):
        with data.open("rb") as source:
            return list(parser(source, **options))
    return list(parser(io.BytesIO(data), **options))


def records(items) -> list[DebtRecord]:
    """Only the debts."""
    return [item for item in items if isinstance(item, DebtRecord)]


def errors(items) -> list[LineError]:
    """Only the line errors."""
    return [item for item in items if isinstance(item, LineError)]


def shape(items) -> list[tuple]:
    """(kind, line number, field or REFDET parts) of each item, in order."""
    out = []
    for item in items:
        if isinstance(item, DebtRecord):
            out.append(("debt", item.line_no, tuple(item.ref_parts.values()), item.amount_cents))
        else:
            out.append(("error", item.line_no, item.field))
    return out


def without_source(record: DebtRecord) -> DebtRecord:
    """A record without what only the file decides (its line and raw text)."""
    return dataclasses.replace(record, line_no=0, raw="")


class OneWay(io.RawIOBase):
    """A readable stream that cannot seek (an upload piped through), over bytes."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)
