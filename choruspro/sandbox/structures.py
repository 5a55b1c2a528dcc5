"""The transverses and structures calls: health check, the user's structures and bank
details, structure search and details, a structure's services."""

from __future__ import annotations

from choruspro.sandbox.api import int_field, ok, refused
from choruspro.sandbox.models import SandboxStructure

__all__ = [
    "bank_details",
    "health_check",
    "services_search",
    "structure_get",
    "structure_search",
    "structures_for_user",
    "supplier_structures",
]

SERVICES_PAGE = 10  # rechercher/services answers its first page only, as the real API does


def _structure_row(structure: SandboxStructure) -> dict:
    return {
        "idStructureCPP": structure.cpp_id,
        "identifiantStructure": structure.siret,
        "typeIdentifiantStructure": "SIRET",
        "designationStructure": structure.name,
        "statut": "ACTIF" if structure.active else "INACTIF",
    }


def health_check(*, user, body) -> dict:
    return ok(libelle="Chorus Pro est disponible", statut="OK")


def structures_for_user(*, user, body) -> dict:
    structure = user.structure
    return ok(listeStructures=[{**_structure_row(structure), "idStructure": structure.cpp_id}])


def supplier_structures(*, user, body) -> dict:
    return ok(listeStructures=[_structure_row(user.structure)])


def bank_details(*, user, body) -> dict:
    if int_field(body, "idStructure") != user.structure.cpp_id:
        raise refused("L'utilisateur n'est pas rattaché à cette structure.", 20002)
    rows = [
        {"idCoordonneeBancaire": row["id"], "nomCoordonneeBancaire": row["label"]}
        for row in user.structure.bank_details
    ]
    return ok(listeCoordonneeBancaire=rows)


def structure_search(*, user, body) -> dict:
    criteria = body.get("structure") or {}
    identifier = str(criteria.get("identifiantStructure", "")).strip()
    if not identifier:
        raise refused("Le champ structure.identifiantStructure est obligatoire.")
    found = SandboxStructure.objects.filter(environment=user.environment, siret=identifier, active=True)
    if criteria.get("typeIdentifiantStructure", "SIRET") != "SIRET":
        found = found.none()
    rows = [_structure_row(structure) for structure in found]
    return ok(listeStructures=rows, parametresRetour={"total": len(rows), "pageCourante": 1, "pages": 1})


def _structure(user, structure_id: int) -> SandboxStructure:
    structure = SandboxStructure.objects.filter(environment=user.environment, cpp_id=structure_id).first()
    if structure is None:
        raise refused(f"La structure {structure_id} n'existe pas.", 20003)
    return structure


def structure_get(*, user, body) -> dict:
    structure = _structure(user, int_field(body, "idStructureCPP"))
    return ok(
        idStructureCPP=structure.cpp_id,
        identifiantStructure=structure.siret,
        raisonSociale=structure.name,
        statut="ACTIF" if structure.active else "INACTIF",
        parametres={
            "codeServiceDoitEtreRenseigne": structure.service_code_required,
            "numeroEJDoitEtreRenseigne": structure.engagement_required,
            "gestionNumeroEJOuCodeService": False,
            "estMOA": False,
        },
    )


def services_search(*, user, body) -> dict:
    structure = _structure(user, int_field(body, "idStructure"))
    rows = [
        {
            "idService": s["id"],
            "codeService": s["code"],
            "libelleService": s["label"],
            "estActif": s.get("active", True),
        }
        for s in structure.services
    ]
    pages = max(1, -(-len(rows) // SERVICES_PAGE))
    return ok(
        listeServices=rows[:SERVICES_PAGE], parametresRetour={"total": len(rows), "pageCourante": 1, "pages": pages}
    )
