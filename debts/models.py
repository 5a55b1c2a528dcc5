"""Debts published for online payment, with their online period and state."""

import datetime
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from payments.tipi import INVOICE_MAX_LENGTH, PORTAL_PROTOCOLS, Protocol, montant_block_code

ACCESS_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: it is typed from paper
ACCESS_CODE_LENGTH = 10


def new_access_code() -> str:
    return "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(ACCESS_CODE_LENGTH))


class DebtorReference(models.Model):
    """A debtor as the authority's software knows them (REFSTABLE, RefTiers, ROLCLI).

    Its random access code is printed on the bill so that a citizen can link it to their account.
    """

    client = models.ForeignKey(
        "payments.TipiClient", on_delete=models.PROTECT, related_name="debtor_references", verbose_name="client TIPI"
    )
    reference = models.CharField("référence du débiteur", max_length=30)
    access_code = models.CharField("code d'accès", max_length=16, default=new_access_code)
    created_at = models.DateTimeField("créée le", auto_now_add=True)

    class Meta:
        verbose_name = "référence débiteur"
        verbose_name_plural = "références débiteurs"
        constraints = [models.UniqueConstraint(fields=["client", "reference"], name="debtor_reference_unique")]

    def __str__(self) -> str:
        return self.reference


class ReferenceLink(models.Model):
    """A user's account holds a debtor reference (family account: several per user, several users per reference)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reference_links", verbose_name="compte"
    )
    debtor = models.ForeignKey(DebtorReference, on_delete=models.CASCADE, related_name="links", verbose_name="débiteur")
    linked_at = models.DateTimeField("rattachée le", auto_now_add=True)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="rattachée par (agent)",
    )

    class Meta:
        verbose_name = "rattachement de référence"
        verbose_name_plural = "rattachements de références"
        constraints = [models.UniqueConstraint(fields=["user", "debtor"], name="reference_link_unique")]

    def __str__(self) -> str:
        return f"{self.user} → {self.debtor}"


class LinkAttempt(models.Model):
    """A citizen's try at linking a reference with its access code (failures are throttled)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, verbose_name="compte")
    at = models.DateTimeField("le", auto_now_add=True, db_index=True)
    succeeded = models.BooleanField("réussi")

    class Meta:
        verbose_name = "essai de rattachement"
        verbose_name_plural = "essais de rattachement"

    def __str__(self) -> str:
        return f"{self.user} {self.at:%d/%m/%Y %H:%M} {'ok' if self.succeeded else 'échec'}"


class ImportBatch(models.Model):
    """One debt file imported (or tried, or dry-run), with its line-by-line report."""

    # Derived from payments.tipi.Protocol: a client's files have its protocol's format (same slug).
    # Ordered as the migrations recorded them: the titres' and rôles' formats first, the régies' CSV last.
    Format = models.TextChoices(
        "Format", [(p.name, (p.slug, p.label)) for p in sorted(PORTAL_PROTOCOLS, key=lambda p: p is Protocol.REGIE)]
    )

    class Mode(models.TextChoices):
        COMPLETE = "complete", "Complète (tout ou rien)"
        PARTIAL = "partial", "Partielle (les lignes correctes sont importées)"

    class State(models.TextChoices):
        QUEUED = "queued", "En attente"
        RUNNING = "running", "En cours"
        DONE = "done", "Terminé"
        REJECTED = "rejected", "Rejeté (mode complet : aucune dette importée)"
        FAILED = "failed", "Échec"

    client = models.ForeignKey(
        "payments.TipiClient", on_delete=models.PROTECT, related_name="import_batches", verbose_name="client TIPI"
    )
    fmt = models.CharField("format", max_length=8, choices=Format.choices)
    mode = models.CharField("mode", max_length=8, choices=Mode.choices, default=Mode.COMPLETE)
    dry_run = models.BooleanField("essai à blanc", default=False)
    filename = models.CharField("fichier", max_length=255)
    file_path = models.CharField("chemin du fichier reçu", max_length=500, blank=True)
    file_sha256 = models.CharField("empreinte SHA-256", max_length=64)
    file_size = models.PositiveBigIntegerField("taille (octets)", default=0)
    encoding = models.CharField("encodage imposé", max_length=20, blank=True)
    state = models.CharField("état", max_length=8, choices=State.choices, default=State.QUEUED)
    phase = models.CharField("étape", max_length=100, blank=True)
    bytes_read = models.PositiveBigIntegerField("octets lus", default=0)
    records_read = models.PositiveIntegerField("enregistrements lus", default=0)
    imported = models.PositiveIntegerField("dettes importées", default=0)
    identical = models.PositiveIntegerField("lignes identiques ignorées", default=0)
    rejected = models.PositiveIntegerField("lignes rejetées", default=0)
    fatal_error = models.TextField("erreur bloquante", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="importé par"
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    started_at = models.DateTimeField("commencé le", null=True, blank=True)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)

    class Meta:
        verbose_name = "import de fichier"
        verbose_name_plural = "imports de fichiers"
        ordering = ["-created_at"]
        constraints = [
            # The same file is imported once: a real (not dry-run) import that did not fail holds it.
            models.UniqueConstraint(
                fields=["client", "file_sha256"],
                condition=Q(dry_run=False) & ~Q(state__in=["rejected", "failed"]),
                name="import_batch_same_file_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_state_display()})"

    @classmethod
    def format_for(cls, client) -> str:
        """The format of a client's debt files: its protocol's (one client, one protocol)."""
        return cls.Format(client.tipi_protocol.slug)

    @property
    def progress_percent(self) -> int:
        if self.state in (self.State.DONE, self.State.REJECTED):
            return 100
        if not self.file_size:
            return 0
        # Reading the file is most of the work; the last 10 % are the database's.
        return min(90, int(90 * self.bytes_read / self.file_size))

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.REJECTED, self.State.FAILED)


class ImportIssue(models.Model):
    """A bad line of an import, a REFDET conflict, or a duplicate line in the file."""

    class Kind(models.TextChoices):
        ERROR = "error", "Ligne incorrecte"
        DUPLICATE = "duplicate", "Référence en double dans le fichier"
        CONFLICT = "conflict", "Référence déjà détenue avec d'autres valeurs"

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="issues", verbose_name="import")
    kind = models.CharField("nature", max_length=10, choices=Kind.choices, default=Kind.ERROR)
    line_no = models.PositiveIntegerField("ligne")
    piece_id = models.CharField("pièce", max_length=30, blank=True)
    field = models.CharField("champ", max_length=40, blank=True)
    value = models.CharField("valeur", max_length=200, blank=True)
    message = models.CharField("message", max_length=300)

    class Meta:
        verbose_name = "anomalie d'import"
        verbose_name_plural = "anomalies d'import"
        ordering = ["batch", "line_no", "id"]

    def __str__(self) -> str:
        return f"ligne {self.line_no} : {self.message}"


class StagedDebt(models.Model):
    """A parsed record waiting in the import's staging area; emptied when the import ends.

    Staging lets the database find duplicates and conflicts set-wise, and makes "complete"
    mode all-or-nothing without holding a million records in memory.
    """

    class Status(models.TextChoices):
        OK = "ok", "À importer"
        DUPLICATE = "duplicate", "En double dans le fichier"
        IDENTICAL = "identical", "Déjà détenue, identique"
        CONFLICT = "conflict", "Déjà détenue, différente"

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="staged", verbose_name="import")
    line_no = models.PositiveIntegerField("ligne")
    status = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.OK)
    refdet = models.CharField("REFDET", max_length=30)
    ref_parts = models.JSONField("éléments de la référence", default=dict)
    amount_cents = models.PositiveBigIntegerField("montant (centimes)")
    debtor_ref = models.CharField("référence du débiteur", max_length=30, blank=True)
    debtor_name = models.CharField("nom du débiteur", max_length=200, blank=True)
    debtor_address = models.TextField("adresse du débiteur", blank=True)
    label = models.CharField("objet", max_length=200, blank=True)
    issued_on = models.DateField("date d'émission", null=True, blank=True)
    due_on = models.DateField("date d'échéance", null=True, blank=True)
    invoice_reference = models.CharField("numéro de facture (régie)", max_length=INVOICE_MAX_LENGTH, blank=True)
    online_from = models.DateField("en ligne à partir du")
    online_until = models.DateField("en ligne jusqu'au")
    raw_record = models.TextField("enregistrement brut", blank=True)

    class Meta:
        verbose_name = "dette en attente d'import"
        verbose_name_plural = "dettes en attente d'import"
        indexes = [models.Index(fields=["batch", "refdet"]), models.Index(fields=["batch", "status"])]

    def __str__(self) -> str:
        return self.refdet


class Debt(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "À payer"
        # The means (card or debit) is its paid transaction's: the citizen's texts name it (accounts.selectors).
        IN_PROGRESS = "in_progress", "Paiement en ligne en cours de validation"
        PAID = "paid", "Payée"
        CANCELLED = "cancelled", "Annulée"

    client = models.ForeignKey(
        "payments.TipiClient", on_delete=models.PROTECT, related_name="debts", verbose_name="client TIPI"
    )
    refdet = models.CharField("référence de la dette (REFDET)", max_length=30)
    ref_parts = models.JSONField("éléments de la référence", default=dict, blank=True)
    amount_cents = models.PositiveBigIntegerField("montant (centimes)")
    debtor_ref = models.CharField("référence du débiteur", max_length=30, blank=True, db_index=True)
    debtor = models.ForeignKey(
        DebtorReference, on_delete=models.PROTECT, null=True, blank=True, related_name="debts", verbose_name="débiteur"
    )
    debtor_name = models.CharField("nom du débiteur", max_length=200, blank=True)
    debtor_address = models.TextField("adresse du débiteur", blank=True)
    label = models.CharField("objet", max_length=200, blank=True)
    issued_on = models.DateField("date d'émission", null=True, blank=True)
    due_on = models.DateField("date d'échéance", null=True, blank=True)
    # A régie's invoice number as printed (its REFDET is derived from it when it does not fit
    # protocol 0: payments.tipi.regie_refdet); empty for titres and rôles.
    invoice_reference = models.CharField("numéro de facture (régie)", max_length=INVOICE_MAX_LENGTH, blank=True)
    online_from = models.DateField("payable en ligne à partir du")
    online_until = models.DateField("payable en ligne jusqu'au")
    state = models.CharField("état", max_length=12, choices=State.choices, default=State.OPEN)
    batch = models.ForeignKey(
        ImportBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="debts", verbose_name="import"
    )
    raw_record = models.TextField("enregistrement source (audit)", blank=True)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)
    # Audit trail of every save (who, when, before/after: django-simple-history); the source
    # record never changes and would only be copied again and again.
    history = HistoricalRecords(
        excluded_fields=["raw_record", "updated_at"],
        verbose_name="historique d'une dette",
        verbose_name_plural="historique des dettes",
    )

    class Meta:
        verbose_name = "dette"
        verbose_name_plural = "dettes"
        permissions = [
            ("access_staff_pages", "Accéder aux pages de gestion (dettes, imports, paiements)"),
            ("reconcile_debt", "Rapprocher les paiements (marquer payée, annuler)"),
        ]
        ordering = ["-online_from", "refdet"]
        constraints = [
            models.UniqueConstraint(fields=["client", "refdet"], name="debt_unique_refdet_per_client"),
            models.UniqueConstraint(
                fields=["client", "invoice_reference"],
                condition=~Q(invoice_reference=""),
                name="debt_unique_invoice_per_client",
            ),
        ]

    def __str__(self) -> str:
        return self.invoice_reference or self.refdet

    @property
    def shown_reference(self) -> str:
        """What the citizen and staff read: a régie's invoice number, else the REFDET."""
        return self.invoice_reference or self.refdet

    def is_expired(self, today: datetime.date) -> bool:
        """R7: past the online delay, the debt is paid at the Trésorerie, not online."""
        return today > self.online_until

    def is_not_yet_online(self, today: datetime.date) -> bool:
        return today < self.online_from

    @property
    def card_block_code(self) -> str | None:
        """M3/M2 when the amount cannot be paid by card at all, else None."""
        return montant_block_code(self.amount_cents)

    @property
    def tipi_protocol(self) -> Protocol:
        return self.client.tipi_protocol


class DebtEvent(models.Model):
    """Audit of a staff action on a debt: who, when, why, before and after."""

    class Action(models.TextChoices):
        CANCEL = "cancel", "Annulation"
        MARK_PAID = "mark_paid", "Marquée payée"
        UNDO_PAID = "undo_paid", "Paiement défait"

    debt = models.ForeignKey(Debt, on_delete=models.CASCADE, related_name="events", verbose_name="dette")
    action = models.CharField("action", max_length=12, choices=Action.choices)
    state_before = models.CharField("état avant", max_length=12, choices=Debt.State.choices)
    state_after = models.CharField("état après", max_length=12, choices=Debt.State.choices)
    reason = models.TextField("motif")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name="par")
    at = models.DateTimeField("le", auto_now_add=True)

    class Meta:
        verbose_name = "action sur une dette"
        verbose_name_plural = "actions sur les dettes"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} de {self.debt} par {self.user}"
