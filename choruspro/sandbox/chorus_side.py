"""What PISTE and Chorus Pro do with a request, in the sandbox: token, access checks, the calls
a portal needs and their checks, and invoices moving through their statuses over time.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import io
import json
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from choruspro.sandbox.models import (
    SandboxApplication,
    SandboxAttachment,
    SandboxInvoice,
    SandboxInvoiceStatus,
    SandboxStructure,
    SandboxSwitch,
    SandboxTechnicalUser,
    SandboxToken,
)
from choruspro.sandbox.seed import environment_seed

MAX_PDF_BYTES = 10 * 1024 * 1024
SERVICES_PAGE = 10  # rechercher/services answers its first page only, as the real API does
NORMAL_PATH = ["DEPOSEE", "EN_COURS_ACHEMINEMENT", "MISE_A_DISPOSITION", "SERVICE_FAIT", "MANDATEE", "MISE_EN_PAIEMENT"]
FINAL = {"MISE_EN_PAIEMENT", "REJETEE"}
FORCEABLE = NORMAL_PATH + ["SUSPENDUE", "A_RECYCLER", "REJETEE"]
DEFAULT_REJECTION = "Facture rejetée par le destinataire : le code service indiqué ne correspond pas au service qui a passé la commande."


class ApiError(Exception):
    """An answer other than 200: its HTTP status and JSON body."""

    def __init__(self, status: int, body: dict) -> None:
        super().__init__(body)
        self.status = status
        self.body = body


def refused(libelle: str, code: int = 20001, status: int = 400) -> ApiError:
    return ApiError(status, {"codeRetour": code, "libelle": libelle})


# --- PISTE: the token ---------------------------------------------------------------


def token_issue(*, environment: str, form) -> dict:
    environment_seed(environment)
    if form.get("grant_type") != "client_credentials":
        raise ApiError(
            400, {"error": "unsupported_grant_type", "error_description": "grant_type=client_credentials attendu"}
        )
    application = SandboxApplication.objects.filter(
        environment=environment, client_id=form.get("client_id", ""), client_secret=form.get("client_secret", "")
    ).first()
    if application is None:
        raise ApiError(401, {"error": "invalid_client", "error_description": "Client authentication failed"})
    lifetime = settings.CHORUS_SANDBOX_TOKEN_SECONDS
    token = SandboxToken.objects.create(
        application=application, expires_at=timezone.now() + datetime.timedelta(seconds=lifetime)
    )
    return {"access_token": token.token, "token_type": "Bearer", "expires_in": lifetime, "scope": "openid"}


# --- Access to the API --------------------------------------------------------------


def api_group(path: str) -> str:
    """/cpro/factures/v1/… → factures."""
    parts = path.strip("/").split("/")
    return parts[1] if len(parts) > 1 and parts[0] == "cpro" else ""


def access_check(*, environment: str, path: str, headers) -> SandboxTechnicalUser:
    """PISTE then Chorus Pro: maintenance (500), bearer token (401), API subscribed (403),
    technical user (401), raccordement declared and ACTIF (403)."""
    environment_seed(environment)
    if SandboxSwitch.objects.filter(environment=environment, maintenance=True).exists():
        raise ApiError(
            500, {"codeRetour": 500, "libelle": "Chorus Pro est en cours de maintenance. Réessayez plus tard."}
        )
    authorization = headers.get("Authorization", "")
    token_value = authorization[7:].strip() if authorization.startswith("Bearer ") else ""
    token = (
        SandboxToken.objects.select_related("application")
        .filter(token=token_value, application__environment=environment, expires_at__gt=timezone.now())
        .first()
        if token_value
        else None
    )
    if token is None:
        raise ApiError(401, {"error": "invalid_token", "error_description": "Jeton d'accès absent, invalide ou expiré"})
    application = token.application
    group = api_group(path)
    if not application.subscribed(group):
        raise ApiError(
            403,
            {
                "error": "access_denied",
                "error_description": f"L'application {application.name} n'a pas souscrit à l'API {group}",
            },
        )
    user = _technical_user(environment, headers.get("cpro-account", ""))
    if not application.connection_active:
        raise ApiError(
            403, {"codeRetour": 403, "libelle": f"Aucun raccordement PISTE actif pour l'application {application.name}"}
        )
    return user


def _technical_user(environment: str, header: str) -> SandboxTechnicalUser:
    try:
        login, _, password = base64.b64decode(header.encode("ascii"), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeError, ValueError):
        raise ApiError(401, {"codeRetour": 401, "libelle": "En-tête cpro-account absent ou mal encodé"}) from None
    user = SandboxTechnicalUser.objects.select_related("structure").filter(environment=environment, login=login).first()
    if user is None or user.password != password or not user.active:
        raise ApiError(401, {"codeRetour": 401, "libelle": "Compte technique inconnu ou mot de passe incorrect"})
    if user.password_expires_on < timezone.localdate():
        raise ApiError(401, {"codeRetour": 401, "libelle": "Le mot de passe du compte technique a expiré"})
    return user


def body_json(raw: bytes) -> dict:
    try:
        body = json.loads(raw.decode("utf-8") or "{}", parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise refused("Le corps de la requête n'est pas un JSON valide.", 10001) from None
    if not isinstance(body, dict):
        raise refused("Le corps de la requête doit être un objet JSON.", 10001)
    return body


# --- The calls ------------------------------------------------------------------------


def _ok(**fields) -> dict:
    return {"codeRetour": 0, "libelle": "GCU_MSG_01_000", **fields}


def _structure_row(structure: SandboxStructure) -> dict:
    return {
        "idStructureCPP": structure.cpp_id,
        "identifiantStructure": structure.siret,
        "typeIdentifiantStructure": "SIRET",
        "designationStructure": structure.name,
        "statut": "ACTIF" if structure.active else "INACTIF",
    }


def health_check(*, user, body) -> dict:
    return _ok(libelle="Chorus Pro est disponible", statut="OK")


def structures_for_user(*, user, body) -> dict:
    structure = user.structure
    return _ok(listeStructures=[{**_structure_row(structure), "idStructure": structure.cpp_id}])


def supplier_structures(*, user, body) -> dict:
    return _ok(listeStructures=[_structure_row(user.structure)])


def _int(body: dict, name: str) -> int:
    try:
        return int(body[name])
    except (KeyError, TypeError, ValueError):
        raise refused(f"Le champ {name} est obligatoire et doit être un entier.") from None


def bank_details(*, user, body) -> dict:
    if _int(body, "idStructure") != user.structure.cpp_id:
        raise refused("L'utilisateur n'est pas rattaché à cette structure.", 20002)
    rows = [
        {"idCoordonneeBancaire": row["id"], "nomCoordonneeBancaire": row["label"]}
        for row in user.structure.bank_details
    ]
    return _ok(listeCoordonneeBancaire=rows)


def structure_search(*, user, body) -> dict:
    criteria = body.get("structure") or {}
    identifier = str(criteria.get("identifiantStructure", "")).strip()
    if not identifier:
        raise refused("Le champ structure.identifiantStructure est obligatoire.")
    found = SandboxStructure.objects.filter(environment=user.environment, siret=identifier, active=True)
    if criteria.get("typeIdentifiantStructure", "SIRET") != "SIRET":
        found = found.none()
    rows = [_structure_row(structure) for structure in found]
    return _ok(listeStructures=rows, parametresRetour={"total": len(rows), "pageCourante": 1, "pages": 1})


def _structure(user, structure_id: int) -> SandboxStructure:
    structure = SandboxStructure.objects.filter(environment=user.environment, cpp_id=structure_id).first()
    if structure is None:
        raise refused(f"La structure {structure_id} n'existe pas.", 20003)
    return structure


def structure_get(*, user, body) -> dict:
    structure = _structure(user, _int(body, "idStructureCPP"))
    return _ok(
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
    structure = _structure(user, _int(body, "idStructure"))
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
    return _ok(
        listeServices=rows[:SERVICES_PAGE], parametresRetour={"total": len(rows), "pageCourante": 1, "pages": pages}
    )


def _required(body: dict, *names: str) -> None:
    for name in names:
        node = body
        for part in name.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node in (None, "", [], {}):
            raise refused(f"Le champ {name} est obligatoire.", 20010)


def pdf_deposit(*, user, body) -> dict:
    _required(body, "fichierFacture", "nomFichier", "formatDepot")
    if body["formatDepot"] not in ("PDF_NON_SIGNE", "PDF_SIGNE"):
        raise refused("Le format de dépôt doit être PDF_NON_SIGNE ou PDF_SIGNE.", 20011)
    name = str(body["nomFichier"])
    if not name.lower().endswith(".pdf") or len(name) > 200:
        raise refused("Le nom du fichier doit se terminer par .pdf (200 caractères au plus).", 20012)
    encoded = body["fichierFacture"]
    if not isinstance(encoded, str) or "\n" in encoded or "\r" in encoded:
        raise refused("Le fichier doit être encodé en base64 sur une seule ligne, sans retour à la ligne.", 20013)
    if len(encoded) > (MAX_PDF_BYTES + 2) // 3 * 4:
        raise refused("Le fichier dépasse la taille maximale autorisée (10 Mo).", 20014)
    try:
        content = base64.b64decode(encoded.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise refused("Le fichier n'est pas correctement encodé en base64.", 20013) from None
    if len(content) > MAX_PDF_BYTES:
        raise refused("Le fichier dépasse la taille maximale autorisée (10 Mo).", 20014)
    pages = _pdf_pages(content)
    attachment = SandboxAttachment.objects.create(
        environment=user.environment,
        user=user,
        filename=name,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        pages=pages,
    )
    return _ok(pieceJointeId=attachment.pk)


def _pdf_pages(content: bytes) -> int:
    if not content.startswith(b"%PDF-"):
        raise refused("Le fichier n'est pas un PDF valide.", 20015)
    try:
        reader = PdfReader(io.BytesIO(content), strict=True)
        pages = len(reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError):
        raise refused("Le fichier n'est pas un PDF valide.", 20015) from None
    if pages < 1:
        raise refused("Le fichier n'est pas un PDF valide.", 20015)
    return pages


def _decimal(node: dict, name: str, where: str) -> Decimal:
    value = node.get(name) if isinstance(node, dict) else None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise refused(f"Le champ {where}.{name} est obligatoire et doit être un montant.", 20010) from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise refused(f"Le champ {where}.{name} doit être un montant à deux décimales au plus.", 20010)
    return amount


def invoice_submit(*, user, body) -> dict:
    _required(
        body,
        "modeDepot",
        "numeroFactureSaisi",
        "dateFacture",
        "destinataire.codeDestinataire",
        "fournisseur.idFournisseur",
        "cadreDeFacturation.codeCadreFacturation",
        "references.deviseFacture",
        "references.typeFacture",
        "references.typeTva",
        "references.modePaiement",
        "montantTotal",
        "pieceJointePrincipale",
        "lignePoste",
    )
    if body["modeDepot"] != "DEPOT_PDF_API":
        raise refused("Le mode de dépôt doit être DEPOT_PDF_API pour une facture déposée en PDF.", 20020)
    try:
        invoice_date = datetime.date.fromisoformat(str(body["dateFacture"]))
    except ValueError:
        raise refused("Le champ dateFacture doit être une date AAAA-MM-JJ.", 20010) from None
    if body["references"]["typeFacture"] not in ("FACTURE", "AVOIR"):
        raise refused("Le type de facture doit être FACTURE ou AVOIR.", 20010)
    supplier = user.structure
    try:
        supplier_id = int(body["fournisseur"]["idFournisseur"])
    except (TypeError, ValueError):
        supplier_id = None
    if supplier_id != supplier.cpp_id:
        raise refused(
            f"Le fournisseur {body['fournisseur']['idFournisseur']} n'est pas une structure à laquelle l'utilisateur "
            "technique est rattaché (SIRET du fournisseur erroné).",
            20021,
        )
    totals = body["montantTotal"]
    ht, tva = _decimal(totals, "montantHtTotal", "montantTotal"), _decimal(totals, "montantTVA", "montantTotal")
    ttc, to_pay = _decimal(totals, "montantTtcTotal", "montantTotal"), _decimal(totals, "montantAPayer", "montantTotal")
    if ht + tva != ttc or to_pay > ttc:
        raise refused(
            "Le montant TTC doit être égal au montant HT augmenté de la TVA, et le montant à payer ne pas le dépasser.",
            20022,
        )
    lines = body["lignePoste"] if isinstance(body["lignePoste"], list) else []
    line_total = sum(
        (
            _decimal(line, "lignePosteMontantUnitaireHT", "lignePoste")
            * _decimal(line, "lignePosteQuantite", "lignePoste")
            for line in lines
        ),
        Decimal(0),
    )
    if line_total != ht:
        raise refused("La somme des lignes de poste ne correspond pas au montant HT total.", 20022)
    siret = str(body["destinataire"]["codeDestinataire"]).strip()
    recipient = SandboxStructure.objects.filter(environment=user.environment, siret=siret, active=True).first()
    if recipient is None:
        raise refused(
            f"Le destinataire {siret} n'existe pas ou n'est pas actif dans Chorus Pro (SIRET du client erroné).", 20023
        )
    service_code = str(body["destinataire"].get("codeServiceExecutant") or "").strip()
    if service_code:
        service = recipient.service(service_code)
        if service is None or not service.get("active", True):
            raise refused(f"Le code service {service_code} n'existe pas dans le referentiel des codes services.", 20024)
    elif recipient.service_code_required:
        raise refused(f"Le code service est obligatoire pour le destinataire {siret}.", 20025)
    engagement = str(body["references"].get("numeroBonCommande") or "").strip()
    if recipient.engagement_required and not engagement:
        raise refused(f"Le numéro d'engagement est obligatoire pour le destinataire {siret}.", 20026)
    pieces = body["pieceJointePrincipale"] if isinstance(body["pieceJointePrincipale"], list) else []
    try:
        attachment_id = int(pieces[0]["pieceJointePrincipaleId"])
    except (IndexError, KeyError, TypeError, ValueError):
        raise refused("Le champ pieceJointePrincipale.pieceJointePrincipaleId est obligatoire.", 20010) from None
    attachment = SandboxAttachment.objects.filter(pk=attachment_id, user=user).first()
    if attachment is None:
        raise refused(f"La pièce jointe {attachment_id} est inconnue.", 20027)
    number = str(body["numeroFactureSaisi"]).strip()
    planned = ""
    if engagement and recipient.engagements and engagement not in recipient.engagements:
        planned = (
            f"Le numéro d'engagement {engagement} est inconnu du destinataire {recipient.name} : "
            "facture rejetée après pré-traitement."
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            invoice = SandboxInvoice.objects.create(
                environment=user.environment,
                supplier=supplier,
                recipient=recipient,
                attachment=attachment,
                number=number,
                invoice_date=invoice_date,
                service_code=service_code,
                engagement_number=engagement,
                total_ht=ht,
                total_ttc=ttc,
                payload=json.loads(json.dumps(body, default=str)),
                status="DEPOSEE",
                planned_rejection=planned,
                next_step_at=now + _step(),
            )
            SandboxInvoiceStatus.objects.create(invoice=invoice, status="DEPOSEE", at=now)
    except IntegrityError:
        raise refused(
            f"Le numero de facture {number} existe deja dans la solution, pour le fournisseur renseigne.", 20028
        ) from None
    return _ok(
        identifiantFactureCPP=invoice.pk,
        numeroFacture=number,
        dateDepot=now.date().isoformat(),
        statutFacture="DEPOSEE",
        identifiantStructure=recipient.siret,
    )


def _invoice(user, body) -> SandboxInvoice:
    invoice_id = _int(body, "idFacture")
    invoice = SandboxInvoice.objects.filter(
        pk=invoice_id, environment=user.environment, supplier=user.structure
    ).first()
    if invoice is None:
        raise refused(f"La facture {invoice_id} n'existe pas ou n'est pas accessible à cet utilisateur.", 20030)
    return invoice_advance(invoice=invoice)


def _stamp(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="milliseconds")


def invoice_history(*, user, body) -> dict:
    invoice = _invoice(user, body)
    history = [
        {
            "histoStatutId": row.pk,
            "histoStatutCode": row.status,
            "histoStatutDatePassage": _stamp(row.at),
            "histoStatutCommentaire": row.comment,
        }
        for row in invoice.history.all()
    ]
    return _ok(
        idFacture=invoice.pk,
        numeroFacture=invoice.number,
        modeDepot="DEPOT_PDF_API",
        statutCourantCode=invoice.status,
        historiquesDesStatuts={
            "histoStatut": history,
            "totalHistoStatut": len(history),
            "pageCouranteHistoStatut": 1,
            "pagesHistoStatut": 1,
            "nbResultatsParPageHistoStatut": len(history),
        },
    )


def invoices_search(*, user, body) -> dict:
    rows = []
    for invoice in SandboxInvoice.objects.filter(environment=user.environment, supplier=user.structure)[:100]:
        invoice = invoice_advance(invoice=invoice)
        rows.append(
            {
                "identifiantFactureCPP": invoice.pk,
                "numeroFacture": invoice.number,
                "statut": invoice.status,
                "dateDepot": invoice.created_at.date().isoformat(),
                "identifiantDestinataire": invoice.recipient.siret,
            }
        )
    return _ok(listeFactures=rows, parametresRetour={"total": len(rows), "pageCourante": 1, "pages": 1})


CALLS = {
    ("GET", "/cpro/transverses/v1/health-check"): health_check,
    ("POST", "/cpro/transverses/v1/recuperer/structuresPourUtilisateur"): structures_for_user,
    ("POST", "/cpro/transverses/v1/recuperer/structures/actives/fournisseur"): supplier_structures,
    ("POST", "/cpro/transverses/v1/recuperer/coordbanc/valides"): bank_details,
    ("POST", "/cpro/structures/v1/rechercher"): structure_search,
    ("POST", "/cpro/structures/v1/consulter"): structure_get,
    ("POST", "/cpro/structures/v1/rechercher/services"): services_search,
    ("POST", "/cpro/factures/v1/deposer/pdf"): pdf_deposit,
    ("POST", "/cpro/factures/v1/soumettre"): invoice_submit,
    ("POST", "/cpro/factures/v1/consulter/historique"): invoice_history,
    ("POST", "/cpro/factures/v1/rechercher/fournisseur"): invoices_search,
}


# --- Statuses over time ----------------------------------------------------------------


def _step() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.CHORUS_SANDBOX_STEP_SECONDS)


def _next_status(invoice: SandboxInvoice) -> tuple[str, str]:
    if invoice.planned_rejection and invoice.status in ("DEPOSEE", "EN_COURS_ACHEMINEMENT"):
        if invoice.status == "EN_COURS_ACHEMINEMENT":
            return "REJETEE", invoice.planned_rejection
        return "EN_COURS_ACHEMINEMENT", ""
    if invoice.status in NORMAL_PATH:
        return NORMAL_PATH[NORMAL_PATH.index(invoice.status) + 1], ""
    return "MISE_A_DISPOSITION", ""  # back on the path after SUSPENDUE or A_RECYCLER


def _move(invoice: SandboxInvoice, status: str, at: datetime.datetime, comment: str = "") -> None:
    invoice.status = status
    SandboxInvoiceStatus.objects.create(invoice=invoice, status=status, at=at, comment=comment)


def invoice_advance(*, invoice: SandboxInvoice, now: datetime.datetime | None = None) -> SandboxInvoice:
    """Every step whose time has come, each dated when it was due (read time does not matter)."""
    now = now or timezone.now()
    if invoice.status in FINAL or invoice.next_step_at is None or invoice.next_step_at > now:
        return invoice
    with transaction.atomic():
        invoice = SandboxInvoice.objects.select_for_update().get(pk=invoice.pk)
        while invoice.status not in FINAL and invoice.next_step_at is not None and invoice.next_step_at <= now:
            status, comment = _next_status(invoice)
            _move(invoice, status, invoice.next_step_at, comment)
            invoice.next_step_at = None if status in FINAL else invoice.next_step_at + _step()
        invoice.save(update_fields=["status", "next_step_at"])
    return invoice


def invoice_force(*, invoice: SandboxInvoice, status: str = "", comment: str = "") -> SandboxInvoice:
    """The test hook: the next status now (or the one asked for, REJETEE with its reason)."""
    with transaction.atomic():
        invoice = SandboxInvoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status in FINAL:
            raise ValueError(f"La facture est déjà au statut définitif {invoice.status}.")
        if status and status not in FORCEABLE:
            raise ValueError(f"Statut inconnu : {status}.")
        if not status:
            status, planned = _next_status(invoice)
            comment = comment or planned
        if status == "REJETEE":
            comment = comment or invoice.planned_rejection or DEFAULT_REJECTION
        now = timezone.now()
        _move(invoice, status, now, comment)
        invoice.next_step_at = None if status in FINAL else now + _step()
        invoice.save(update_fields=["status", "next_step_at"])
    return invoice
