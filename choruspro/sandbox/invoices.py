"""The factures calls: a PDF deposited, an invoice submitted with Chorus Pro's checks, its
status history, the supplier's invoices (each brought up to date first)."""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import io
import json
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from choruspro.sandbox.api import int_field, ok, refused, require_fields
from choruspro.sandbox.invoice_statuses import invoice_advance, step_delay
from choruspro.sandbox.models import SandboxAttachment, SandboxInvoice, SandboxInvoiceStatus, SandboxStructure

__all__ = ["MAX_PDF_BYTES", "invoice_history", "invoice_submit", "invoices_search", "pdf_deposit"]

MAX_PDF_BYTES = 10 * 1024 * 1024


def pdf_deposit(*, user, body) -> dict:
    require_fields(body, "fichierFacture", "nomFichier", "formatDepot")
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
    return ok(pieceJointeId=attachment.pk)


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
    require_fields(
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
                next_step_at=now + step_delay(),
            )
            SandboxInvoiceStatus.objects.create(invoice=invoice, status="DEPOSEE", at=now)
    except IntegrityError:
        raise refused(
            f"Le numero de facture {number} existe deja dans la solution, pour le fournisseur renseigne.", 20028
        ) from None
    return ok(
        identifiantFactureCPP=invoice.pk,
        numeroFacture=number,
        dateDepot=now.date().isoformat(),
        statutFacture="DEPOSEE",
        identifiantStructure=recipient.siret,
    )


def _invoice(user, body) -> SandboxInvoice:
    invoice_id = int_field(body, "idFacture")
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
    return ok(
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
    return ok(listeFactures=rows, parametresRetour={"total": len(rows), "pageCourante": 1, "pages": 1})
