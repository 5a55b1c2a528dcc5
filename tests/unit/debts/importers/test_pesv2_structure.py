"""The structure of the PES V2 Recette files the sample writer produces, checked against the rules
of the DGFiP PES V2 schema that issue 15 §3 lists (recette part): Enveloppe first, the bordereau
header's DteBordEm and NbrPce, the piece's fields directly under BlocPiece (no InfoPce, which is
the dépense structure), TvaIntraCom in InfoLignePiece, the street in Adr2, CodRes, one namespace
declared on the root only, values in ``V`` attributes, the lengths of the identifiers."""

from __future__ import annotations

import io
import re

import pytest
from lxml import etree

from debts.importers import samples

ROOT_ORDER = ["Enveloppe", "EnTetePES", "PES_RecetteAller"]
BORDEREAU_HEADER = ["Exer", "IdBord", "DteBordEm", "TypBord", "NbrPce", "MtBordHT"]
PIECE_FIELDS = ["IdPce", "TypPce", "NatPce", "ObjPce", "DteAsp"]
LINE_FIELDS = ["IdLigne", "ObjLignePce", "TvaIntraCom", "CodProdLoc", "Nature", "Majo", "MtHT", "MtTVA"]
ADDRESS_FIELDS = ["TypAdr", "Adr1", "Adr2", "Adr3", "CP", "Ville", "CodRes"]
LENGTHS = {"Exer": 4, "IdPce": 8, "IdLigne": 6, "IdBord": 7, "CP": 5}


def _name(element: etree._Element) -> str:
    return etree.QName(element).localname


def _names(element: etree._Element) -> list[str]:
    return [_name(child) for child in element]


def _in_order(names: list[str], allowed: list[str]) -> bool:
    """``names`` are some of ``allowed``, each once, in its order."""
    positions = [allowed.index(name) for name in names if name in allowed]
    return len(positions) == len(names) and positions == sorted(set(positions))


def _file(namespace: str | None) -> bytes:
    out = io.BytesIO()
    samples.write_pesv2(out, 450, seed=5, namespace=namespace)
    return out.getvalue()


def structure_problems(data: bytes) -> list[str]:
    """What breaks the schema's recette rules above (empty: none)."""
    problems = []
    if len(re.findall(rb"xmlns[:=]", data)) > 1:
        problems.append("namespace declared below the root")
    root = etree.fromstring(data)
    if _names(root) != ROOT_ORDER:
        problems.append(f"root children {_names(root)}")
    for bordereau in root.iter("{*}Bordereau"):
        header, *pieces = list(bordereau)
        if _name(header) != "BlocBordereau" or not _in_order(_names(header), BORDEREAU_HEADER):
            problems.append(f"bordereau header {_names(header)}")
        count = header.find("{*}NbrPce")
        if count is None or int(count.get("V")) != len(pieces):
            problems.append("NbrPce absent or wrong")
        for piece in pieces:
            bloc, *lines = list(piece)
            if not _in_order(_names(bloc), PIECE_FIELDS) or bloc.find("{*}IdPce") is None:
                problems.append(f"BlocPiece {_names(bloc)}")
            if not lines or {_name(line) for line in lines} != {"LigneDePiece"}:
                problems.append("piece without LigneDePiece")
    for info in root.iter("{*}InfoLignePiece"):
        if not _in_order(_names(info), LINE_FIELDS) or info.find("{*}TvaIntraCom") is None:
            problems.append(f"InfoLignePiece {_names(info)}")
    for tiers in root.iter("{*}Tiers"):
        if _names(tiers)[:1] != ["InfoTiers"]:
            problems.append(f"Tiers {_names(tiers)}")
    for address in root.iter("{*}Adresse"):
        names = _names(address)
        if not _in_order(names, ADDRESS_FIELDS) or "CodRes" not in names or ("Adr2" not in names and "Adr1" in names):
            problems.append(f"Adresse {names}")
    for element in root.iter():
        limit = LENGTHS.get(_name(element))
        if limit is not None and len(element.get("V", "")) > limit:
            problems.append(f"{_name(element)} longer than {limit}")
    return problems


@pytest.mark.parametrize("namespace", ["prefix", "default", None])
def test_generated_files_follow_the_schema_rules(namespace):
    data = _file(namespace)
    assert b"InfoPce" not in data
    assert structure_problems(data) == []


def test_the_checks_catch_the_annex_5_layout():
    """The layout the writer used to produce (annex 5's) breaks them: the checks can fail."""
    old = (
        b'<PES_Aller><EnTetePES/><PES_RecetteAller><Bordereau><BlocBordereau><Exer V="2024"/>'
        b'<DteBord V="2024-03-01"/><NbrePce V="1"/></BlocBordereau><Piece><BlocPiece><InfoPce><IdPce V="1"/>'
        b'</InfoPce></BlocPiece><LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="1"/><MtHT V="1"/>'
        b'</InfoLignePiece></BlocLignePiece><Tiers><InfoTiers/><Adresse><Adr1 V="1 RUE"/></Adresse></Tiers>'
        b"</LigneDePiece></Piece></Bordereau></PES_RecetteAller></PES_Aller>"
    )
    problems = structure_problems(old)
    assert any(p.startswith("root children") for p in problems)
    assert any(p.startswith("bordereau header") for p in problems)
    assert any(p.startswith("BlocPiece") for p in problems)
    assert any(p.startswith("InfoLignePiece") for p in problems)
    assert any(p.startswith("Adresse") for p in problems)
