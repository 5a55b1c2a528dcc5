"""Is a debtor a public body, and what is its SIRET? Pure Python (no Django).

The import files say it in their own codes (annex 5 of the TIPI document names the fields,
the DGFiP's PES V2 nomenclature gives their values):

* PES V2 ``InfoTiers``: ``NatIdTiers`` 01 means that ``IdTiers`` is a SIRET; ``CatTiers``
  20 to 29 are public categories (État and national public bodies, régions, départements,
  communes, groupings of authorities, caisses des écoles, CCAS, public hospitals, national
  schools, other public bodies); ``NatJur`` 07 (État, national public body) and 08 (local
  authority, local or hospital public body) are public legal natures.
* INDIGO ``CODEDEBIT`` (positions 307-308, "code nature juridique du débiteur") uses the
  NatJur codes.

The code lists are parameters (``public_body_hint(..., codes=...)``) so that an authority whose
software uses other values can say so in the settings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from lxml import etree
from stdnum.exceptions import ValidationError
from stdnum.fr import siret as stdnum_siret

__all__ = [
    "DEFAULT_CODES",
    "PublicBodyCodes",
    "PublicBodyHint",
    "hints_from_raw",
    "public_body_hint",
    "siret_clean",
]

NATIDTIERS_SIRET = "01"
INDIGO_CODEDEBIT = slice(306, 308)  # positions 307-308 of the INDIGO line (1-based)


@dataclass(frozen=True)
class PublicBodyCodes:
    cattiers: frozenset[str] = field(default_factory=lambda: frozenset(f"{n}" for n in range(20, 30)))
    natjur: frozenset[str] = frozenset({"07", "08"})
    codedebit: frozenset[str] = frozenset({"07", "08"})


DEFAULT_CODES = PublicBodyCodes()


@dataclass(frozen=True)
class PublicBodyHint:
    """What an import says of a debtor: public or not, its SIRET when it gives one, and why."""

    siret: str
    reason: str


def siret_clean(value: str) -> str:
    """A SIRET without spaces or dots, checked (14 digits, Luhn key); ValueError with a French message."""
    compact = re.sub(r"[\s.\-]", "", value or "")
    if not compact:
        raise ValueError("Le SIRET est obligatoire.")
    try:
        return stdnum_siret.validate(compact)
    except ValidationError:
        raise ValueError(
            f"« {value.strip()} » n'est pas un SIRET valide : 14 chiffres dont la clé de contrôle (SIREN + NIC)."
        ) from None


def _code(value: str | None) -> str:
    value = (value or "").strip()
    return value.zfill(2) if value.isdigit() and len(value) < 2 else value


def public_body_hint(hints: Mapping[str, str] | None, codes: PublicBodyCodes = DEFAULT_CODES) -> PublicBodyHint | None:
    """The hint of an importer's ``DebtRecord.public_body`` (or of ``hints_from_raw``), or None
    when the debtor is not said to be a public body."""
    if not hints:
        return None
    reasons = []
    cattiers, natjur, codedebit = (
        _code(hints.get("CatTiers")),
        _code(hints.get("NatJur")),
        _code(hints.get("CODEDEBIT")),
    )
    if cattiers in codes.cattiers:
        reasons.append(f"CatTiers {cattiers}")
    if natjur in codes.natjur:
        reasons.append(f"NatJur {natjur}")
    if codedebit in codes.codedebit:
        reasons.append(f"CODEDEBIT {codedebit}")
    if not reasons:
        return None
    siret = ""
    if _code(hints.get("NatIdTiers")) == NATIDTIERS_SIRET and hints.get("IdTiers"):
        try:
            siret = siret_clean(hints["IdTiers"])
        except ValueError:
            reasons.append(f"IdTiers « {hints['IdTiers'].strip()} » n'est pas un SIRET valide")
    return PublicBodyHint(siret=siret, reason=", ".join(reasons))


_PES_FIELDS = {"natidtiers": "NatIdTiers", "idtiers": "IdTiers", "cattiers": "CatTiers", "natjur": "NatJur"}
_PARSER = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)


def hints_from_raw(fmt: str, raw: str) -> dict[str, str] | None:
    """The public-body hints kept in a debt's raw record (the audit copy of its source):
    INDIGO's CODEDEBIT, PES V2's first InfoTiers. None for ROLMRE or when nothing is there."""
    if not raw:
        return None
    if fmt == "indigo":
        line = raw.split("\n", 1)[0].rstrip("\r")
        code = line[INDIGO_CODEDEBIT].strip()
        return {"CODEDEBIT": code} if code else None
    if fmt == "pesv2":
        try:
            root = etree.fromstring(raw.encode("utf-8"), _PARSER)
        except etree.XMLSyntaxError:
            return None
        for element in root.iter():
            if not isinstance(element.tag, str) or etree.QName(element).localname.lower() != "infotiers":
                continue
            found = {}
            for child in element:
                if isinstance(child.tag, str):
                    name = _PES_FIELDS.get(etree.QName(child).localname.lower())
                    if name and child.get("V", "").strip():
                        found[name] = child.get("V").strip()
            if found:
                return found
        return None
    return None
