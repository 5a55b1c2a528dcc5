"""The INDIGO sample writer (titres, fixed width 452)."""

from __future__ import annotations

from collections.abc import Iterable
from random import Random
from typing import BinaryIO

from debts.importers.base import DebtRecord
from debts.importers.indigo import LAYOUT

from .base import EXERCICE, LineWriter, SampleStats, bad_due
from .people import MONTHS, SERVICES, Person, random_amount, random_person

__all__ = ["write_indigo"]


def _split_label(label: str, width: int) -> tuple[str, str]:
    """Split a label over two zones so that ``indigo._label`` (the parser) joins it back: at the
    last space that leaves the first zone short of full, or cut at the width."""
    if len(label) <= width:
        return label, ""
    cut = label.rfind(" ", 0, width)
    if cut > 0:
        return label[:cut], label[cut + 1 :]
    return label[:width], label[width:]


def _indigo_values(
    *,
    numtitre: str,
    numordre: str,
    nature: str,
    amount: int,
    person: Person | None = None,
    name: str = "",
    address: list[str] | None = None,
    ref: str = "",
    codedebit: str = "",
    label: str = "",
    codexer: str = EXERCICE,
    etatciv: str = "",
) -> dict[str, str]:
    """The zones of one INDIGO line."""
    if person is not None:
        etatciv, name, ref = person.civility, person.name, person.ref
        address = [*person.lines, f"{person.postcode} {person.town}"]
        codedebit = "03" if person.siret else "01"  # illustrative codes: the parser passes them through
    obj1, obj2 = _split_label(label, LAYOUT.fields["ZONEOBJ1"].width)
    values = {
        "CODRCT": "11",
        "CODCOL": "042",
        "COBUDGET": "00",
        "CODEXER": codexer,
        "NUMBORD": "0000012",
        "NUMTITRE": numtitre,
        "NUMORDRE": numordre,
        "NATURE": "7067",
        "FONCTION": "251",
        "MONTANT": f"{amount:016d}",
        "TVA": "0" * 16,
        "ETATCIV": etatciv,
        "ZONEAD1": name,
        "REFSTABLE": ref,
        "NATURETITRE": nature,
        "CODEDEBIT": codedebit,
        "ZONEOBJ1": obj1,
        "ZONEOBJ2": obj2,
        "MONNAIE": "E",
        "VERSION": "1",
        "CODTYPE": "T",
    }
    for index, line in enumerate((address or [])[:5], 2):
        values[f"ZONEAD{index}"] = line
    return values


def _indigo_bad(rng: Random, values: dict[str, str]) -> str:
    """One INDIGO line with one of the defects the parser must report."""
    kind = rng.randrange(6)
    if kind == 0:
        values["MONTANT"] = values["MONTANT"][:12] + "A" + values["MONTANT"][13:]
    elif kind == 1:
        values["NUMTITRE"] = ""
    elif kind == 2:
        values["CODEXER"] = "20X4"
    elif kind == 3:
        values["NATURETITRE"] = "07"
    elif kind == 4:
        values["MONTANT"] = ""
    line = LAYOUT.build(values)
    return line[:-7] if kind == 5 else line


def write_indigo(
    out: BinaryIO,
    records_or_count: int | Iterable[DebtRecord],
    *,
    seed: int = 0,
    bad_share: float = 0.0,
    encoding: str = "iso8859-15",
    newline: str = "\n",
) -> SampleStats:
    """Write an INDIGO file: ``count`` lines, or one line per given DebtRecord.

    Generated titres: 60 % nature 01 (one line), 20 % nature 09/10 (2 to 4 lines of
    one debtor, one debt), 20 % nature 03 (2 to 5 debtors, one debt each); bad lines
    are one-line titres of their own, so good titres stay whole.
    """
    writer = LineWriter(out, encoding, newline)
    if not isinstance(records_or_count, int):
        count = 0
        for record in records_or_count:
            parts = record.ref_parts
            writer.line(
                LAYOUT.build(
                    _indigo_values(
                        codexer=parts["codexer"],
                        numtitre=parts["numtitre"],
                        numordre=parts["numordre"],
                        nature=parts["nature_titre"],
                        amount=record.amount_cents,
                        name=record.debtor_name,
                        address=record.debtor_address.split("\n") if record.debtor_address else [],
                        ref=record.debtor_ref,
                        codedebit=(record.public_body or {}).get("CODEDEBIT", ""),
                        label=record.label,
                    )
                )
            )
            count += 1
        writer.flush()
        return SampleStats(count, 0, count)

    rng = Random(seed)
    written = bad = debts = 0
    numtitre = 0
    target_bad = round(records_or_count * bad_share)
    while written < records_or_count:
        numtitre += 1
        # Lines left for good titres, keeping room for the bad lines still due.
        remaining = records_or_count - written - (target_bad - bad)
        label = f"{rng.choice(SERVICES)} {rng.choice(MONTHS)} {EXERCICE}"
        if bad_due(bad, written, bad_share, records_or_count):
            values = _indigo_values(
                numtitre=f"{numtitre:08d}",
                numordre="000001",
                nature="01",
                amount=random_amount(rng),
                person=random_person(rng, numtitre),
                label=label,
            )
            writer.line(_indigo_bad(rng, values))
            written += 1
            bad += 1
            continue
        draw = rng.random()
        if draw < 0.6 or remaining == 1:
            nature, size, debtors = "01", 1, 1
        elif draw < 0.8:
            nature, size, debtors = rng.choice(("09", "10")), min(rng.randint(2, 4), remaining), 1
        else:
            nature = "03"
            size = debtors = min(rng.randint(2, 5), remaining)
        person = random_person(rng, numtitre * 10)
        for order in range(1, size + 1):
            if debtors > 1:
                person = random_person(rng, numtitre * 10 + order)
            writer.line(
                LAYOUT.build(
                    _indigo_values(
                        numtitre=f"{numtitre:08d}",
                        numordre=f"{order:06d}",
                        nature=nature,
                        amount=random_amount(rng),
                        person=person,
                        label=label,
                    )
                )
            )
        written += size
        debts += debtors
    writer.flush()
    return SampleStats(written, bad, debts)
