"""Chorus Pro: the authority's settings, public-body debtors, invoices and their statuses.

No secret is stored here: PISTE's client id and secret and the technical user's login and
password come from the environment (settings.CHORUS_CREDENTIALS) and are never shown back.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q


class Environment(models.TextChoices):
    QUALIFICATION = "qualification", "Qualification (tests)"
    PRODUCTION = "production", "Production"


# Chorus Pro's invoice statuses (statutFacture / statutCourantCode), with their French labels.
STATUS_LABELS = {
    "DEPOSEE": "Déposée",
    "EN_COURS_ACHEMINEMENT": "En cours d'acheminement",
    "MISE_A_DISPOSITION": "Mise à disposition du destinataire",
    "MISE_A_DISPOSITION_MOA": "Mise à disposition de la maîtrise d'ouvrage",
    "MISE_A_DISPOSITION_COMPTABLE": "Mise à disposition du comptable",
    "A_RECYCLER": "À recycler",
    "COMPLETEE": "Complétée",
    "SUSPENDUE": "Suspendue",
    "SERVICE_FAIT": "Service fait",
    "MANDATEE": "Mandatée",
    "MISE_EN_PAIEMENT": "Mise en paiement",
    "COMPTABILISEE": "Comptabilisée",
    "REJETEE": "Rejetée",
    "ANNULEE": "Annulée",
}
# Polling stops at these. MANDATEE is not one of them here (unlike some clients): the authority
# needs MISE_EN_PAIEMENT to reconcile, and it comes after MANDATEE.
FINAL_STATUSES = frozenset({"MISE_EN_PAIEMENT", "COMPTABILISEE", "REJETEE", "ANNULEE"})
PAID_STATUSES = frozenset({"MISE_EN_PAIEMENT", "COMPTABILISEE"})
# The statuses that wait on the authority, with what staff do (polling goes on through each: the
# invoice keeps its number and moves on once recycled or completed).
STATUS_ACTIONS = {
    "A_RECYCLER": (
        "L'organisme a renvoyé la facture pour qu'elle soit adressée à un autre service ou destinataire : "
        "sur Chorus Pro, ouvrez la facture et utilisez l'action « Recycler » avec le destinataire ou le code "
        "service indiqué dans son commentaire. Le suivi continue : le statut changera une fois la facture recyclée."
    ),
    "SUSPENDUE": (
        "L'organisme a suspendu le traitement de la facture en attendant un complément (pièce justificative, "
        "précision) : sur Chorus Pro, utilisez l'action « Compléter » en joignant ce que demande son commentaire, "
        "dans le délai indiqué, sans quoi la facture peut être rejetée. Le suivi continue."
    ),
    "COMPLETEE": (
        "La facture a été complétée : l'organisme reprend son traitement. Rien à faire ; le suivi continue "
        "jusqu'à la mise en paiement."
    ),
}
ATTENTION_STATUSES = frozenset({"A_RECYCLER", "SUSPENDUE"})
#: An invoice "sending" longer than this was left by a crashed worker (the three Chorus Pro calls
#: take well under a minute each, timeouts included): it is queued again once, then failed.
SEND_LEASE = datetime.timedelta(minutes=15)
SEND_ATTEMPTS_MAX = 2
SEND_INTERRUPTED = (
    "L'envoi a été interrompu deux fois (le serveur de tâches s'est arrêté pendant l'envoi). Vérifiez sur "
    "Chorus Pro que la facture n'y a pas été reçue, puis renvoyez-la."
)


class ChorusSettings(models.Model):
    """The authority as a Chorus Pro supplier (one row). Nothing secret."""

    environment = models.CharField(
        "environnement Chorus Pro", max_length=13, choices=Environment.choices, default=Environment.QUALIFICATION
    )
    supplier_siret = models.CharField("SIRET de la collectivité", max_length=14, blank=True)
    supplier_name = models.CharField("nom de la collectivité (sur les factures)", max_length=200, blank=True)
    supplier_address = models.TextField("adresse de la collectivité", blank=True)
    iban = models.CharField("IBAN (sur les factures)", max_length=42, blank=True)
    bic = models.CharField("BIC", max_length=11, blank=True)
    bank_label = models.CharField("titulaire du compte", max_length=200, blank=True)
    vat_mention = models.CharField(
        "mention de TVA", max_length=200, default="TVA non applicable – article 256 B du code général des impôts"
    )
    payment_days = models.PositiveSmallIntegerField("délai de paiement (jours)", default=30)
    updated_at = models.DateTimeField("modifié le", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="modifié par",
    )

    class Meta:
        verbose_name = "paramètres Chorus Pro"
        verbose_name_plural = "paramètres Chorus Pro"

    def __str__(self) -> str:
        return f"Chorus Pro ({self.get_environment_display()})"


class ChorusAccount(models.Model):
    """What the portal knows of one environment: renewal dates (not the secrets), the supplier
    identifiers fetched from Chorus Pro, and the last connection test."""

    environment = models.CharField("environnement", max_length=13, choices=Environment.choices, unique=True)
    password_expires_on = models.DateField("expiration du mot de passe du compte technique", null=True, blank=True)
    secret_renewed_on = models.DateField("date du dernier renouvellement du client secret PISTE", null=True, blank=True)
    supplier_id = models.BigIntegerField("idFournisseur", null=True, blank=True)
    supplier_label = models.CharField("structure fournisseur", max_length=200, blank=True)
    supplier_identifier = models.CharField("identifiant de la structure fournisseur", max_length=20, blank=True)
    supplier_service_id = models.BigIntegerField("idServiceFournisseur", null=True, blank=True)
    supplier_service_label = models.CharField("service fournisseur", max_length=200, blank=True)
    bank_details_id = models.BigIntegerField("codeCoordonneesBancairesFournisseur", null=True, blank=True)
    bank_details_label = models.CharField("coordonnées bancaires", max_length=200, blank=True)
    identifiers_fetched_at = models.DateTimeField("identifiants récupérés le", null=True, blank=True)
    last_test_at = models.DateTimeField("dernier test de connexion", null=True, blank=True)
    last_test_ok = models.BooleanField("connexion établie", null=True, blank=True)
    last_test_steps = models.JSONField("étapes du dernier test", default=list, blank=True)

    class Meta:
        verbose_name = "compte Chorus Pro"
        verbose_name_plural = "comptes Chorus Pro"

    def __str__(self) -> str:
        return self.get_environment_display()


class PublicBody(models.Model):
    """A debtor that is a public body: invoiced through Chorus Pro, never offered card payment."""

    class Source(models.TextChoices):
        IMPORT = "import", "Fichier importé"
        STAFF = "staff", "Agent"

    debtor = models.OneToOneField(
        "debts.DebtorReference", on_delete=models.CASCADE, related_name="public_body", verbose_name="débiteur"
    )
    siret = models.CharField("SIRET", max_length=14, blank=True)
    source = models.CharField("désigné par", max_length=6, choices=Source.choices, default=Source.STAFF)
    reason = models.CharField("motif", max_length=200, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="désigné par (agent)",
    )
    marked_at = models.DateTimeField("désigné le", auto_now_add=True)
    # Its Chorus Pro structure, looked up by SIRET in one environment (identifiers differ between them).
    structure_environment = models.CharField("environnement de la structure", max_length=13, blank=True)
    structure_id = models.BigIntegerField("idStructureCPP", null=True, blank=True)
    structure_name = models.CharField("raison sociale Chorus Pro", max_length=200, blank=True)
    service_code_required = models.BooleanField("code service obligatoire", default=False)
    engagement_required = models.BooleanField("numéro d'engagement obligatoire", default=False)
    services = models.JSONField("services actifs", default=list, blank=True)
    # rechercher/services answers one page (10) without a way to ask for more: a longer list is incomplete.
    services_complete = models.BooleanField("liste des services complète", default=True)
    structure_checked_at = models.DateTimeField("structure vérifiée le", null=True, blank=True)
    structure_error = models.CharField("erreur de recherche", max_length=300, blank=True)
    # What staff gave last: proposed for the next invoices.
    default_service_code = models.CharField("code service habituel", max_length=100, blank=True)
    default_engagement = models.CharField("numéro d'engagement habituel", max_length=50, blank=True)

    class Meta:
        verbose_name = "organisme public"
        verbose_name_plural = "organismes publics"

    def __str__(self) -> str:
        return f"{self.debtor} ({self.siret or 'SIRET à renseigner'})"

    def structure_known(self, environment: str) -> bool:
        return self.structure_id is not None and self.structure_environment == environment


class ChorusSendBatch(models.Model):
    """Debts sent together from the list: the page shows each invoice's outcome."""

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "envoi groupé Chorus Pro"
        verbose_name_plural = "envois groupés Chorus Pro"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Envoi du {self.created_at:%d/%m/%Y %H:%M}"


class ChorusInvoice(models.Model):
    """One submission of a debt to Chorus Pro (a correction after a rejection is a new one)."""

    class State(models.TextChoices):
        QUEUED = "queued", "En attente d'envoi"
        SENDING = "sending", "Envoi en cours"
        SUBMITTED = "submitted", "Déposée sur Chorus Pro"
        FAILED = "failed", "Échec de l'envoi"

    debt = models.ForeignKey(
        "debts.Debt", on_delete=models.PROTECT, related_name="chorus_invoices", verbose_name="dette"
    )
    public_body = models.ForeignKey(PublicBody, on_delete=models.PROTECT, related_name="invoices")
    batch = models.ForeignKey(
        ChorusSendBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="invoices"
    )
    environment = models.CharField("environnement", max_length=13, choices=Environment.choices)
    number = models.CharField("numéro de facture", max_length=40)
    attempt = models.PositiveSmallIntegerField("envoi n°", default=1)
    invoice_date = models.DateField("date de facture")
    amount_cents = models.PositiveBigIntegerField("montant (centimes)")
    recipient_siret = models.CharField("SIRET du destinataire", max_length=14)
    service_code = models.CharField("code service", max_length=100, blank=True)
    engagement_number = models.CharField("numéro d'engagement", max_length=50, blank=True)
    state = models.CharField("état de l'envoi", max_length=9, choices=State.choices, default=State.QUEUED)
    error = models.TextField("erreur", blank=True)
    pdf = models.BinaryField("PDF envoyé", blank=True, default=b"")
    attachment_id = models.BigIntegerField("pieceJointeId", null=True, blank=True)
    chorus_id = models.BigIntegerField("identifiantFactureCPP", null=True, blank=True)
    chorus_status = models.CharField("statut Chorus Pro", max_length=40, blank=True)
    chorus_status_at = models.DateTimeField("statut du", null=True, blank=True)
    final = models.BooleanField("statut définitif", default=False)
    rejection_reason = models.TextField("motif du rejet", blank=True)
    payment_at = models.DateTimeField("mise en paiement le", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    submitted_at = models.DateTimeField("déposée le", null=True, blank=True)
    polled_at = models.DateTimeField("statut consulté le", null=True, blank=True)
    poll_error = models.CharField("erreur de consultation", max_length=300, blank=True)
    # The lease of the worker sending it: past it, the sending is taken back (invoices_sending_recover).
    sending_until = models.DateTimeField("envoi réservé jusqu'au", null=True, blank=True)
    send_attempts = models.PositiveSmallIntegerField("tentatives d'envoi", default=0)

    class Meta:
        verbose_name = "facture Chorus Pro"
        verbose_name_plural = "factures Chorus Pro"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["environment", "number"], name="chorus_invoice_number_unique"),
            # One live submission per debt: a new one only once the previous was rejected or failed.
            models.UniqueConstraint(
                fields=["debt"],
                condition=~Q(state="failed") & ~Q(chorus_status__in=["REJETEE", "ANNULEE"]),
                name="chorus_invoice_one_live_per_debt",
            ),
        ]
        indexes = [models.Index(fields=["state", "final"])]

    def __str__(self) -> str:
        return self.number

    @property
    def status_label(self) -> str:
        if self.state != self.State.SUBMITTED:
            return self.get_state_display()
        return STATUS_LABELS.get(self.chorus_status, self.chorus_status or "Déposée")

    @property
    def badge(self) -> str:
        if self.state == self.State.FAILED or self.chorus_status in ("REJETEE", "ANNULEE"):
            return "rejected"
        if self.state == self.State.SUBMITTED and self.chorus_status in ATTENTION_STATUSES:
            return "attention"
        return "done" if self.chorus_status in PAID_STATUSES else "running"

    @property
    def staff_action(self) -> str:
        """What staff do about the invoice's current Chorus Pro status ("" when nothing)."""
        return STATUS_ACTIONS.get(self.chorus_status, "") if self.state == self.State.SUBMITTED else ""

    @property
    def status_comment(self) -> str:
        """The authority's comment on the current status (why it is to recycle, what is missing)."""
        event = self.events.filter(status=self.chorus_status).order_by("-at", "-pk").first()
        return event.comment if event else ""

    @property
    def rejected(self) -> bool:
        return self.chorus_status == "REJETEE"

    @property
    def paid(self) -> bool:
        return self.chorus_status in PAID_STATUSES

    @property
    def correctable(self) -> bool:
        """Staff may send the debt again (corrected) after a rejection or a failed sending."""
        return self.state == self.State.FAILED or self.chorus_status in ("REJETEE", "ANNULEE")


class ChorusStatusEvent(models.Model):
    """One status of an invoice's history, as Chorus Pro dates it; recorded once."""

    invoice = models.ForeignKey(ChorusInvoice, on_delete=models.CASCADE, related_name="events")
    status = models.CharField("statut", max_length=40)
    at = models.DateTimeField("date du statut")
    comment = models.TextField("commentaire", blank=True)
    recorded_at = models.DateTimeField("enregistré le", auto_now_add=True)

    class Meta:
        verbose_name = "statut de facture Chorus Pro"
        verbose_name_plural = "statuts de factures Chorus Pro"
        ordering = ["at", "pk"]
        constraints = [models.UniqueConstraint(fields=["invoice", "status", "at"], name="chorus_status_once")]

    def __str__(self) -> str:
        return f"{self.invoice} {self.status} {self.at:%d/%m/%Y %H:%M}"

    @property
    def label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


class ScannedBatch(models.Model):
    """An import batch whose debts were looked at for public-body hints (once each)."""

    batch = models.OneToOneField("debts.ImportBatch", on_delete=models.CASCADE, related_name="+")
    found = models.PositiveIntegerField("organismes publics trouvés", default=0)
    scanned_at = models.DateTimeField("examiné le", auto_now_add=True)

    class Meta:
        verbose_name = "import examiné (organismes publics)"
        verbose_name_plural = "imports examinés (organismes publics)"

    def __str__(self) -> str:
        return f"import {self.batch_id} : {self.found} organisme(s) public(s)"
