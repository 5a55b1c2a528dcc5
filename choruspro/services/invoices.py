"""Sending invoices to Chorus Pro: checks, the PDF, deposer/pdf then soumettre, resubmission.

No HTTP call is ever made inside a database transaction (the sandbox may be this very
process, and a row lock must never wait on the network).
"""

from __future__ import annotations

import datetime
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from choruspro.client import ChorusError
from choruspro.invoice_pdf import InvoiceDocument, InvoiceLine, invoice_pdf
from choruspro.models import (
    SEND_LEASE,
    ChorusAccount,
    ChorusInvoice,
    ChorusSendBatch,
    PublicBody,
)
from choruspro.selectors import chorus_account_get, chorus_settings_get, live_invoices
from choruspro.services.connection import (
    ChorusRefused,
    chorus_client,
    credentials_status,
    error_explain,
    supplier_identifiers_fetch,
)
from choruspro.services.follow_up import follow_up_schedule
from choruspro.services.public_bodies import public_body_structure_refresh
from choruspro.tasks import invoice_submit_task
from debts.models import Debt
from tipiportal.money import euros_decimal

logger = logging.getLogger(__name__)


# --- Sending -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendRequest:
    debt: Debt
    service_code: str = ""
    engagement: str = ""


def send_problems(
    *, debt: Debt, public_body: PublicBody | None, service_code: str, engagement: str, environment: str
) -> dict[str, list[str]]:
    """Everything that would make Chorus Pro refuse or reject the invoice and that we can know
    before sending, by field ("" for the debt itself, "service_code", "engagement")."""
    problems: dict[str, list[str]] = {}

    def add(where: str, message: str) -> None:
        problems.setdefault(where, []).append(message)

    if public_body is None:
        add("", "Le débiteur de cette dette n'est pas désigné comme organisme public.")
        return problems
    if debt.state != Debt.State.OPEN:
        add("", f"La dette est « {debt.get_state_display()} » : seule une dette à payer est facturée.")
    if not public_body.siret:
        add("", "Le SIRET de l'organisme est à renseigner avant l'envoi.")
        return problems
    if not public_body.structure_known(environment):
        add(
            "",
            public_body.structure_error
            or "La structure Chorus Pro de l'organisme n'a pas encore été trouvée : relancez sa recherche.",
        )
        return problems
    name = public_body.structure_name or public_body.siret
    active_codes = [s["code"] for s in public_body.services]
    if public_body.service_code_required and not service_code:
        add("service_code", f"{name} exige un code service : demandez-le à l'organisme.")
    if service_code and public_body.services_complete and service_code not in active_codes:
        known = ", ".join(active_codes) or "aucun"
        add("service_code", f"Le code service {service_code} n'existe pas chez {name} (services actifs : {known}).")
    if public_body.engagement_required and not engagement:
        add("engagement", f"{name} exige un numéro d'engagement (bon de commande) : demandez-le à l'organisme.")
    live = live_invoices().filter(debt=debt).first()
    if live is not None:
        add("", f"Cette dette a déjà été envoyée (facture {live.number}, {live.status_label.lower()}).")
    return problems


def _configuration_problems(environment: str) -> list[str]:
    config = chorus_settings_get()
    problems = []
    if not (config.supplier_siret and config.supplier_name):
        problems.append(
            "Les paramètres Chorus Pro (SIRET et nom de la collectivité) sont à renseigner par un administrateur."
        )
    missing = [name for name, present in credentials_status(environment) if not present]
    if missing:
        problems.append(f"Identifiants Chorus Pro absents de l'environnement du serveur : {', '.join(missing)}.")
    return problems


class SendRefused(ChorusRefused):
    def __init__(self, general: list[str], by_debt: dict[int, dict[str, list[str]]]) -> None:
        super().__init__(" ".join(general) or "Certaines dettes ne peuvent pas être envoyées.")
        self.general = general
        self.by_debt = by_debt


def invoices_send(*, requests: list[SendRequest], user=None, enqueue: bool = True) -> ChorusSendBatch:
    """Check every debt first (nothing leaves when one is wrong: staff correct and send again),
    then one invoice per debt, each submitted by its own task (``enqueue=False``: the caller
    submits them, as the command does)."""
    environment = chorus_settings_get().environment
    general = _configuration_problems(environment)
    by_debt: dict[int, dict[str, list[str]]] = {}
    bodies = {}
    for request in requests:
        body = PublicBody.objects.filter(debtor_id=request.debt.debtor_id).first() if request.debt.debtor_id else None
        if body is not None and body.siret and not body.structure_known(environment):
            body = public_body_structure_refresh(public_body=body, environment=environment)  # its rules first
        bodies[request.debt.pk] = body
        problems = send_problems(
            debt=request.debt,
            public_body=body,
            service_code=request.service_code,
            engagement=request.engagement,
            environment=environment,
        )
        if problems:
            by_debt[request.debt.pk] = problems
    if not requests:
        general.append("Aucune dette choisie.")
    if general or by_debt:
        raise SendRefused(general, by_debt)
    today = timezone.localdate()
    with transaction.atomic():
        batch = ChorusSendBatch.objects.create(created_by=user)
        invoices = []
        for request in requests:
            debt = Debt.objects.select_for_update().get(pk=request.debt.pk)
            body = bodies[debt.pk]
            invoices.append(
                _invoice_create(
                    debt=debt,
                    public_body=body,
                    batch=batch,
                    user=user,
                    today=today,
                    environment=environment,
                    service_code=request.service_code,
                    engagement=request.engagement,
                )
            )
            if request.service_code or request.engagement:
                PublicBody.objects.filter(pk=body.pk).update(
                    default_service_code=request.service_code or body.default_service_code,
                    default_engagement=request.engagement or body.default_engagement,
                )
        if enqueue:
            transaction.on_commit(lambda: [_enqueue_submit(invoice.pk) for invoice in invoices])
    return batch


def _invoice_create(
    *, debt, public_body, batch, user, today, environment, service_code, engagement, attempt=1
) -> ChorusInvoice:
    try:
        with transaction.atomic():
            invoice = ChorusInvoice.objects.create(
                debt=debt,
                public_body=public_body,
                batch=batch,
                environment=environment,
                attempt=attempt,
                number=f"tmp-{uuid.uuid4().hex[:20]}",
                invoice_date=today,
                amount_cents=debt.amount_cents,
                recipient_siret=public_body.siret,
                service_code=service_code.strip(),
                engagement_number=engagement.strip(),
                created_by=user,
            )
            # A chronological, continuous sequence (the database's), unique per environment.
            invoice.number = f"CPP{today:%Y}-{invoice.pk:06d}"
            invoice.save(update_fields=["number"])
    except IntegrityError:
        raise ChorusRefused(f"La dette {debt.refdet} a déjà une facture en cours sur Chorus Pro.") from None
    return invoice


def _enqueue_submit(invoice_id: int) -> None:
    invoice_submit_task.enqueue(invoice_id)


def invoice_resend(*, invoice: ChorusInvoice, service_code: str, engagement: str, user=None) -> ChorusInvoice:
    """After a rejection (or a failed sending): the corrected debt as a new submission."""
    if not invoice.correctable:
        raise ChorusRefused("Seule une facture rejetée ou dont l'envoi a échoué peut être renvoyée.")
    environment = chorus_settings_get().environment
    debt, body = invoice.debt, invoice.public_body
    general = _configuration_problems(environment)
    problems = send_problems(
        debt=debt,
        public_body=body,
        service_code=service_code.strip(),
        engagement=engagement.strip(),
        environment=environment,
    )
    if general or problems:
        raise SendRefused(general, {debt.pk: problems} if problems else {})
    with transaction.atomic():
        debt = Debt.objects.select_for_update().get(pk=debt.pk)
        attempt = (
            ChorusInvoice.objects.filter(debt=debt).order_by("-attempt").values_list("attempt", flat=True).first() or 0
        ) + 1
        new = _invoice_create(
            debt=debt,
            public_body=body,
            batch=None,
            user=user,
            today=timezone.localdate(),
            environment=environment,
            service_code=service_code,
            engagement=engagement,
            attempt=attempt,
        )
        PublicBody.objects.filter(pk=body.pk).update(
            default_service_code=service_code.strip() or body.default_service_code,
            default_engagement=engagement.strip() or body.default_engagement,
        )
        transaction.on_commit(lambda: _enqueue_submit(new.pk))
    return new


def invoice_document(*, invoice: ChorusInvoice) -> InvoiceDocument:
    config = chorus_settings_get()
    debt, body = invoice.debt, invoice.public_body
    label = debt.label or "Titre de recettes"
    return InvoiceDocument(
        number=invoice.number,
        date=invoice.invoice_date,
        due_date=invoice.invoice_date + datetime.timedelta(days=config.payment_days),
        supplier_name=config.supplier_name,
        supplier_address=config.supplier_address,
        supplier_siret=config.supplier_siret,
        customer_name=body.structure_name or debt.debtor_name,
        customer_address=debt.debtor_address,
        customer_siret=invoice.recipient_siret,
        lines=(InvoiceLine(designation=label, reference=debt.refdet, quantity=1, unit_cents=invoice.amount_cents),),
        vat_mention=config.vat_mention,
        service_code=invoice.service_code,
        engagement_number=invoice.engagement_number,
        debt_reference=debt.refdet,
        iban=config.iban,
        bic=config.bic,
        bank_label=config.bank_label,
    )


def invoice_payload(*, invoice: ChorusInvoice, account: ChorusAccount, attachment_id: int) -> dict:
    """The body of soumettre, mapped from the invoice (amounts exact, no VAT: public service receipts)."""
    debt = invoice.debt
    amount = euros_decimal(invoice.amount_cents)
    recipient = {"codeDestinataire": invoice.recipient_siret}
    if invoice.service_code:
        recipient["codeServiceExecutant"] = invoice.service_code
    supplier = {"idFournisseur": account.supplier_id, "codeCoordonneesBancairesFournisseur": account.bank_details_id}
    if account.supplier_service_id:
        supplier["idServiceFournisseur"] = account.supplier_service_id
    references = {
        "deviseFacture": "EUR",
        "typeFacture": "FACTURE",
        "typeTva": "SANS_TVA",
        "modePaiement": "VIREMENT",
        "motifExonerationTva": "Article 256 B du code général des impôts",
    }
    if invoice.engagement_number:
        references["numeroBonCommande"] = invoice.engagement_number
    return {
        "modeDepot": "DEPOT_PDF_API",
        "numeroFactureSaisi": invoice.number,
        "dateFacture": invoice.invoice_date.isoformat(),
        "destinataire": recipient,
        "fournisseur": supplier,
        "cadreDeFacturation": {"codeCadreFacturation": "A1_FACTURE_FOURNISSEUR"},
        "references": references,
        "lignePoste": [
            {
                "lignePosteNumero": 1,
                "lignePosteReference": debt.refdet,
                "lignePosteDenomination": (debt.label or "Titre de recettes")[:100],
                "lignePosteQuantite": Decimal(1),
                "lignePosteUnite": "lot",
                "lignePosteMontantUnitaireHT": amount,
                "lignePosteMontantRemiseHT": Decimal("0.00"),
                "lignePosteTauxTvaManuel": Decimal(0),
            }
        ],
        "ligneTva": [
            {
                "ligneTvaMontantBaseHtParTaux": amount,
                "ligneTvaMontantTvaParTaux": Decimal("0.00"),
                "ligneTvaTauxManuel": Decimal(0),
            }
        ],
        "montantTotal": {
            "montantHtTotal": amount,
            "montantTVA": Decimal("0.00"),
            "montantTtcTotal": amount,
            "montantRemiseGlobaleTTC": Decimal("0.00"),
            "montantAPayer": amount,
        },
        "pieceJointePrincipale": [
            {"pieceJointePrincipaleDesignation": f"Facture {invoice.number}", "pieceJointePrincipaleId": attachment_id}
        ],
        "commentaire": f"Titre {debt.refdet}",
    }


def invoice_submit(*, invoice_id: int) -> ChorusInvoice:
    """The task's work: PDF → deposer/pdf → soumettre. A failure is recorded on this invoice only."""
    with transaction.atomic():
        invoice = ChorusInvoice.objects.select_for_update().select_related("debt", "public_body").get(pk=invoice_id)
        if invoice.state != ChorusInvoice.State.QUEUED:
            return invoice
        invoice.state = ChorusInvoice.State.SENDING
        # The lease: a worker that dies now leaves the invoice to invoices_sending_recover.
        invoice.sending_until = timezone.now() + SEND_LEASE
        invoice.send_attempts += 1
        invoice.save(update_fields=["state", "sending_until", "send_attempts"])
    environment = invoice.environment
    try:
        client = chorus_client(environment=environment)
        account = chorus_account_get(environment)
        if account.supplier_id is None or account.bank_details_id is None:
            account = supplier_identifiers_fetch(client=client, environment=environment)
        if account.bank_details_id is None:
            raise ChorusRefused("Aucune coordonnée bancaire valide sur la structure fournisseur dans Chorus Pro.")
        pdf = invoice_pdf(invoice_document(invoice=invoice))
        ChorusInvoice.objects.filter(pk=invoice.pk).update(pdf=pdf)
        deposit = client.pdf_deposit(pdf=pdf, filename=f"{invoice.number}.pdf")
        attachment_id = int(deposit["pieceJointeId"])
        ChorusInvoice.objects.filter(pk=invoice.pk).update(attachment_id=attachment_id)
        result = client.invoice_submit(invoice_payload(invoice=invoice, account=account, attachment_id=attachment_id))
        chorus_id = int(result["identifiantFactureCPP"])
    except ChorusError as error:
        message = error_explain(error, environment)
        if error.kind == "network" and error.path.endswith("/soumettre"):
            message += " La facture a peut-être été reçue : vérifiez sur Chorus Pro avant de la renvoyer."
        return _invoice_failed(invoice, message)
    except ChorusRefused as refused:
        return _invoice_failed(invoice, str(refused))
    except (KeyError, TypeError, ValueError):
        logger.exception("choruspro unexpected answer for invoice %s", invoice.pk)
        return _invoice_failed(invoice, "Réponse inattendue de Chorus Pro : l'équipe informatique a été prévenue.")
    now = timezone.now()
    status = str(result.get("statutFacture") or "DEPOSEE")
    with transaction.atomic():
        invoice = ChorusInvoice.objects.select_for_update().get(pk=invoice.pk)
        invoice.state = ChorusInvoice.State.SUBMITTED
        invoice.chorus_id = chorus_id
        invoice.chorus_status = status
        invoice.chorus_status_at = now
        invoice.submitted_at = now
        invoice.error = ""
        invoice.sending_until = None
        invoice.save()
    # The history (with Chorus Pro's own dates) comes from the polls.
    logger.info("choruspro invoice %s submitted id=%s", invoice.number, chorus_id)
    transaction.on_commit(lambda: follow_up_schedule(invoice_id=invoice.pk))
    return invoice


def _invoice_failed(invoice: ChorusInvoice, message: str) -> ChorusInvoice:
    ChorusInvoice.objects.filter(pk=invoice.pk).update(
        state=ChorusInvoice.State.FAILED, error=message, sending_until=None
    )
    invoice.refresh_from_db()
    logger.warning("choruspro invoice %s failed", invoice.number)
    return invoice
