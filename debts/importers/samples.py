"""Writers of realistic INDIGO, ROLMRE and PES V2 Recette files, for demo data,
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

import datetime
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from random import Random
from typing import BinaryIO

from . import indigo, rolmre
from .base import DebtRecord
from .encoding import encoding_label

__all__ = ["PES_NAMESPACE", "SampleStats", "write_indigo", "write_pesv2", "write_rolmre", "write_sample"]

PES_NAMESPACE = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"
PIECES_PER_BORDEREAU = 200
EXERCICE = "2024"
_WRITE_BATCH = 512


@dataclass(frozen=True, slots=True)
class SampleStats:
    """What a writer produced: source records (lines or pieces) written, how many of
    them are deliberately bad, and how many debts a parser must yield."""

    records: int
    bad: int
    debts: int


# --- French people, places and things -------------------------------------------------

_FIRST_NAMES = (
    "Élodie",
    "François",
    "Chloé",
    "Jérôme",
    "Hélène",
    "Loïc",
    "Maëlle",
    "Noël",
    "Agnès",
    "Benoît",
    "Cécile",
    "Clément",
    "Zoé",
    "Anaïs",
    "Gaëtan",
    "Léa",
    "Raphaël",
    "Thérèse",
    "Joël",
    "Françoise",
    "Amélie",
    "Jean",
    "Marie",
    "Pierre",
    "Sophie",
    "Nicolas",
    "Camille",
    "Lucas",
    "Inès",
    "Hervé",
    "Étienne",
    "Océane",
)
_LAST_NAMES = (
    "MARTIN",
    "BERNARD",
    "DUBOIS",
    "LEFÈVRE",
    "GIRAUD",
    "MÉNARD",
    "LEBŒUF",
    "CŒURDEVEY",
    "DESCHAMPS",
    "GAUTHIER",
    "FRANÇOIS",
    "BÉRANGER",
    "ÉVRARD",
    "MOREAU",
    "ROUSSEAU",
    "GARÇON",
    "DUPRÉ",
    "NOËL",
    "PERRIN",
    "FAURE",
    "LE GALL",
    "N'DIAYE",
    "SAINT-CYR",
    "MÜLLER",
    "CHÂTEAU",
    "BŒUF",
    "DELAÎTRE",
    "LAMBERT",
    "FONTAINE",
    "ROUX",
)
_CIVILITIES = ("M", "MME", "M", "MME", "")
_PUBLIC_BODIES = (
    ("COMMUNE DE SAINT-ÉTIENNE-LÈS-REMIREMONT", "21880383600011"),
    ("COLLÈGE JEAN MOULIN", "19420012300018"),
    ("CENTRE HOSPITALIER DE BESANÇON", "26250001600013"),
    ("SYNDICAT DES EAUX DU CŒUR DE FRANCE", "25180077200025"),
    ("DÉPARTEMENT DE LA LOIRE", "22420001700016"),
)
_STREETS = (
    "RUE DE L'ÉGLISE",
    "PLACE DE LA RÉPUBLIQUE",
    "AVENUE ÉDOUARD HERRIOT",
    "CHEMIN DES ÉCOLIERS",
    "IMPASSE DE L'ŒILLET",
    "ALLÉE DES CHÂTAIGNIERS",
    "RUE DU CŒUR VOLANT",
    "BOULEVARD FRANÇOIS MITTERRAND",
    "QUAI DE LA SAÔNE",
    "RUE JEAN JAURÈS",
    "ROUTE DE L'ÉTANG",
    "RUE DES FRÈRES LUMIÈRE",
    "CHEMIN DE LA FORÊT",
)
_COMPLEMENTS = ("BÂTIMENT B", "RÉSIDENCE LES ÉRABLES", "APPARTEMENT 12", "ESCALIER C", "LE HAUT DES ÇÀ")
_TOWNS = (
    ("42000", "SAINT-ÉTIENNE"),
    ("25000", "BESANÇON"),
    ("45000", "ORLÉANS"),
    ("30000", "NÎMES"),
    ("88000", "ÉPINAL"),
    ("69001", "LYON"),
    ("63000", "CLERMONT-FERRAND"),
    ("74000", "ANNECY"),
    ("57000", "METZ"),
    ("06000", "NICE"),
    ("59800", "LILLE"),
    ("97400", "SAINT-DENIS"),
    ("71100", "CHALON-SUR-SAÔNE"),
    ("29200", "BREST"),
    ("64100", "BAYONNE"),
    ("88200", "REMIREMONT"),
)
_SERVICES = (
    "CANTINE SCOLAIRE",
    "GARDERIE PÉRISCOLAIRE",
    "LOYER COMMUNAL",
    "OCCUPATION DU DOMAINE PUBLIC",
    "ÉCOLE DE MUSIQUE",
    "CONCESSION CIMETIÈRE",
    "CRÈCHE MUNICIPALE",
    "CENTRE DE LOISIRS ÉTÉ",
    "TRANSPORT SCOLAIRE",
    "LOCATION SALLE DES FÊTES",
    "ENLÈVEMENT ENCOMBRANTS",
    "FOURRIÈRE",
)
_MONTHS = (
    "JANVIER",
    "FÉVRIER",
    "MARS",
    "AVRIL",
    "MAI",
    "JUIN",
    "JUILLET",
    "AOÛT",
    "SEPTEMBRE",
    "OCTOBRE",
    "NOVEMBRE",
    "DÉCEMBRE",
)


@dataclass(frozen=True, slots=True)
class _Person:
    civility: str
    last: str
    first: str
    ref: str
    lines: tuple[str, ...]  # street lines, without the town
    postcode: str
    town: str
    siret: str  # public bodies only

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.last, self.first) if part)


def _person(rng: Random, number: int) -> _Person:
    """A debtor: mostly people, some public bodies (Chorus Pro debtors)."""
    postcode, town = rng.choice(_TOWNS)
    street = f"{rng.randint(1, 180)} {rng.choice(_STREETS)}"
    lines = (rng.choice(_COMPLEMENTS), street) if rng.random() < 0.2 else (street,)
    if rng.random() < 0.05:
        name, siret = rng.choice(_PUBLIC_BODIES)
        return _Person("", name, "", f"P{number:07d}", lines, postcode, town, siret)
    return _Person(
        rng.choice(_CIVILITIES),
        rng.choice(_LAST_NAMES),
        rng.choice(_FIRST_NAMES).upper(),
        f"D{number:07d}",
        lines,
        postcode,
        town,
        "",
    )


def _amount(rng: Random) -> int:
    """An amount in cents: mostly 1 € to 300 €, some below 1 €, some above 1 500 €."""
    draw = rng.random()
    if draw < 0.04:
        return rng.randint(1, 99)
    if draw < 0.08:
        return rng.randint(150_000, 500_000)
    if draw < 0.15:
        return rng.randint(30_001, 149_999)
    return rng.randint(100, 30_000)


def _date(rng: Random) -> datetime.date:
    """A day of the sample exercice."""
    return datetime.date(int(EXERCICE), 1, 1) + datetime.timedelta(days=rng.randint(0, 364))


def _split_label(label: str, width: int) -> tuple[str, str]:
    """Split a label over two zones so that ``indigo._label`` joins it back: at the
    last space that leaves the first zone short of full, or cut at the width."""
    if len(label) <= width:
        return label, ""
    cut = label.rfind(" ", 0, width)
    if cut > 0:
        return label[:cut], label[cut + 1 :]
    return label[:width], label[width:]


_POSTCODE_LINE = re.compile(r"([0-9]{5}) (.+)")


@functools.lru_cache(maxsize=4096)  # generated files reuse a pool of addresses
def _split_address(address: str, room: int) -> tuple[tuple[str, ...], str, str]:
    """Address lines, postcode and town from a multi-line address (the inverse of the
    parsers' "lines, then postcode and town" layout)."""
    lines = [line for line in address.split("\n") if line]
    postcode = town = ""
    if lines and (match := _POSTCODE_LINE.fullmatch(lines[-1])):
        postcode, town = match.groups()
        lines = lines[:-1]
    return tuple(lines[:room]), postcode, town


class _Out:
    """Encode and write text lines in batches."""

    def __init__(self, out: BinaryIO, encoding: str, newline: str, errors: str = "replace") -> None:
        self.out = out
        self.encoding = encoding
        self.newline = newline
        self.errors = errors
        self.pending: list[str] = []

    def line(self, text: str) -> None:
        self.pending.append(text)
        if len(self.pending) >= _WRITE_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            text = self.newline.join(self.pending) + self.newline
            self.out.write(text.encode(self.encoding, self.errors))
            self.pending = []


def _bad_due(bad: int, written: int, share: float, count: int) -> bool:
    """Whether the next record should be a bad one: bad records are spread evenly and
    there are exactly round(count × share) of them in the end."""
    target = round(count * share)
    if bad >= target:
        return False
    return bad + 1 <= share * (written + 1) or count - written <= target - bad


# --- INDIGO -------------------------------------------------------------------------------


def _indigo_values(
    *,
    numtitre: str,
    numordre: str,
    nature: str,
    amount: int,
    person: _Person | None = None,
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
    obj1, obj2 = _split_label(label, indigo.LAYOUT.fields["ZONEOBJ1"].width)
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
    line = indigo.LAYOUT.build(values)
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
    writer = _Out(out, encoding, newline)
    if not isinstance(records_or_count, int):
        count = 0
        for record in records_or_count:
            parts = record.ref_parts
            writer.line(
                indigo.LAYOUT.build(
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
        label = f"{rng.choice(_SERVICES)} {rng.choice(_MONTHS)} {EXERCICE}"
        if _bad_due(bad, written, bad_share, records_or_count):
            values = _indigo_values(
                numtitre=f"{numtitre:08d}",
                numordre="000001",
                nature="01",
                amount=_amount(rng),
                person=_person(rng, numtitre),
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
        person = _person(rng, numtitre * 10)
        for order in range(1, size + 1):
            if debtors > 1:
                person = _person(rng, numtitre * 10 + order)
            writer.line(
                indigo.LAYOUT.build(
                    _indigo_values(
                        numtitre=f"{numtitre:08d}",
                        numordre=f"{order:06d}",
                        nature=nature,
                        amount=_amount(rng),
                        person=person,
                        label=label,
                    )
                )
            )
        written += size
        debts += debtors
    writer.flush()
    return SampleStats(written, bad, debts)


# --- ROLMRE -------------------------------------------------------------------------------

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
    lines, postcode, town = _split_address(address, 3)
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
    splice = rolmre.LAYOUT.splice
    if kind == 0:
        roltot = rolmre.LAYOUT.read(line, "ROLTOT")[0]
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
    writer = _Out(out, encoding, newline)
    if not isinstance(records_or_count, int):
        count = 0
        for record in records_or_count:
            parts = record.ref_parts
            kind = next((code for prefix, code in _ROLMRE_KINDS.items() if record.label.startswith(prefix)), "0")
            writer.line(
                rolmre.LAYOUT.build(
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
    pool = [_person(rng, index) for index in range(1024)]
    templates = [
        rolmre.LAYOUT.build(
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
    days = [_date(rng).strftime("%Y%m%d") for _ in range(256)]
    written = bad = 0
    while written < records_or_count:
        number = written + 1
        amount = max(_amount(rng), 4)
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
        line = rolmre.LAYOUT.splice(templates[rng.getrandbits(10)], values)
        if _bad_due(bad, written, bad_share, records_or_count):
            line = _rolmre_bad(rng, line)
            bad += 1
        writer.line(line)
        written += 1
    writer.flush()
    return SampleStats(written, bad, written - bad)


# --- PES V2 Recette -----------------------------------------------------------------------

_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
)


def _v(name: str, value: str | None) -> str:
    """``<Name V="value"/>``, or nothing for a missing value."""
    if value is None:
        return ""
    return f'<{name} V="{value.translate(_ESCAPES)}"/>'


def _decimal(cents: int) -> str:
    """Cents as an xs:decimal with two decimals ("1250" → "12.50")."""
    return f"{cents // 100}.{cents % 100:02d}"


@dataclass(slots=True)
class _PesLine:
    idligne: str | None
    mtht: str | None
    mttva: str | None = None
    cents: int | None = None  # MtHT in cents, for the bordereau total
    label: str = ""
    civility: str = ""
    last: str = ""
    first: str = ""
    ref: str = ""
    hints: dict[str, str] | None = None
    address: tuple[tuple[str, ...], str, str] = ((), "", "")


@dataclass(slots=True)
class _PesPiece:
    idpce: str | None
    label: str
    dteasp: str | None
    lines: list[_PesLine]


def _pes_line_xml(line: _PesLine) -> str:
    """One LigneDePiece."""
    adr_lines, postcode, town = line.address
    hints = line.hints or {}
    tiers = "".join(
        (
            _v("IdTiers", hints.get("IdTiers")),
            _v("NatIdTiers", hints.get("NatIdTiers")),
            _v("RefTiers", line.ref or None),
            _v("CatTiers", hints.get("CatTiers")),
            _v("NatJur", hints.get("NatJur")),
            _v("TypTiers", hints.get("TypTiers")),
            _v("Civilite", line.civility or None),
            _v("Nom", line.last),
            _v("Prenom", line.first or None),
        )
    )
    address = "".join(_v(f"Adr{index}", text) for index, text in enumerate(adr_lines, 1))
    if postcode:
        address += _v("CP", postcode)
    if town:
        address += _v("Ville", town)
    return (
        "<LigneDePiece><BlocLignePiece><InfoLignePiece>"
        f"{_v('IdLigne', line.idligne)}{_v('ObjLignePce', line.label or None)}{_v('CodProdLoc', 'CANT')}"
        f"{_v('Nature', '7067')}{_v('Majo', '0')}{_v('MtHT', line.mtht)}{_v('MtTVA', line.mttva)}"
        "</InfoLignePiece></BlocLignePiece>"
        f"<Tiers><InfoTiers>{tiers}</InfoTiers><Adresse>{_v('TypAdr', '1')}{address}{_v('CodRes', '0')}"
        "</Adresse></Tiers></LigneDePiece>"
    )


class _PesWriter:
    """Write the envelope, then bordereaux of pieces (one bordereau held at a time)."""

    def __init__(self, out: BinaryIO, encoding: str, declaration: bool, namespace: str | None) -> None:
        self.out = out
        self.encoding = encoding
        self.namespace = namespace
        self.bordereau: list[_PesPiece] = []
        self.exer = EXERCICE
        self.idbord = 0
        self.typbord = "01"
        self.dtebord: str | None = EXERCICE + "-03-01"
        head = ""
        if declaration:
            head = f'<?xml version="1.0" encoding="{encoding_label(encoding)}"?>\n'
        if namespace == "prefix":
            root = f'<n:PES_Aller xmlns:n="{PES_NAMESPACE}">'
            self.close_root = "</n:PES_Aller>"
        elif namespace == "default":
            root = f'<PES_Aller xmlns="{PES_NAMESPACE}">'
            self.close_root = "</PES_Aller>"
        else:
            root = "<PES_Aller>"
            self.close_root = "</PES_Aller>"
        self.write(
            f"{head}{root}\n<EnTetePES>{_v('DteStr', EXERCICE + '-12-31')}{_v('IdPost', '042000')}"
            f"{_v('IdColl', '21420218600011')}{_v('CodCol', '042')}{_v('CodBud', '00')}</EnTetePES>\n"
            f"<PES_RecetteAller><EnTeteRecette>{_v('IdVer', '2')}</EnTeteRecette>\n"
        )

    def write(self, text: str) -> None:
        self.out.write(text.encode(self.encoding, "xmlcharrefreplace"))

    def add(self, piece: _PesPiece, exer: str) -> None:
        if self.bordereau and (exer != self.exer or len(self.bordereau) >= PIECES_PER_BORDEREAU):
            self.flush()
        self.exer = exer
        self.bordereau.append(piece)

    def flush(self) -> None:
        if not self.bordereau:
            return
        self.idbord += 1
        # MtBordHt is informative (the parser does not read it); bad amounts count for 0.
        total = sum(line.cents or 0 for piece in self.bordereau for line in piece.lines)
        parts = [
            f"<Bordereau><BlocBordereau>{_v('Exer', self.exer)}{_v('IdBord', str(self.idbord))}"
            f"{_v('TypBord', self.typbord)}{_v('DteBord', self.dtebord)}"
            f"{_v('NbrePce', str(len(self.bordereau)))}{_v('MtBordHt', _decimal(total))}</BlocBordereau>\n"
        ]
        for piece in self.bordereau:
            parts.append(
                f"<Piece><BlocPiece><InfoPce>{_v('IdPce', piece.idpce)}{_v('TypPce', '01')}{_v('NatPce', '01')}"
                f"{_v('ObjPce', piece.label or None)}{_v('DteAsp', piece.dteasp)}</InfoPce></BlocPiece>"
                + "".join(_pes_line_xml(line) for line in piece.lines)
                + "</Piece>\n"
            )
        parts.append("</Bordereau>\n")
        self.write("".join(parts))
        self.bordereau = []

    def close(self) -> None:
        self.flush()
        self.write(f"</PES_RecetteAller>\n{self.close_root}\n")


def _pes_person_line(person: _Person, idligne: int, cents: int, rng: Random) -> _PesLine:
    """A line of a generated piece for one debtor; one in ten splits out 10 % VAT."""
    mttva = None
    if rng.random() < 0.1 and cents >= 11:
        ht = cents * 100 // 110
        mttva = _decimal(cents - ht)
        cents = ht
    hints = None
    if person.siret:
        hints = {"IdTiers": person.siret, "NatIdTiers": "01", "CatTiers": "50", "NatJur": "03", "TypTiers": "01"}
    return _PesLine(
        idligne=str(idligne),
        mtht=_decimal(cents),
        mttva=mttva,
        cents=cents,
        civility=person.civility.title(),
        last=person.last,
        first=person.first.title(),
        ref=person.ref,
        hints=hints,
        address=(person.lines, person.postcode, person.town),
    )


def _pes_generate(rng: Random, count: int, bad_share: float) -> Iterator[tuple[_PesPiece, int, bool]]:
    """Generated pieces with the number of debts each must give and whether it is bad."""
    bad = 0
    for number in range(1, count + 1):
        label = f"{rng.choice(_SERVICES).capitalize()} {rng.choice(_MONTHS).lower()} {EXERCICE}"
        dteasp = _date(rng).isoformat()
        if _bad_due(bad, number - 1, bad_share, count):
            bad += 1
            line = _pes_person_line(_person(rng, number * 10), 1, _amount(rng), rng)
            piece = _PesPiece(str(number), label, dteasp, [line])
            kind = rng.randrange(5)
            if kind == 0:
                line.mtht, line.cents = "12.345", None
            elif kind == 1:
                line.mtht, line.cents = "douze", None
            elif kind == 2:
                line.idligne = ""
            elif kind == 3:
                piece.idpce = ""
            else:
                piece.dteasp = EXERCICE + "-02-30"
            yield piece, 0, True
            continue
        draw = rng.random()
        if draw < 0.7:
            shape = [1]  # mono-débiteur mono-imputation
        elif draw < 0.8:
            shape = [rng.randint(2, 3)]  # mono-débiteur multi-imputation
        elif draw < 0.9:
            shape = [1] * rng.randint(2, 4)  # multi-débiteur mono-imputation
        else:
            shape = [rng.randint(1, 3) for _ in range(rng.randint(2, 3))]  # multi-débiteur multi-imputation
            shape[0] = max(shape[0], 2)
        lines = []
        idligne = 0
        for debtor_index, size in enumerate(shape):
            person = _person(rng, number * 10 + debtor_index)
            for _ in range(size):
                idligne += 1
                lines.append(_pes_person_line(person, idligne, _amount(rng), rng))
        yield _PesPiece(str(number), label, dteasp, lines), len(shape), False


def write_pesv2(
    out: BinaryIO,
    records_or_count: int | Iterable[DebtRecord],
    *,
    seed: int = 0,
    bad_share: float = 0.0,
    encoding: str = "iso-8859-1",
    declaration: bool = True,
    namespace: str | None = "prefix",
) -> SampleStats:
    """Write a PES V2 Recette file: ``count`` pieces, or the given DebtRecords.

    Generated pieces: 70 % mono-débiteur mono-imputation, 10 % mono-débiteur
    multi-imputation, 10 % multi-débiteur mono-imputation, 10 % multi-débiteur
    multi-imputation; 10 % of lines carry MtTVA. Given records sharing Exer and IdPce
    (consecutively) become the lines of one piece, each its own debtor.

    ``namespace``: "prefix" (``n:PES_Aller``, children unqualified, like Hélios
    files), "default" (``xmlns=``, every element qualified) or None. Characters the
    encoding lacks (Œ in ISO-8859-1) are written as character references;
    ``declaration=False`` leaves the XML declaration out, like some Windows software.
    """
    writer = _PesWriter(out, encoding, declaration, namespace)
    if not isinstance(records_or_count, int):
        writer.dtebord = None  # the records' own dates only
        pieces = debts = 0
        current: _PesPiece | None = None
        key = None
        for record in records_or_count:
            parts = record.ref_parts
            adr_lines, postcode, town = _split_address(record.debtor_address, 3)
            line = _PesLine(
                idligne=parts["idligne"],
                mtht=_decimal(record.amount_cents),
                cents=record.amount_cents,
                last=record.debtor_name,
                ref=record.debtor_ref,
                hints=record.public_body,
                address=(adr_lines, postcode, town),
            )
            if current is None or key != (parts["exer"], parts["idpce"]):
                current = _PesPiece(
                    parts["idpce"], record.label, record.issued_on.isoformat() if record.issued_on else None, []
                )
                key = (parts["exer"], parts["idpce"])
                writer.add(current, parts["exer"])
                pieces += 1
            current.lines.append(line)
            debts += 1
        writer.close()
        return SampleStats(pieces, 0, debts)

    rng = Random(seed)
    written = bad = debts = 0
    for piece, piece_debts, is_bad in _pes_generate(rng, records_or_count, bad_share):
        writer.add(piece, EXERCICE)
        written += 1
        bad += is_bad
        debts += piece_debts
    writer.close()
    return SampleStats(written, bad, debts)


_WRITERS = {"indigo": write_indigo, "rolmre": write_rolmre, "pesv2": write_pesv2}


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
    """Write ``count`` generated records of format ``fmt`` ("indigo", "rolmre", "pesv2")
    to ``out``; ``encoding`` defaults to each writer's (ISO-8859-15 for the fixed-width
    files, ISO-8859-1 for PES); other options go to the writer."""
    writer = _WRITERS[fmt]
    if encoding is not None:
        options["encoding"] = encoding
    return writer(out, count, seed=seed, bad_share=bad_share, **options)  # type: ignore[operator]
