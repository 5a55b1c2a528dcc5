"""Chorus Pro services: connection test, public-body debtors, sending invoices, following them.

Views, commands and tasks call these. No HTTP call is ever made inside a database transaction
(the sandbox may be this very process, and a row lock must never wait on the network).
"""

from __future__ import annotations

import datetime
import logging
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from debts.choruspro.client import ChorusClient, ChorusError, Credentials, Endpoints
from debts.choruspro.invoice_pdf import InvoiceDocument, InvoiceLine, invoice_pdf
from debts.choruspro.models import (
    FINAL_STATUSES,
    ChorusAccount,
    ChorusInvoice,
    ChorusSendBatch,
    ChorusStatusEvent,
    Environment,
    PublicBody,
    ScannedBatch,
)
from debts.choruspro.public_bodies import DEFAULT_CODES, hints_from_raw, public_body_hint, siret_clean
from debts.choruspro.selectors import chorus_account_get, chorus_settings_get, live_invoices
from debts.models import Debt, DebtorReference, ImportBatch

logger = logging.getLogger(__name__)

SECRET_RENEWAL_DAYS = 90  # PISTE advises renewing the client secret every three months
CREDENTIAL_NAMES = {"client_id": "CLIENT_ID", "client_secret": "CLIENT_SECRET", "login": "LOGIN", "password": "PASSWORD"}


class ChorusRefused(Exception):
    """A Chorus Pro action the portal refuses before anything leaves (French message)."""


# --- Configuration and connection ------------------------------------------------------


def environment_label(environment: str) -> str:
    return Environment(environment).label


def variable_name(environment: str, credential: str) -> str:
    return f"CHORUS_{environment.upper()}_{CREDENTIAL_NAMES[credential]}"


def credentials_status(environment: str) -> list[tuple[str, bool]]:
    """Which credential variables are set (never their values)."""
    values = settings.CHORUS_CREDENTIALS.get(environment, {})
    return [(variable_name(environment, name), bool(values.get(name))) for name in CREDENTIAL_NAMES]


@sensitive_variables("values")
def chorus_client(*, environment: str) -> ChorusClient:
    values = settings.CHORUS_CREDENTIALS.get(environment, {})
    urls = settings.CHORUS_URLS[environment]
    return ChorusClient(
        endpoints=Endpoints(oauth=urls["oauth"], api=urls["api"]),
        credentials=Credentials(
            client_id=values.get("client_id", ""), client_secret=values.get("client_secret", ""),
            login=values.get("login", ""), password=values.get("password", ""),
        ),  # fmt: skip
        timeout=tuple(settings.CHORUS_HTTP_TIMEOUT),
        retries=settings.CHORUS_HTTP_RETRIES,
        backoff=settings.CHORUS_HTTP_BACKOFF,
    )


def error_explain(error: ChorusError, environment: str) -> str:
    """A failure in the words of the set-up guides: which setting to look at, or maintenance."""
    label = environment  # "qualification" or "production", the words of the guides
    detail = f" Détail : {error.libelle or error.message}" if error.kind in ("unauthorized", "forbidden") else ""
    if error.kind == "config":
        missing = [variable_name(environment, name) for name in CREDENTIAL_NAMES
                   if not settings.CHORUS_CREDENTIALS.get(environment, {}).get(name)]  # fmt: skip
        return (f"Identifiants Chorus Pro ({label}) absents de l'environnement du serveur : {', '.join(missing)}. "
                "Ils se déclarent dans l'environnement (ou le fichier .env), jamais dans la base de données.")  # fmt: skip
    if error.kind == "credentials":
        return (f"PISTE refuse l'application ({error.message}) Vérifiez {variable_name(environment, 'client_id')} et "
                f"{variable_name(environment, 'client_secret')} : ce sont le Client ID et le Client Secret de "
                f"l'application PISTE de l'environnement {label} (« Identifiants Oauth » sur PISTE ; en qualification, "
                "l'application APP_SANDBOX_… créée automatiquement). Le client secret a peut-être été renouvelé sur PISTE.")  # fmt: skip
    if error.kind == "unauthorized":
        return (f"Erreur 401 : problème de paramétrage. Le mot de passe du compte technique est-il correct et encore "
                f"valide ({variable_name(environment, 'login')}, {variable_name(environment, 'password')}) ? "
                "Vous pouvez le régénérer dans Chorus Pro puis le reporter ici. L'environnement choisi "
                f"({label}) est-il bien celui de ces identifiants ?{detail}")  # fmt: skip
    if error.kind == "forbidden":
        return ("Erreur 403 : problème de paramétrage. Sur PISTE, l'application doit avoir souscrit aux API "
                "« AIFE – Chorus Pro – Factures », « Transverses » et « Structures » et accepté leurs CGU dans "
                f"l'environnement {label} ; dans Chorus Pro, le raccordement PISTE doit porter exactement le nom de "
                f"l'application (majuscules comprises) et être ACTIF.{detail}")  # fmt: skip
    if error.kind == "maintenance":
        return ("Erreur 500 : le portail Chorus Pro est en maintenance et n'est pas disponible. Réessayez plus tard "
                "(la maintenance est annoncée sur chorus-pro.gouv.fr).")  # fmt: skip
    if error.kind == "unavailable":
        return f"Chorus Pro est momentanément indisponible (HTTP {error.status}, « bad gateway ») : réessayez plus tard."
    if error.kind == "network":
        urls = settings.CHORUS_URLS[environment]
        hosts = ", ".join(sorted({urlsplit(urls["oauth"]).netloc, urlsplit(urls["api"]).netloc}))
        return f"Chorus Pro (PISTE) ne répond pas : vérifiez que le serveur peut joindre {hosts} (réseau, pare-feu)."
    if error.kind == "refused":
        return f"Chorus Pro refuse : {error.libelle or error.message}"
    return error.message


@dataclass
class ConnectionStep:
    label: str
    ok: bool
    detail: str = ""


@dataclass
class ConnectionReport:
    environment: str
    steps: list[ConnectionStep] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(step.ok for step in self.steps)


def connection_test(*, environment: str | None = None) -> ConnectionReport:
    """"Tester la connexion": the token, the health-check, the technical user's rights, then
    our supplier identifiers (idFournisseur, service, bank details), fetched and kept."""
    environment = environment or chorus_settings_get().environment
    report = ConnectionReport(environment)
    client = chorus_client(environment=environment)
    client.token_forget()  # test the credentials as they are now, not a token obtained earlier
    steps = [
        ("Jeton d'accès PISTE (OAuth2)", lambda: client.token() and "Jeton obtenu."),
        ("Disponibilité de Chorus Pro (health-check)", lambda: client.health_check().get("libelle") or "Disponible."),
        ("Droits du compte technique", lambda: _rights_step(client)),
        ("Identifiants du fournisseur", lambda: _supplier_step(client, environment)),
    ]
    for label, run in steps:
        try:
            detail = run()
        except ChorusError as error:
            report.steps.append(ConnectionStep(label, False, error_explain(error, environment)))
            break
        except ChorusRefused as refused:
            report.steps.append(ConnectionStep(label, False, str(refused)))
            break
        report.steps.append(ConnectionStep(label, True, str(detail)))
    account = chorus_account_get(environment)
    account.last_test_at = timezone.now()
    account.last_test_ok = report.ok
    account.last_test_steps = [{"label": s.label, "ok": s.ok, "detail": s.detail} for s in report.steps]
    account.save(update_fields=["last_test_at", "last_test_ok", "last_test_steps"])
    logger.info("choruspro connection test environment=%s ok=%s", environment, report.ok)
    return report


def _rights_step(client: ChorusClient) -> str:
    structures = client.structures_for_user().get("listeStructures") or []
    if not structures:
        raise ChorusRefused("Le compte technique n'est rattaché à aucune structure : rattachez-le à celle de la collectivité dans Chorus Pro.")
    names = ", ".join(f"{s.get('designationStructure', '')} ({s.get('identifiantStructure', '')})" for s in structures)
    siret = chorus_settings_get().supplier_siret
    if siret and siret not in {str(s.get("identifiantStructure", "")) for s in structures}:
        raise ChorusRefused(
            f"Le SIRET de la collectivité ({siret}) n'est pas celui des structures du compte technique ({names}) : "
            "corrigez le SIRET dans les paramètres, ou rattachez le compte technique à la bonne structure."
        )
    return f"Compte technique rattaché à : {names}."


def supplier_identifiers_fetch(*, client: ChorusClient, environment: str) -> ChorusAccount:
    """idFournisseur, idServiceFournisseur and codeCoordonneesBancairesFournisseur, kept for the invoices."""
    structures = client.supplier_structures().get("listeStructures") or []
    siret = chorus_settings_get().supplier_siret
    mine = next((s for s in structures if str(s.get("identifiantStructure")) == siret), None) or (structures[0] if structures else None)
    if mine is None:
        raise ChorusRefused("Aucune structure fournisseur active pour ce compte technique dans Chorus Pro.")
    supplier_id = int(mine["idStructureCPP"])
    services = [s for s in client.services_search(structure_id=supplier_id).get("listeServices") or [] if s.get("estActif", True)]
    banks = client.bank_details(structure_id=supplier_id).get("listeCoordonneeBancaire") or []
    account = chorus_account_get(environment)
    account.supplier_id = supplier_id
    account.supplier_label = str(mine.get("designationStructure", ""))[:200]
    account.supplier_identifier = str(mine.get("identifiantStructure", ""))[:20]
    account.supplier_service_id = int(services[0]["idService"]) if services else None
    account.supplier_service_label = (f"{services[0].get('codeService', '')} – {services[0].get('libelleService', '')}" if services else "")[:200]
    account.bank_details_id = int(banks[0]["idCoordonneeBancaire"]) if banks else None
    account.bank_details_label = str(banks[0].get("nomCoordonneeBancaire", "")) if banks else ""
    account.identifiers_fetched_at = timezone.now()
    account.save()
    return account


def _supplier_step(client: ChorusClient, environment: str) -> str:
    account = supplier_identifiers_fetch(client=client, environment=environment)
    if account.bank_details_id is None:
        raise ChorusRefused("Aucune coordonnée bancaire valide sur la structure fournisseur : ajoutez le RIB dans Chorus Pro.")
    service = f", service {account.supplier_service_label}" if account.supplier_service_label else ""
    return (f"idFournisseur {account.supplier_id} ({account.supplier_label}){service}, coordonnées bancaires "
            f"{account.bank_details_id} ({account.bank_details_label}).")  # fmt: skip


def renewal_warnings(*, today: datetime.date | None = None) -> list[str]:
    """A few weeks before the technical password expires or the client secret is due for renewal."""
    today = today or timezone.localdate()
    horizon = datetime.timedelta(days=settings.CHORUS_RENEWAL_WARNING_DAYS)
    warnings = []
    for account in ChorusAccount.objects.all().order_by("environment"):
        label = account.environment
        if account.password_expires_on and account.password_expires_on - horizon <= today:
            verb = "a expiré" if account.password_expires_on < today else "expire"
            warnings.append(
                f"Le mot de passe du compte technique ({label}) {verb} le {account.password_expires_on:%d/%m/%Y} : "
                f"régénérez-le dans Chorus Pro, mettez à jour {variable_name(account.environment, 'password')} "
                "puis la date d'expiration ici."
            )
        if account.secret_renewed_on:
            due = account.secret_renewed_on + datetime.timedelta(days=SECRET_RENEWAL_DAYS)
            if due - horizon <= today:
                warnings.append(
                    f"Le client secret PISTE ({label}) est à renouveler le {due:%d/%m/%Y} (tous les 3 mois) : "
                    f"renouvelez-le sur PISTE, mettez à jour {variable_name(account.environment, 'client_secret')} "
                    "puis la date du renouvellement ici."
                )
    return warnings


# --- Public bodies -----------------------------------------------------------------------


def public_body_mark(
    *, debtor: DebtorReference, siret: str, user=None, service_code: str = "", engagement: str = "",
    lookup: bool = True, source: str = PublicBody.Source.STAFF, reason: str = "",
) -> PublicBody:  # fmt: skip
    """Mark a debtor as a public body (or update its SIRET), then look its structure up."""
    siret = siret_clean(siret)
    with transaction.atomic():
        body, created = PublicBody.objects.select_for_update().get_or_create(
            debtor=debtor, defaults={"siret": siret, "source": source, "reason": reason, "marked_by": user}
        )
        if not created and body.siret != siret:
            body.siret = siret
            body.structure_id, body.structure_environment, body.structure_checked_at = None, "", None
        if service_code:
            body.default_service_code = service_code.strip()
        if engagement:
            body.default_engagement = engagement.strip()
        body.save()
    logger.info("choruspro public body marked debtor=%s created=%s", debtor.pk, created)
    return public_body_structure_refresh(public_body=body) if lookup else body


def public_body_unmark(*, debtor: DebtorReference) -> None:
    body = PublicBody.objects.filter(debtor=debtor).first()
    if body is None:
        return
    if body.invoices.exists():
        raise ChorusRefused("Des factures ont déjà été envoyées à cet organisme sur Chorus Pro : il reste un organisme public.")
    body.delete()


def public_body_structure_refresh(*, public_body: PublicBody, environment: str | None = None) -> PublicBody:
    """Its Chorus Pro structure by SIRET, and its rules: service code, engagement number, services."""
    environment = environment or chorus_settings_get().environment
    if not public_body.siret:
        return public_body
    found: dict = {}
    error = ""
    try:
        client = chorus_client(environment=environment)
        rows = client.structure_search(siret=public_body.siret).get("listeStructures") or []
        if not rows:
            error = (f"Aucune structure active n'a le SIRET {public_body.siret} dans Chorus Pro ({environment}) : "
                     "vérifiez le SIRET auprès de l'organisme.")  # fmt: skip
        else:
            structure_id = int(rows[0]["idStructureCPP"])
            detail = client.structure_get(structure_id=structure_id)
            rules = detail.get("parametres") or {}
            answer = client.services_search(structure_id=structure_id)
            services = answer.get("listeServices") or []
            total = (answer.get("parametresRetour") or {}).get("total", len(services))
            found = {
                "services_complete": int(total) <= len(services),
                "structure_id": structure_id,
                "structure_name": str(detail.get("raisonSociale") or rows[0].get("designationStructure") or "")[:200],
                "service_code_required": bool(rules.get("codeServiceDoitEtreRenseigne")),
                "engagement_required": bool(rules.get("numeroEJDoitEtreRenseigne")),
                "services": [
                    {"code": str(s.get("codeService", "")), "label": str(s.get("libelleService", ""))}
                    for s in services if s.get("estActif", True)
                ],
            }  # fmt: skip
    except ChorusError as exc:
        error = error_explain(exc, environment)
    with transaction.atomic():
        body = PublicBody.objects.select_for_update().get(pk=public_body.pk)
        body.structure_checked_at = timezone.now()
        body.structure_error = error[:300]
        if found:
            body.structure_environment = environment
            for name, value in found.items():
                setattr(body, name, value)
        body.save()
    return body


def public_bodies_detect(*, batch: ImportBatch | None = None, codes=DEFAULT_CODES) -> int:
    """Public bodies the import files designate (PES V2 CatTiers/NatJur with IdTiers SIRET,
    INDIGO CODEDEBIT), read back from the debts' raw records; each batch looked at once."""
    if batch is not None:
        batches = [batch]
    else:
        batches = ImportBatch.objects.filter(state=ImportBatch.State.DONE, dry_run=False, imported__gt=0).exclude(
            pk__in=ScannedBatch.objects.values("batch_id")
        )
    total = 0
    for one in batches:
        found = 0
        if one.fmt in ("indigo", "pesv2"):
            debts = Debt.objects.filter(batch=one, debtor__isnull=False, debtor__public_body__isnull=True)
            seen: set[int] = set()
            for debtor_id, raw in debts.values_list("debtor_id", "raw_record").iterator(chunk_size=2000):
                if debtor_id in seen:
                    continue
                hint = public_body_hint(hints_from_raw(one.fmt, raw), codes)
                if hint is None:
                    continue
                seen.add(debtor_id)
                _, created = PublicBody.objects.get_or_create(
                    debtor_id=debtor_id,
                    defaults={"siret": hint.siret, "source": PublicBody.Source.IMPORT,
                              "reason": f"Import « {one.filename} » : {hint.reason}"[:200]},
                )  # fmt: skip
                found += created
        ScannedBatch.objects.update_or_create(batch=one, defaults={"found": found})
        total += found
    if total:
        logger.info("choruspro public bodies detected: %s", total)
    return total


# --- Sending -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendRequest:
    debt: Debt
    service_code: str = ""
    engagement: str = ""


def send_problems(*, debt: Debt, public_body: PublicBody | None, service_code: str, engagement: str,
                  environment: str) -> dict[str, list[str]]:  # fmt: skip
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
        add("", public_body.structure_error or "La structure Chorus Pro de l'organisme n'a pas encore été trouvée : "
                                               "relancez sa recherche.")  # fmt: skip
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
        problems.append("Les paramètres Chorus Pro (SIRET et nom de la collectivité) sont à renseigner par un administrateur.")
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
        problems = send_problems(debt=request.debt, public_body=body, service_code=request.service_code,
                                 engagement=request.engagement, environment=environment)  # fmt: skip
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
            invoices.append(_invoice_create(debt=debt, public_body=body, batch=batch, user=user, today=today,
                                            environment=environment, service_code=request.service_code,
                                            engagement=request.engagement))  # fmt: skip
            if request.service_code or request.engagement:
                PublicBody.objects.filter(pk=body.pk).update(
                    default_service_code=request.service_code or body.default_service_code,
                    default_engagement=request.engagement or body.default_engagement,
                )
        if enqueue:
            transaction.on_commit(lambda: [_enqueue_submit(invoice.pk) for invoice in invoices])
    return batch


def _invoice_create(*, debt, public_body, batch, user, today, environment, service_code, engagement, attempt=1) -> ChorusInvoice:
    try:
        with transaction.atomic():
            invoice = ChorusInvoice.objects.create(
                debt=debt, public_body=public_body, batch=batch, environment=environment, attempt=attempt,
                number=f"tmp-{uuid.uuid4().hex[:20]}", invoice_date=today, amount_cents=debt.amount_cents,
                recipient_siret=public_body.siret, service_code=service_code.strip(),
                engagement_number=engagement.strip(), created_by=user,
            )  # fmt: skip
            # A chronological, continuous sequence (the database's), unique per environment.
            invoice.number = f"CPP{today:%Y}-{invoice.pk:06d}"
            invoice.save(update_fields=["number"])
    except IntegrityError:
        raise ChorusRefused(f"La dette {debt.refdet} a déjà une facture en cours sur Chorus Pro.") from None
    return invoice


def _enqueue_submit(invoice_id: int) -> None:
    from debts.choruspro.tasks import invoice_submit_task

    invoice_submit_task.enqueue(invoice_id)


def invoice_resend(*, invoice: ChorusInvoice, service_code: str, engagement: str, user=None) -> ChorusInvoice:
    """After a rejection (or a failed sending): the corrected debt as a new submission."""
    if not invoice.correctable:
        raise ChorusRefused("Seule une facture rejetée ou dont l'envoi a échoué peut être renvoyée.")
    environment = chorus_settings_get().environment
    debt, body = invoice.debt, invoice.public_body
    general = _configuration_problems(environment)
    problems = send_problems(debt=debt, public_body=body, service_code=service_code.strip(),
                             engagement=engagement.strip(), environment=environment)  # fmt: skip
    if general or problems:
        raise SendRefused(general, {debt.pk: problems} if problems else {})
    with transaction.atomic():
        debt = Debt.objects.select_for_update().get(pk=debt.pk)
        attempt = (ChorusInvoice.objects.filter(debt=debt).order_by("-attempt").values_list("attempt", flat=True).first() or 0) + 1
        new = _invoice_create(debt=debt, public_body=body, batch=None, user=user, today=timezone.localdate(),
                              environment=environment, service_code=service_code, engagement=engagement, attempt=attempt)  # fmt: skip
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


def _euros(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def invoice_payload(*, invoice: ChorusInvoice, account: ChorusAccount, attachment_id: int) -> dict:
    """The body of soumettre, mapped from the invoice (amounts exact, no VAT: public service receipts)."""
    debt = invoice.debt
    amount = _euros(invoice.amount_cents)
    recipient = {"codeDestinataire": invoice.recipient_siret}
    if invoice.service_code:
        recipient["codeServiceExecutant"] = invoice.service_code
    supplier = {"idFournisseur": account.supplier_id, "codeCoordonneesBancairesFournisseur": account.bank_details_id}
    if account.supplier_service_id:
        supplier["idServiceFournisseur"] = account.supplier_service_id
    references = {"deviseFacture": "EUR", "typeFacture": "FACTURE", "typeTva": "SANS_TVA", "modePaiement": "VIREMENT",
                  "motifExonerationTva": "Article 256 B du code général des impôts"}  # fmt: skip
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
        "lignePoste": [{
            "lignePosteNumero": 1,
            "lignePosteReference": debt.refdet,
            "lignePosteDenomination": (debt.label or "Titre de recettes")[:100],
            "lignePosteQuantite": Decimal(1),
            "lignePosteUnite": "lot",
            "lignePosteMontantUnitaireHT": amount,
            "lignePosteMontantRemiseHT": Decimal("0.00"),
            "lignePosteTauxTvaManuel": Decimal(0),
        }],  # fmt: skip
        "ligneTva": [{"ligneTvaMontantBaseHtParTaux": amount, "ligneTvaMontantTvaParTaux": Decimal("0.00"),
                      "ligneTvaTauxManuel": Decimal(0)}],  # fmt: skip
        "montantTotal": {"montantHtTotal": amount, "montantTVA": Decimal("0.00"), "montantTtcTotal": amount,
                         "montantRemiseGlobaleTTC": Decimal("0.00"), "montantAPayer": amount},  # fmt: skip
        "pieceJointePrincipale": [{"pieceJointePrincipaleDesignation": f"Facture {invoice.number}",
                                   "pieceJointePrincipaleId": attachment_id}],  # fmt: skip
        "commentaire": f"Titre {debt.refdet}",
    }


def invoice_submit(*, invoice_id: int) -> ChorusInvoice:
    """The task's work: PDF → deposer/pdf → soumettre. A failure is recorded on this invoice only."""
    with transaction.atomic():
        invoice = ChorusInvoice.objects.select_for_update().select_related("debt", "public_body").get(pk=invoice_id)
        if invoice.state != ChorusInvoice.State.QUEUED:
            return invoice
        invoice.state = ChorusInvoice.State.SENDING
        invoice.save(update_fields=["state"])
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
        invoice.save()
    # The history (with Chorus Pro's own dates) comes from the polls.
    logger.info("choruspro invoice %s submitted id=%s", invoice.number, chorus_id)
    transaction.on_commit(lambda: follow_up_schedule(invoice_id=invoice.pk))
    return invoice


def _invoice_failed(invoice: ChorusInvoice, message: str) -> ChorusInvoice:
    ChorusInvoice.objects.filter(pk=invoice.pk).update(state=ChorusInvoice.State.FAILED, error=message)
    invoice.refresh_from_db()
    logger.warning("choruspro invoice %s failed", invoice.number)
    return invoice


# --- Following ----------------------------------------------------------------------------


def _moment(value) -> datetime.datetime:
    if isinstance(value, (int, float, Decimal)):  # epoch milliseconds
        return datetime.datetime.fromtimestamp(float(value) / 1000, tz=datetime.timezone.utc)
    moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def invoice_poll(*, invoice: ChorusInvoice, client: ChorusClient | None = None) -> int:
    """The invoice's status history from Chorus Pro; each status recorded once. Returns how many were new."""
    if invoice.state != ChorusInvoice.State.SUBMITTED or invoice.chorus_id is None:
        return 0
    client = client or chorus_client(environment=invoice.environment)
    result = client.invoice_history(invoice_id=invoice.chorus_id)
    rows = ((result.get("historiquesDesStatuts") or {}).get("histoStatut")) or []
    current = str(result.get("statutCourantCode") or invoice.chorus_status)
    new = 0
    with transaction.atomic():
        invoice = ChorusInvoice.objects.select_for_update().get(pk=invoice.pk)
        for row in rows:
            status = str(row.get("histoStatutCode") or "")
            if not status or not row.get("histoStatutDatePassage"):
                continue
            _, created = ChorusStatusEvent.objects.get_or_create(
                invoice=invoice, status=status, at=_moment(row["histoStatutDatePassage"]),
                defaults={"comment": str(row.get("histoStatutCommentaire") or "")},
            )  # fmt: skip
            new += created
        events = list(invoice.events.order_by("at", "pk"))
        latest = next((e for e in reversed(events) if e.status == current), None)
        invoice.chorus_status = current
        invoice.chorus_status_at = latest.at if latest else invoice.chorus_status_at
        invoice.final = current in FINAL_STATUSES
        rejection = next((e for e in reversed(events) if e.status == "REJETEE"), None)
        invoice.rejection_reason = (rejection.comment or "Rejetée sans motif communiqué.") if rejection and current == "REJETEE" else ""
        paid = next((e for e in events if e.status == "MISE_EN_PAIEMENT"), None)
        invoice.payment_at = paid.at if paid else None
        invoice.polled_at = timezone.now()
        invoice.poll_error = ""
        invoice.save()
    if new:
        logger.info("choruspro invoice %s: %s new status(es), now %s", invoice.number, new, current)
    return new


@dataclass
class PollReport:
    polled: int = 0
    new_statuses: int = 0
    errors: list[str] = field(default_factory=list)


def invoices_to_poll():
    return ChorusInvoice.objects.filter(state=ChorusInvoice.State.SUBMITTED, final=False, chorus_id__isnull=False)


def invoices_poll(*, invoice_ids: list[int] | None = None) -> PollReport:
    """Every invoice not yet final (one client per environment); one failing does not stop the others."""
    report = PollReport()
    invoices = invoices_to_poll().order_by(F("polled_at").asc(nulls_first=True), "pk")
    if invoice_ids is not None:
        invoices = invoices.filter(pk__in=invoice_ids)
    clients: dict[str, ChorusClient] = {}
    for invoice in invoices.defer("pdf").iterator(chunk_size=200):
        client = clients.setdefault(invoice.environment, chorus_client(environment=invoice.environment))
        try:
            report.new_statuses += invoice_poll(invoice=invoice, client=client)
            report.polled += 1
        except ChorusError as error:
            message = error_explain(error, invoice.environment)
            ChorusInvoice.objects.filter(pk=invoice.pk).update(poll_error=message[:300], polled_at=timezone.now())
            report.errors.append(f"{invoice.number} : {message}")
        except Exception:  # noqa: BLE001 - one bad answer must not stop the others
            logger.exception("choruspro poll of invoice %s failed", invoice.pk)
            report.errors.append(f"{invoice.number} : erreur inattendue (voir le journal).")
    return report


FOLLOW_UP_MAX_AGE = datetime.timedelta(days=120)


def follow_up_schedule(*, invoice_id: int) -> bool:
    """Development and demos: the invoice's next poll as a deferred task. Production uses the
    periodic `manage.py choruspro poll` (CHORUS_FOLLOW_UP_SECONDS=0)."""
    seconds = settings.CHORUS_FOLLOW_UP_SECONDS
    if seconds <= 0:
        return False
    from debts.choruspro.tasks import invoice_follow_task

    backend = invoice_follow_task.get_backend()
    if not backend.supports_defer:
        return False
    invoice_follow_task.using(run_after=timezone.now() + datetime.timedelta(seconds=seconds)).enqueue(invoice_id)
    return True


def invoice_follow(*, invoice_id: int) -> str:
    """One follow-up: poll, then schedule the next one unless the invoice is final (or too old)."""
    invoice = ChorusInvoice.objects.filter(pk=invoice_id).defer("pdf").first()
    if invoice is None or invoice.state != ChorusInvoice.State.SUBMITTED:
        return "stopped"
    if not invoice.final:
        try:
            invoice_poll(invoice=invoice)
        except ChorusError as error:
            ChorusInvoice.objects.filter(pk=invoice.pk).update(poll_error=error_explain(error, invoice.environment)[:300])
        invoice.refresh_from_db()
    if invoice.final or timezone.now() - invoice.created_at > FOLLOW_UP_MAX_AGE:
        return invoice.chorus_status
    follow_up_schedule(invoice_id=invoice.pk)
    return invoice.chorus_status
