"""ROLMRE rôle files (water bills, ex-DDPAC rôles): fixed width, 500 characters a
record (annex 5, "DESSIN DU FICHIER ROLMRE (& LEMA)"), one debt per line, streaming.

REFDET parts (annex 4), handed over as read so that ``compose_refdet`` applies the
rule: ROLEX + ROLREC + ROLDEB + ROLDET.

* "EAU" variant: ROLREC (code recette) is filled; ROLDEB if filled, else "00".
* "DDPAC" variant: ROLREC is blank, ROLNAT takes its place and ROLDEB is "00".
  ROLREC alone decides; a water line (ROLTPR 1) without ROLREC is an error, as
  annex 4 makes ROLREC mandatory for EAU.

Both are checked here so that composition cannot fail on a line we yielded.

Amount: ROLTOT (12 digits, the last two are cents), the total the debtor owes
(annex 4: URL amount = ROLTOT). The detail zones (ROLEAU, ROLASS, ROLTVE, ROLTVA,
ROLNMAJ) are only checked for digits: LEMA and other rôles do not add up the same
way, so no sum is enforced.

ROLDAT (date d'émission, 8 digits) is read as SSAAMMJJ (century, year, month, day:
2024-03-15 is 20240315), the order the annexes use for their years ("SSAA") and that
sorts; blank or zeros means no date. ROLCLI (numéro de compte client) is the
debtor's reference; ROLNOM + ROLCNM the name; ROLDIS, ROLADR, ROLCVI and
ROLCP + ROLLOC the address. ROLMRE carries no take-in-charge date.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterator
from typing import BinaryIO

from .base import (
    DebtRecord,
    LineError,
    ValueProblem,
    exercice,
    implied_cents,
    join_address,
    join_words,
    numeric_id,
    yyyymmdd,
)
from .fixedwidth import Field, Layout, read_records

__all__ = ["LAYOUT", "label_for", "parse"]

LAYOUT = Layout(
    "ROLMRE",
    500,
    [
        Field("ROLMVT", 1, 1, "9"),
        Field("ROLCOL", 2, 3),
        Field("ROLNAT", 4, 5, "9"),
        Field("ROLEX", 6, 9, "9"),
        Field("ROLPER", 10, 10, "9"),
        Field("ROLDET", 11, 23, "9"),
        Field("ROLCLE1", 24, 24, "9"),
        Field("ROLNUL", 25, 25),
        Field("ROLCLE2", 26, 26, "A"),
        Field("ROLREC", 27, 28, "A"),
        Field("ROLDAT", 29, 36, "9"),
        Field("ROLROL", 37, 38, "9"),
        Field("ROLEAU", 39, 50, "9"),
        Field("ROLASS", 51, 62, "9"),
        Field("ROLTVE", 63, 74, "9"),
        Field("ROLTVA", 75, 86, "9"),
        Field("ROLTOT", 87, 98, "9"),
        Field("ROLNMAJ", 99, 110, "9"),
        Field("ROLNOM", 111, 142),
        Field("ROLCNM", 143, 174),
        Field("ROLDIS", 175, 206),
        Field("ROLADR", 207, 238),
        Field("ROLCVI", 239, 270),
        Field("ROLCP", 271, 275),
        Field("ROLLOC", 276, 302),
        Field("ROLORU", 303, 334),
        Field("ROLOVI", 335, 366),
        Field("ROLPRE", 367, 367, "9"),
        Field("ROLRET", 368, 372, "9"),
        Field("ROLRGU", 373, 377, "9"),
        Field("ROLRCO", 378, 388),
        Field("ROLRCL", 389, 390, "9"),
        Field("ROLTIT", 391, 414),
        Field("ROLCLI", 415, 434),
        Field("ROLSCH", 435, 444),
        Field("ROLART", 445, 464),
        Field("ROLMONNAIE", 465, 465, "A"),
        Field("ROLHOM", 466, 466),
        Field("ROLDEB", 467, 468, "9"),
        Field("FILLER", 469, 498),
        Field("ROLTPR", 499, 499, "9"),
        Field("ROLVER", 500, 500, "9"),
    ],
)

_NAMES = (
    "ROLNAT",
    "ROLEX",
    "ROLDET",
    "ROLREC",
    "ROLDAT",
    "ROLEAU",
    "ROLASS",
    "ROLTVE",
    "ROLTVA",
    "ROLTOT",
    "ROLNMAJ",
    "ROLNOM",
    "ROLCNM",
    "ROLDIS",
    "ROLADR",
    "ROLCVI",
    "ROLCP",
    "ROLLOC",
    "ROLCLI",
    "ROLDEB",
    "ROLTPR",
)
_DETAIL_AMOUNTS = (
    (5, "ROLEAU", "Montant eau (ROLEAU)"),
    (6, "ROLASS", "Montant assainissement (ROLASS)"),
    (7, "ROLTVE", "Montant TVA eau (ROLTVE)"),
    (8, "ROLTVA", "Montant TVA assainissement (ROLTVA)"),
    (10, "ROLNMAJ", "Montant non majorable (ROLNMAJ)"),
)
_SLICES = [slice(LAYOUT.fields[name].start - 1, LAYOUT.fields[name].end) for name in _NAMES]
_CODE = re.compile(r"[A-Za-z0-9]{2}")


@functools.lru_cache(maxsize=4096)
def _issue_date(roldat: str) -> datetime.date | ValueProblem | None:
    """ROLDAT read as SSAAMMJJ; cached, as a rôle's lines share a few dates."""
    return yyyymmdd(roldat, "Date d'émission (ROLDAT)")


_TWO_DIGITS = re.compile(r"[0-9]{1,2}")

# ROLTPR (type de produit): 1 eau/assainissement, 2 redevances LEMA, 0 or other: other rôles.
_LABELS = {"1": "Facture d'eau", "2": "Redevance LEMA"}
# ROLTPR 1 (eau/assainissement) is a water line: ROLMRE EAU, whose ROLREC is mandatory. EAU vs DDPAC
# is still decided by ROLREC alone (blank is DDPAC); a LEMA redevance (2) may come in either.
_WATER_PRODUCTS = frozenset({"1"})
_DEFAULT_LABEL = "Article de rôle"


def label_for(roltpr: str, roldet: str) -> str:
    """A label for the debt, from its product type and number ("Facture d'eau n° 1234").

    ROLMRE has no free object zone; the number is shown without its padding zeros,
    as on the bill.
    """
    kind = _LABELS.get(roltpr.strip(), _DEFAULT_LABEL)
    return f"{kind} n° {roldet.lstrip('0') or '0'}"


def _fast_pattern() -> re.Pattern[str]:
    """One pattern for a whole record that every check below would let through.

    A line it matches (with a non-zero ROLTOT and a readable ROLDAT, checked after it) is
    built straight from the pattern's groups; any other line takes the field-by-field way,
    which finds and words each problem. The groups are ``_FAST_GROUPS``, in layout order.
    """
    digits = "[0-9]{%d}"
    checks = {
        "ROLNAT": "(..)",
        "ROLEX": "(199[0-9]|20[0-9]{2})",  # EXERCICE_MIN..EXERCICE_MAX
        "ROLDET": f"({digits % 13})",
        "ROLREC": "([A-Za-z0-9]{2}|  )",
        "ROLDAT": "([0-9]{8}| {8})",
        "ROLTOT": f"({digits % 12})",
        "ROLDEB": "([0-9]{2}|  )",
    }
    checks.update({name: f"(?:{digits % 12}| {{12}})" for _, name, _ in _DETAIL_AMOUNTS})
    checks.update({name: f"(.{{{LAYOUT.fields[name].width}}})" for name in _FAST_GROUPS if name not in checks})
    parts, position = [], 1
    for field in LAYOUT.fields.values():
        if field.start > position:  # pragma: no cover - the layout covers every position
            parts.append(f".{{{field.start - position}}}")
        parts.append(checks.get(field.name, f".{{{field.width}}}"))
        position = field.end + 1
    # Blank ROLREC (DDPAC): ROLNAT takes its place in REFDET and must be 2 digits.
    ddpac = f"(?=.{{{LAYOUT.fields['ROLREC'].start - 1}}}[A-Za-z0-9]{{2}}|.{{3}}[0-9]{{2}}.{{21}}  )"
    assert LAYOUT.fields["ROLNAT"].start == 4 and LAYOUT.fields["ROLREC"].start == 27
    return re.compile(ddpac + "".join(parts), re.ASCII | re.DOTALL)


_FAST_GROUPS = (
    "ROLNAT",
    "ROLEX",
    "ROLDET",
    "ROLREC",
    "ROLDAT",
    "ROLTOT",
    "ROLNOM",
    "ROLCNM",
    "ROLDIS",
    "ROLADR",
    "ROLCVI",
    "ROLCP",
    "ROLLOC",
    "ROLCLI",
    "ROLDEB",
    "ROLTPR",
)
_FAST = _fast_pattern()


def parse(source: BinaryIO, *, encoding: str | None = None) -> Iterator[DebtRecord | LineError]:
    """Parse a ROLMRE file, yielding a DebtRecord per good line and a LineError per problem.

    ``encoding`` forces the file's encoding; by default it is decided from the bytes
    and an undecidable file raises ImportFileError.
    """
    fast = _FAST.fullmatch
    labels, default_label = _LABELS, _DEFAULT_LABEL
    for item in read_records(source, LAYOUT, encoding=encoding):
        if isinstance(item, LineError):
            yield item
            continue
        line_no, line = item
        match = fast(line)
        if match is not None:
            (rolnat, rolex, roldet, rolrec, roldat, roltot, rolnom, rolcnm, roldis, roladr, rolcvi, rolcp, rolloc,
             rolcli, roldeb, roltpr) = match.groups()  # fmt: skip
            amount = int(roltot)
            issued = _issue_date(roldat)
            water_without_code = rolrec == "  " and roltpr.strip() in _WATER_PRODUCTS
            if amount and not isinstance(issued, ValueProblem) and not water_without_code:
                # What join_words, join_address and label_for make of these zones, inline.
                address = [
                    " ".join(roldis.split()),
                    " ".join(roladr.split()),
                    " ".join(rolcvi.split()),
                    " ".join(f"{rolcp} {rolloc}".split()),
                ]
                yield DebtRecord(
                    line_no,
                    {
                        "rolex": rolex,
                        "rolrec": "" if rolrec == "  " else rolrec,
                        "roldeb": "" if roldeb == "  " else roldeb,
                        "roldet": roldet,
                        "rolnat": rolnat.strip(),
                    },
                    amount,
                    rolcli.strip(),
                    " ".join(f"{rolnom} {rolcnm}".split()),
                    "\n".join(filter(None, address)),
                    f"{labels.get(roltpr.strip(), default_label)} n° {roldet.lstrip('0') or '0'}",
                    issued,
                    None,
                    line,
                )
                continue
        yield from _checked(line_no, line)


def _checked(line_no: int, line: str) -> Iterator[DebtRecord | LineError]:
    """A line the fast pattern did not take: every zone checked on its own, every problem reported."""
    values = [line[zone] for zone in _SLICES]
    (rolnat, rolex, roldet, rolrec, roldat, *_amounts) = values[:11]
    roltot = values[9]
    errors: list[LineError] = []

    year = exercice(rolex, "Exercice (ROLEX)")
    if isinstance(year, ValueProblem):
        errors.append(LineError(line_no, "ROLEX", rolex.strip(), year.message))
    number = numeric_id(roldet, 13, "Numéro de dette (ROLDET)")
    if isinstance(number, ValueProblem):
        errors.append(LineError(line_no, "ROLDET", roldet.strip(), number.message))

    code = rolrec.strip()
    nature = rolnat.strip()
    roldeb = values[19].strip()
    if code:
        # "EAU": the code recette goes into REFDET, which allows ASCII alphanumerics only.
        if not (code.isascii() and _CODE.fullmatch(code)):
            errors.append(
                LineError(
                    line_no,
                    "ROLREC",
                    code,
                    "Code recette (ROLREC) invalide : 2 lettres ou chiffres sans accent attendus",
                )
            )
    elif values[20].strip() in _WATER_PRODUCTS:
        # Annex 4, ROLMRE EAU: "la zone ROLREC (code recette) est obligatoirement renseignée".
        errors.append(
            LineError(
                line_no,
                "ROLREC",
                "",
                f"Code recette (ROLREC) absent sur une ligne d'eau (ROLTPR={values[20].strip()}) : "
                "obligatoire pour un rôle EAU (annexe 4)",
            )
        )
    elif not (nature.isascii() and len(nature) == 2 and nature.isdigit()):
        errors.append(
            LineError(
                line_no,
                "ROLNAT",
                nature,
                "Code recette (ROLREC) absent et nature du rôle (ROLNAT) invalide : 2 chiffres attendus "
                "pour composer la référence",
            )
        )
    if roldeb and not (roldeb.isascii() and _TWO_DIGITS.fullmatch(roldeb)):
        errors.append(LineError(line_no, "ROLDEB", roldeb, "Début du numéro de dette (ROLDEB) non numérique"))

    amount = implied_cents(roltot, "Montant total (ROLTOT)")
    if isinstance(amount, ValueProblem):
        errors.append(LineError(line_no, "ROLTOT", roltot.strip(), amount.message))
    elif amount == 0:
        errors.append(LineError(line_no, "ROLTOT", roltot.strip(), "Montant total (ROLTOT) nul : rien à payer"))
    for index, name, what in _DETAIL_AMOUNTS:
        value = values[index]
        if not (value.isdigit() and value.isascii()):  # zero-filled is the rule, checked fast
            value = value.strip()
            if value and isinstance(implied_cents(value), ValueProblem):
                errors.append(LineError(line_no, name, value, f"{what} non numérique"))

    issued = _issue_date(roldat)
    if isinstance(issued, ValueProblem):
        errors.append(LineError(line_no, "ROLDAT", roldat.strip(), issued.message))

    if errors:
        yield from errors
        return
    assert isinstance(number, str) and isinstance(amount, int) and not isinstance(issued, ValueProblem)
    (rolnom, rolcnm, roldis, roladr, rolcvi, rolcp, rolloc, rolcli, _roldeb, roltpr) = values[11:]
    yield DebtRecord(
        line_no=line_no,
        ref_parts={
            "rolex": rolex.strip(),
            "rolrec": code,
            "roldeb": roldeb.zfill(2) if roldeb else "",
            "roldet": number,
            "rolnat": nature,
        },
        amount_cents=amount,
        debtor_ref=rolcli.strip(),
        debtor_name=join_words(rolnom, rolcnm),
        debtor_address=join_address([roldis, roladr, rolcvi, join_words(rolcp, rolloc)]),
        label=label_for(roltpr, number),
        issued_on=issued,
        taken_in_charge_on=None,
        raw=line,
        public_body=None,
    )
