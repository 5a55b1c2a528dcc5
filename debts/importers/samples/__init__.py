"""Writers of realistic INDIGO, ROLMRE, PES V2 Recette and régie CSV files, for demo data,
tests and benchmarks.

Pure and streaming like the parsers: records are generated and written one at a
time (a PES bordereau, at most ``PIECES_PER_BORDEREAU`` pieces, is the largest thing
held), so a million-record file costs no memory. Deterministic: the same seed gives
the same bytes (``random.Random(seed)``, no Faker, no clock).

Each writer takes either a count, to generate that many source records (lines of a
fixed-width file, pieces of a PES file) with French names and addresses (É, Ç, Œ...),
amounts mostly between 1 € and 300 € with some above TIPI's 1 500 € limit and some
below 1 €, every grouping case of annex 4 and a chosen share of bad records; or an
iterable of ``DebtRecord``, written back as the format carries them (what the
round-trip tests use). They return a ``SampleStats``.
"""

from __future__ import annotations

from typing import BinaryIO

from .base import SampleStats
from .indigo import write_indigo
from .pesv2 import PES_NAMESPACE, write_pesv2
from .regie import write_regie
from .rolmre import write_rolmre

__all__ = ["PES_NAMESPACE", "SampleStats", "write_indigo", "write_pesv2", "write_regie", "write_rolmre", "write_sample"]

_WRITERS = {"indigo": write_indigo, "rolmre": write_rolmre, "pesv2": write_pesv2, "regie": write_regie}


def write_sample(
    fmt: str,
    out: BinaryIO,
    count: int,
    *,
    seed: int = 0,
    bad_share: float = 0.0,
    encoding: str | None = None,
    **options: object,
) -> SampleStats:
    """Write ``count`` generated records of format ``fmt`` ("indigo", "rolmre", "pesv2", "regie")
    to ``out``; ``encoding`` defaults to each writer's (ISO-8859-15 for the fixed-width
    files, ISO-8859-1 for PES, UTF-8 for régie CSV); other options go to the writer."""
    writer = _WRITERS[fmt]
    if encoding is not None:
        options["encoding"] = encoding
    return writer(out, count, seed=seed, bad_share=bad_share, **options)  # type: ignore[operator]
