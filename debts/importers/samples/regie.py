"""The régie invoice sample writer (CSV, docs/regie-csv.md): canteen, crèche, leisure centre."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable
from random import Random
from typing import BinaryIO

from debts.importers.base import DebtRecord
from debts.importers.regie_csv import COLUMNS

from .base import EXERCICE, LineWriter, SampleStats, bad_due
from .people import random_amount, random_day, random_person

__all__ = ["write_regie"]

_SERVICES = ("Cantine scolaire", "Crèche municipale", "Accueil de loisirs", "Garderie périscolaire")
# What a deliberately bad line gets wrong, one column at a time.
_BAD_VALUES = (
    ("montant", "12,345"),
    ("montant", "douze euros"),
    ("date_emission", "31/02/2024"),
    ("date_echeance", "2024/13/01"),
    ("nom", ""),
    ("numero_facture", ""),
)


def _euros(cents: int) -> str:
    """French writing: a decimal comma, as a spreadsheet exports it."""
    return f"{cents // 100},{cents % 100:02d}"


def _line(values: dict[str, str]) -> str:
    buffer = io.StringIO()
    # The line terminator tells the writer to quote a field holding a line break (an address).
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerow([values[name] for name in COLUMNS])
    return buffer.getvalue()[:-2]


def write_regie(
    out: BinaryIO,
    records_or_count: int | Iterable[DebtRecord],
    *,
    seed: int = 0,
    bad_share: float = 0.0,
    encoding: str = "utf-8",
    newline: str = "\r\n",
) -> SampleStats:
    """Write a régie CSV file: a header, then ``count`` invoices, or one per DebtRecord.

    Generated invoices: numbers ``FAC-<year>-<n>`` (which do not fit protocol 0: the
    portal derives their REFDET) every third one, ``F<year><n>`` otherwise; families with
    several invoices; amounts from ``random_amount``; due 30 days after issue; addresses
    on two lines in a quoted field.
    """
    writer = LineWriter(out, encoding, newline)
    writer.line(";".join(COLUMNS))
    if not isinstance(records_or_count, int):
        count = 0
        for record in records_or_count:
            issued = record.issued_on or datetime.date(int(EXERCICE), 1, 1)
            writer.line(
                _line(
                    {
                        "numero_facture": record.ref_parts["invoice"],
                        "reference_debiteur": record.debtor_ref,
                        "nom": record.debtor_name,
                        "adresse": record.debtor_address,
                        "objet": record.label,
                        "montant": _euros(record.amount_cents),
                        "date_emission": issued.strftime("%d/%m/%Y"),
                        "date_echeance": (record.due_on or issued).isoformat(),
                    }
                )
            )
            count += 1
        writer.flush()
        return SampleStats(count, 0, count)

    rng = Random(seed)
    families = [random_person(rng, index) for index in range(256)]
    written = bad = 0
    while written < records_or_count:
        number = written + 1
        person = families[rng.getrandbits(8)]
        issued = random_day(rng)
        values = {
            "numero_facture": f"FAC-{EXERCICE}-{number:06d}" if number % 3 == 0 else f"F{EXERCICE}{number:07d}",
            "reference_debiteur": f"FAM{person.ref[1:]}",
            "nom": " ".join(part for part in (person.civility, person.name) if part),
            "adresse": "\n".join([*person.lines, f"{person.postcode} {person.town}"]),
            "objet": f"{rng.choice(_SERVICES)} {issued:%m/%Y}",
            "montant": _euros(max(random_amount(rng), 1)),
            "date_emission": issued.strftime("%d/%m/%Y"),
            "date_echeance": (issued + datetime.timedelta(days=30)).strftime("%d/%m/%Y"),
        }
        if bad_due(bad, written, bad_share, records_or_count):
            column, value = _BAD_VALUES[bad % len(_BAD_VALUES)]
            values[column] = value
            bad += 1
        writer.line(_line(values))
        written += 1
    writer.flush()
    return SampleStats(written, bad, written - bad)
