"""The pieces of a PES V2 Recette: a BlocBordereau read and checked, then each Piece's lines
read, checked and grouped into debts per annex 4 (rules: see ``pesv2``'s docstring)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from .base import (
    DebtRecord,
    LineError,
    ValueProblem,
    as_public_body,
    decimal_to_cents,
    exercice,
    join_address,
    join_words,
    numeric_id,
    yyyymmdd,
)
from .pesv2_xml import first_child, local_name, v_attributes

__all__ = ["FIRST_LINE", "PUBLIC_BODY_FIELDS", "TYPBORD_ANNULATION", "Bordereau", "read_bordereau", "read_piece"]

# InfoTiers values passed on as hints about the debtor's legal nature (a public
# body is invoiced through Chorus Pro rather than sent an ASAP).
PUBLIC_BODY_FIELDS = ("NatIdTiers", "IdTiers", "CatTiers", "NatJur", "TypTiers")
FIRST_LINE = "000001"
TYPBORD_ANNULATION = "02"


@dataclass(slots=True)
class Bordereau:
    """What the pieces of a bordereau need from its BlocBordereau."""

    exer: str | None
    problems: list[tuple[str, str, str]]  # (field, value, message) reported on every piece
    typbord: str
    dteasp: object
    dtebord: object


def read_bordereau(bloc: etree._Element) -> Bordereau:
    """Read and check a BlocBordereau."""
    values = v_attributes(bloc)
    problems: list[tuple[str, str, str]] = []
    raw_exer = values.get("exer", "")
    exer = exercice(raw_exer, "Exercice du bordereau (Exer)")
    if isinstance(exer, ValueProblem):
        problems.append(("Exer", raw_exer.strip(), exer.message))
        exer = None
    dates = {}
    for name, key in (("DteAsp", "dteasp"), ("DteBord", "dtebord"), ("DteBordEm", "dtebordem")):
        raw = values.get(key, "")
        parsed = yyyymmdd(raw, f"Date du bordereau ({name})")
        if isinstance(parsed, ValueProblem):
            problems.append((name, raw.strip(), parsed.message))
            parsed = None
        dates[key] = parsed
    return Bordereau(
        exer=exer,
        problems=problems,
        typbord=values.get("typbord", "").strip(),
        dteasp=dates["dteasp"],
        dtebord=dates["dtebord"] or dates["dtebordem"],
    )


@dataclass(slots=True)
class _Line:
    """One LigneDePiece, read and checked."""

    element: etree._Element
    index: int
    idligne: str | None
    amount: int | None
    debtor: tuple
    tiers: dict[str, str]
    address: dict[str, str]
    label: str
    errors: list[tuple[str, str, str]]
    has_tiers: bool


def _address(tiers: etree._Element | None) -> dict[str, str]:
    """The debtor's address: the principal one (TypAdr 1) if several are given."""
    if tiers is None:
        return {}
    addresses = [child for child in tiers if local_name(child.tag) == "Adresse"]
    for candidate in addresses:
        values = v_attributes(candidate)
        if values.get("typadr", "").strip() == "1":
            return values
    return v_attributes(addresses[0]) if addresses else {}


def _read_line(element: etree._Element, index: int) -> _Line:
    """Read one LigneDePiece: its IdLigne, amount, debtor."""
    values = v_attributes(first_child(element, "BlocLignePiece"))
    tiers_element = first_child(element, "Tiers")
    tiers = v_attributes(first_child(tiers_element, "InfoTiers"))
    address = _address(tiers_element)
    errors: list[tuple[str, str, str]] = []

    raw_id = values.get("idligne", "")
    idligne = numeric_id(raw_id, 6, "Numéro de ligne (IdLigne)")
    if isinstance(idligne, ValueProblem):
        errors.append(("IdLigne", raw_id.strip(), idligne.message))
        idligne = None

    raw_ht = values.get("mtht", "")
    amount = decimal_to_cents(raw_ht, "Montant HT (MtHT)")
    if isinstance(amount, ValueProblem):
        errors.append(("MtHT", raw_ht.strip(), amount.message))
        amount = None
    raw_tva = values.get("mttva", "").strip()
    if raw_tva:
        tva = decimal_to_cents(raw_tva, "Montant TVA (MtTVA)")
        if isinstance(tva, ValueProblem):
            errors.append(("MtTVA", raw_tva, tva.message))
            amount = None
        elif amount is not None:
            amount += tva

    ref = tiers.get("reftiers", "").strip()
    ident = tiers.get("idtiers", "").strip()
    if ref:
        debtor: tuple = ("RefTiers", ref)
    elif ident:
        debtor = ("IdTiers", ident)
    else:
        debtor = (
            "Nom",
            *(join_words(tiers.get(k, "")).upper() for k in ("nom", "prenom", "complnom")),
            *(join_words(address.get(k, "")).upper() for k in ("adr1", "adr2", "adr3", "cp", "ville")),
        )
    label = join_words(values.get("objlignepce", ""))
    return _Line(element, index, idligne, amount, debtor, tiers, address, label, errors, tiers_element is not None)


def _give_tiers_less_lines_their_debtor(lines: list[_Line]) -> None:
    """A LigneDePiece without Tiers (the schema makes it optional) owes for the piece's debtor:
    the first line's of the piece that has one. Without any Tiers, the lines stay one debtor."""
    owner = next((line for line in lines if line.has_tiers), None)
    if owner is None:
        return
    for line in lines:
        if not line.has_tiers:
            line.debtor, line.tiers, line.address = owner.debtor, owner.tiers, owner.address


def _name(tiers: dict[str, str]) -> str:
    """Civilite Nom Prenom, then ComplNom."""
    return join_words(*(tiers.get(k, "") for k in ("civilite", "nom", "prenom", "complnom")))


def _address_text(address: dict[str, str]) -> str:
    """Adr1..Adr3 then "CP Ville", one per line."""
    postcode = address.get("cp") or address.get("codpostal") or ""
    return join_address(
        [address.get("adr1"), address.get("adr2"), address.get("adr3"), join_words(postcode, address.get("ville", ""))]
    )


def _serialise(piece: etree._Element, bloc: etree._Element | None, lines: list[_Line] | None) -> str:
    """Compact XML of the piece, or of its BlocPiece and the given lines only."""
    if lines is None:
        return etree.tostring(piece, encoding="unicode", with_tail=False)
    part = etree.Element(piece.tag, nsmap=piece.nsmap)
    if bloc is not None:
        part.append(copy.deepcopy(bloc))
    for line in lines:
        part.append(copy.deepcopy(line.element))
    return etree.tostring(part, encoding="unicode", with_tail=False)


def read_piece(position: int, piece: etree._Element, bord: Bordereau | None) -> Iterator[DebtRecord | LineError]:
    """Check one piece and yield its debts, grouped per annex 4, or its errors."""
    bloc = first_child(piece, "BlocPiece")
    values = v_attributes(bloc)
    raw_id = values.get("idpce", "")
    idpce = numeric_id(raw_id, 8, "Identifiant de pièce (IdPce)")
    piece_id = idpce if isinstance(idpce, str) else (raw_id.strip() or None)

    def error(field: str, value: str, message: str) -> LineError:
        return LineError(position, field, value, message, piece_id)

    problems: list[LineError] = []
    if isinstance(idpce, ValueProblem):
        problems.append(error("IdPce", raw_id.strip(), idpce.message))
    if bord is None:
        problems.append(
            error("BlocBordereau", "", "Pièce hors bordereau ou avant le bloc BlocBordereau : exercice inconnu")
        )
    else:
        problems.extend(error(*problem) for problem in bord.problems)
        if bord.typbord == TYPBORD_ANNULATION:
            problems.append(
                error(
                    "TypBord",
                    bord.typbord,
                    "Pièce d'un bordereau d'annulation/réduction (TypBord 02) : ce n'est pas une dette à payer, "
                    "elle n'est pas importée ; réduisez ou annulez le titre d'origine",
                )
            )
    raw_asp = values.get("dteasp", "")
    dteasp = yyyymmdd(raw_asp, "Date de l'avis (DteAsp)")
    if isinstance(dteasp, ValueProblem):
        problems.append(error("DteAsp", raw_asp.strip(), dteasp.message))
    elements = [child for child in piece if local_name(child.tag) == "LigneDePiece"]
    if not elements:
        problems.append(error("LigneDePiece", "", "Pièce sans ligne (LigneDePiece)"))
    if problems:
        yield from problems
        return
    assert isinstance(idpce, str) and bord is not None and bord.exer is not None

    lines = [_read_line(element, index) for index, element in enumerate(elements, 1)]
    _give_tiers_less_lines_their_debtor(lines)
    debtors: dict[tuple, list[_Line]] = {}
    seen_ids: set[str] = set()
    for line in lines:
        if line.idligne is not None:
            if line.idligne in seen_ids:
                line.errors.append(("IdLigne", line.idligne, "Numéro de ligne (IdLigne) en double dans la pièce"))
            seen_ids.add(line.idligne)
        debtors.setdefault(line.debtor, []).append(line)
        for field, value, message in line.errors:
            yield error(field, value, f"Ligne de pièce {line.index} : {message}")

    issued = dteasp or bord.dteasp or bord.dtebord
    piece_label = join_words(values.get("objpce", ""))
    mono = len(debtors) == 1
    for own in debtors.values():
        first = own[0]
        if any(line.errors for line in own):
            good = [line.index for line in own if not line.errors]
            if good:
                what = "Pièce" if mono else f"Dette du débiteur « {_name(first.tiers) or '?'} »"
                yield error("LigneDePiece", "", f"{what} non importée : une autre de ses lignes est en erreur")
            continue
        amount = sum(line.amount or 0 for line in own)
        idligne = FIRST_LINE if mono else min(line.idligne or "" for line in own)
        if amount == 0:
            yield error("MtHT", "0", f"Montant nul (ligne {idligne}) : rien à payer")
            continue
        yield DebtRecord(
            line_no=position,
            ref_parts={"exer": bord.exer, "idpce": idpce, "idligne": idligne},
            amount_cents=amount,
            debtor_ref=first.tiers.get("reftiers", "").strip(),
            debtor_name=_name(first.tiers),
            debtor_address=_address_text(first.address),
            label=piece_label or first.label,
            issued_on=issued,
            taken_in_charge_on=None,
            raw=_serialise(piece, bloc, None if mono else own),
            public_body=as_public_body({name: first.tiers.get(name.lower(), "") for name in PUBLIC_BODY_FIELDS}),
            piece_id=idpce,
        )
