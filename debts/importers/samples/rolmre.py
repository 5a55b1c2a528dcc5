"""The ROLMRE sample writer (rôles, fixed width 500)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from random import Random
from typing import BinaryIO

from debts.importers.base import DebtRecord
from debts.importers.rolmre import LAYOUT

from .base import EXERCICE, LineWriter, SampleStats, bad_due, split_address
from .people import random_amount, random_day, random_person

__all__ = ["write_rolmre"]

_ROLMRE_KINDS = {"Facture d'eau": "1", "Redevance LEMA": "2"}


def _rolmre_values(
    *,
    rolex: str,
    rolrec: str,
    roldeb: str,
    roldet: str,
    rolnat: str,
    amount: int,
    name: str,
    address: str,
    ref: str,
    issued: datetime.date | None,
    roltpr: str,
    split: tuple[int, int, int] | None = None,
) -> dict[str, str]:
    """The zones of one ROLMRE line; ``split`` gives eau/assainissement/TVA shares."""
    lines, postcode, town = split_address(address, 3)
    slots = {1: ["ROLADR"], 2: ["ROLDIS", "ROLADR"], 3: ["ROLDIS", "ROLADR", "ROLCVI"]}.get(len(lines), [])
    values = {
        "ROLMVT": "1",
        "ROLCOL": "42",
        "ROLNAT": rolnat,
        "ROLEX": rolex,
        "ROLPER": "1",
        "ROLDET": roldet,
        "ROLCLE1": str(int(roldet or "0") % 10) if roldet.isdigit() else "0",
        "ROLCLE2": "K",
        "ROLREC": rolrec,
        "ROLDAT": issued.strftime("%Y%m%d") if issued else "",
        "ROLROL": "01",
        "ROLTOT": f"{amount:012d}",
        "ROLNMAJ": "0" * 12,
        "ROLNOM": name,
        "ROLCP": postcode,
        "ROLLOC": town,
        "ROLPRE": "0",
        "ROLCLI": ref,
        "ROLMONNAIE": "E",
        "ROLDEB": roldeb,
        "ROLTPR": roltpr,
        "ROLVER": "2",
    }
    eau, ass, tva = split or (amount, 0, 0)
    values.update({"ROLEAU": f"{eau:012d}", "ROLASS": f"{ass:012d}", "ROLTVE": "0" * 12, "ROLTVA": f"{tva:012d}"})
    values.update(zip(slots, lines, strict=True))
    return values


def _rolmre_bad(rng: Random, line: str) -> str:
    """One ROLMRE line with one of the defects the parser must report."""
    kind = rng.randrange(6)
    splice = LAYOUT.splice
    if kind == 0:
        roltot = LAYOUT.read(line, "ROLTOT")[0]
        return splice(line, {"ROLTOT": roltot[:6] + "O" + roltot[7:]})
    if kind == 1:
        return splice(line, {"ROLDET": ""})
    if kind == 2:
        return splice(line, {"ROLDAT": EXERCICE + "1341"})
    if kind == 3:
        return splice(line, {"ROLEX": "2O24"})
    if kind == 4:
        return splice(line, {"ROLTOT": ""})
    return line[:-1]


def write_rolmre(
    out: BinaryIO,
    records_or_count: int | Iterable[DebtRecord],
    *,
    seed: int = 0,
    bad_share: float = 0.0,
    encoding: str = "iso8859-15",
    newline: str = "\n",
) -> SampleStats:
    """Write a ROLMRE file: ``count`` lines, or one line per given DebtRecord.

    Generated lines: 70 % water bills (EAU variant: ROLREC "EA", ROLDEB 00 or 01),
    30 % other rôles (DDPAC variant: ROLREC blank, ROLNAT 12); ROLDET numbered in
    sequence over the exercice, as annex 4 asks.
    """
    writer = LineWriter(out, encoding, newline)
    if not isinstance(records_or_count, int):
        count = 0
        for record in records_or_count:
            parts = record.ref_parts
            kind = next((code for prefix, code in _ROLMRE_KINDS.items() if record.label.startswith(prefix)), "0")
            writer.line(
                LAYOUT.build(
                    _rolmre_values(
                        rolex=parts["rolex"],
                        rolrec=parts.get("rolrec", ""),
                        roldeb=parts.get("roldeb", ""),
                        roldet=parts["roldet"],
                        rolnat=parts.get("rolnat", ""),
                        amount=record.amount_cents,
                        name=record.debtor_name,
                        address=record.debtor_address,
                        ref=record.debtor_ref,
                        issued=record.issued_on,
                        roltpr=kind,
                    )
                )
            )
            count += 1
        writer.flush()
        return SampleStats(count, 0, count)

    rng = Random(seed)
    # A pool of debtors, each with its line template, and of days keeps a
    # million-line file fast to write; every line has its own ROLDET and ROLCLI.
    pool = [random_person(rng, index) for index in range(1024)]
    templates = [
        LAYOUT.build(
            _rolmre_values(
                rolex=EXERCICE,
                rolrec="",
                roldeb="",
                roldet="",
                rolnat="",
                amount=0,
                ref="",
                issued=None,
                roltpr="",
                name=" ".join(p for p in (person.civility, person.name) if p),
                address="\n".join([*person.lines, f"{person.postcode} {person.town}"]),
            )
        )
        for person in pool
    ]
    days = [random_day(rng).strftime("%Y%m%d") for _ in range(256)]
    written = bad = 0
    while written < records_or_count:
        number = written + 1
        amount = max(random_amount(rng), 4)
        eau = amount * 45 // 100
        tva = amount * 5 // 100
        water = rng.random() < 0.7
        roldet = f"{number:013d}"
        values = {  # in layout order, for splice()
            "ROLNAT": "01" if water else "12",
            "ROLDET": roldet,
            "ROLCLE1": roldet[-1],
            "ROLREC": "EA" if water else "",
            "ROLDAT": days[rng.getrandbits(8)],
            "ROLEAU": f"{eau:012d}",
            "ROLASS": f"{amount - eau - tva:012d}",
            "ROLTVA": f"{tva:012d}",
            "ROLTOT": f"{amount:012d}",
            "ROLCLI": f"{number:010d}",
            "ROLDEB": ("00", "01")[rng.getrandbits(1)] if water else "",
            "ROLTPR": "1" if water else ("0", "2")[rng.getrandbits(1)],
        }
        line = LAYOUT.splice(templates[rng.getrandbits(10)], values)
        if bad_due(bad, written, bad_share, records_or_count):
            line = _rolmre_bad(rng, line)
            bad += 1
        writer.line(line)
        written += 1
    writer.flush()
    return SampleStats(written, bad, written - bad)
