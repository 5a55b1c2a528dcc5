"""TIPI clients, transactions (one per URL aller) and the return notices TIPI POSTs back."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from payments.tipi import Means, Protocol, is_valid_numcli, refdet_as_printed, resultrans_label, resultrans_means

TOKEN_LENGTH = 24
_TOKEN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"


NUMCLI_MESSAGE = "Le numéro client TIPI comporte exactement 6 chiffres."


def validate_numcli(value: str) -> None:
    """NUMCLI as TIPI checks it (annex 10, T1): 6 ASCII digits, not any Unicode digit as ``\\d``."""
    if not is_valid_numcli(value):
        raise ValidationError(NUMCLI_MESSAGE, code="numcli")


def new_token() -> str:
    """An unguessable token (≈ 140 bits) sent in OBJET, which TIPI echoes back."""
    return "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def new_public_id() -> str:
    """The id the portal's own pages address an attempt by (128 bits, 22 URL-safe characters):
    never the OBJET token, which would then sit in access logs, histories and Referer headers."""
    return secrets.token_urlsafe(16)


# Derived from payments.tipi.Protocol (the one declaration): same slugs as the import file formats.
# Sorted by slug: the order the migrations recorded.
ClientProtocol = models.TextChoices(
    "ClientProtocol",
    [(p.name, (p.slug, f"{p.label} ({p.debt_kind})")) for p in sorted(Protocol, key=lambda p: p.slug)],
)

#: Why a titre client cannot use the web-service mode (PayFiP offers it to régies only).
WEBSERVICE_REGIE_ONLY_MESSAGE = (
    "Le mode web-service PayFiP (SAISIE W) n'est proposé qu'aux clients « Régie » : "
    "un client titres ou rôles utilise l'URL aller classique."
)


ROLMRE_CODE_RECETTE_MESSAGE = (
    "Pour un client ROLMRE, le code recette (ROLREC) comporte 2 lettres ou chiffres, sans accent."
)


class TipiClient(models.Model):
    class State(models.TextChoices):
        NEW = "new", "Nouveau (à activer)"
        ACTIVE = "active", "Actif"
        INACTIVE = "inactive", "Inactif"

    class Mode(models.TextChoices):
        """How a payment reaches PayFiP: the URL aller with its unsigned return, or the SOAP
        web-service whose result the portal asks for (PAYFIP.md §3; régies only)."""

        CLASSIC = "classic", "URL aller classique"
        WEBSERVICE = "webservice", "Web-service PayFiP (SAISIE W)"

    numcli = models.CharField(
        "numéro client TIPI",
        max_length=6,
        unique=True,
        validators=[validate_numcli],
    )
    protocol = models.CharField("protocole", max_length=8, choices=ClientProtocol.choices)
    label = models.CharField("libellé", max_length=120)
    online_delay_days = models.PositiveSmallIntegerField(
        "délai de mise en ligne (jours)",
        default=60,
        validators=[MinValueValidator(10), MaxValueValidator(360)],
    )
    code_recette = models.CharField(
        "code recette (ROLMRE)",
        max_length=2,
        blank=True,
        validators=[RegexValidator(r"^[A-Za-z0-9]{2}$", "Le code recette comporte 2 caractères alphanumériques.")],
        help_text="Pour un client ROLMRE : complète la référence d'une facture d'eau saisie à la main.",
    )
    accept_only_known_debts = models.BooleanField(
        "n'accepter que les dettes connues du portail",
        default=False,
        help_text="Le formulaire de saisie refuse une référence que le portail ne détient pas.",
    )
    mode = models.CharField("mode de paiement", max_length=10, choices=Mode.choices, default=Mode.CLASSIC)
    state = models.CharField("état", max_length=8, choices=State.choices, default=State.NEW)
    #: Why a client became active, in its history (simple-history's change reason: 100 characters at most).
    ACTIVATED_REASON = "Activé par le retour de TIPI à son URL d'activation (SAISIE=X)"
    # The client's one audit trail: every save (who, when, before/after, why: django-simple-history),
    # from the console, the `tipi_client` command or the activation return; the console shows it.
    history = HistoricalRecords(
        verbose_name="historique d'un client TIPI", verbose_name_plural="historique des clients TIPI"
    )

    class Meta:
        verbose_name = "client TIPI"
        verbose_name_plural = "clients TIPI"
        permissions = [("manage_tipi_clients", "Configurer les clients TIPI, lancer tests et activation")]
        ordering = ["numcli"]
        constraints = [
            models.CheckConstraint(
                condition=Q(mode="classic") | Q(protocol=Protocol.REGIE.slug),
                name="tipiclient_webservice_regie_only",
                violation_error_message=WEBSERVICE_REGIE_ONLY_MESSAGE,
            ),
            # Annex 4 and the glossary: a ROLMRE client's contract has its code recette (ROLREC, 2
            # characters), which completes a water bill's REFDET; no path may create one without it.
            models.CheckConstraint(
                condition=~models.Q(protocol="rolmre") | ~models.Q(code_recette=""),
                name="tipi_client_rolmre_has_code_recette",
                violation_error_message=ROLMRE_CODE_RECETTE_MESSAGE,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.numcli} – {self.label}"

    def clean(self) -> None:
        # The same rule, on the field, for forms built on the model (the format is the field's validator).
        if self.protocol == ClientProtocol.ROLMRE and not self.code_recette:
            raise ValidationError({"code_recette": ROLMRE_CODE_RECETTE_MESSAGE})

    @property
    def tipi_protocol(self) -> Protocol:
        return Protocol.from_slug(self.protocol)

    @property
    def is_webservice(self) -> bool:
        return self.mode == self.Mode.WEBSERVICE


class Transaction(models.Model):
    """One URL aller built and sent to TIPI, and what came back for it."""

    class State(models.TextChoices):
        PENDING = "pending", "En attente du retour TIPI"
        PAID = "paid", "Payée"
        REFUSED = "refused", "Refusée"
        CANCELLED = "cancelled", "Annulée"
        ABANDONED = "abandoned", "Abandonnée (nouvelle tentative)"
        # Web-service mode: PayFiP answers P1 for an operation never opened (purged the next night).
        EXPIRED = "expired", "Expirée sans paiement (PayFiP)"

    class Saisie(models.TextChoices):
        MANUAL = "M", "Saisie manuelle"
        ACCOUNT = "A", "Compte usager"
        TEST = "T", "Test"
        ACTIVATION = "X", "Activation"

    token = models.CharField("jeton (OBJET)", max_length=32, unique=True, default=new_token, editable=False)
    # In the URLs of the payment page, its status, its retry and the console's attempt page.
    public_id = models.CharField(
        "identifiant public", max_length=32, unique=True, default=new_public_id, editable=False
    )
    client = models.ForeignKey(TipiClient, on_delete=models.PROTECT, related_name="transactions", verbose_name="client")
    debt = models.ForeignKey(
        "debts.Debt", on_delete=models.PROTECT, null=True, blank=True, related_name="transactions", verbose_name="dette"
    )
    saisie = models.CharField("saisie", max_length=1, choices=Saisie.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="compte usager",
    )
    refdet = models.CharField("référence de la dette", max_length=30)
    amount_cents = models.PositiveIntegerField("montant (centimes)")
    email = models.EmailField("adresse électronique", max_length=80)
    params = models.JSONField("paramètres envoyés")
    url = models.TextField("URL aller")
    state = models.CharField("état", max_length=10, choices=State.choices, default=State.PENDING)
    resultrans = models.CharField("RESULTRANS", max_length=1, blank=True)
    numauto = models.CharField("NUMAUTO", max_length=16, blank=True)
    dattrans = models.DateField("DATTRANS", null=True, blank=True)
    flags = models.JSONField("signalements", default=list, blank=True)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    settled_at = models.DateTimeField("réglée le", null=True, blank=True)
    # Web-service mode (PayFiP, creerPaiementSecurise): the operation's id; `params` holds what was
    # sent, `url` the payment page paiementws.web?idop=. NULL for the classic URL aller.
    idop = models.CharField("idOp PayFiP", max_length=64, null=True, blank=True, unique=True, editable=False)
    # When the poller checks it next (NULL: nothing more to ask PayFiP), and since when a check
    # is queued (at most one queued per transaction, whatever the notifications received).
    payfip_next_check_at = models.DateTimeField("prochaine vérification PayFiP", null=True, blank=True, db_index=True)
    payfip_check_queued_at = models.DateTimeField("vérification PayFiP demandée le", null=True, blank=True)
    # The portal's own confirmation e-mail, sent once (payments.services.confirmations).
    confirmation_sent_at = models.DateTimeField("confirmation envoyée le", null=True, blank=True)

    class Meta:
        verbose_name = "transaction"
        verbose_name_plural = "transactions"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["client", "refdet", "state"]),
            models.Index(fields=["state", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.refdet} ({self.get_state_display()})"

    @property
    def means(self) -> Means:
        """The means of payment its result names: card (P, R), debit (V, Z), none yet or A."""
        return resultrans_means(self.resultrans)

    @property
    def result_label(self) -> str:
        """Its RESULTRANS in staff's words (« Payée par prélèvement »…), "" before any result."""
        return resultrans_label(self.resultrans)

    @property
    def shown_reference(self) -> str:
        """What the payer reads: a régie's invoice number, else the reference as printed on the
        bill (year, title, order; the water bill's number); the REFDET sent is a detail."""
        if self.debt_id and self.debt.invoice_reference:
            return self.debt.invoice_reference
        return refdet_as_printed(self.client.tipi_protocol, self.refdet)


class ReturnNotice(models.Model):
    """Every POST to the return endpoint, stored raw before anything else happens."""

    class Outcome(models.TextChoices):
        RECEIVED = "received", "Reçu, pas encore traité"
        APPLIED = "applied", "Appliqué"
        DUPLICATE = "duplicate", "Doublon"
        CONFLICT = "conflict", "Contradictoire (non appliqué)"
        UNMATCHED = "unmatched", "Sans transaction correspondante"
        # Without OBJET: linked to the pending attempt it resembles, never applied (a forgery is
        # indistinguishable); staff check it with DGFiP.
        REVIEW = "review", "À vérifier (non appliqué)"
        MALFORMED = "malformed", "Mal formé"
        REFUSED_IP = "refused_ip", "Adresse source refusée"

    received_at = models.DateTimeField("reçu le", auto_now_add=True, db_index=True)
    body = models.BinaryField("corps brut")
    content_type = models.CharField("type de contenu", max_length=200, blank=True)
    headers = models.JSONField("en-têtes", default=dict, blank=True)
    remote_addr = models.GenericIPAddressField("adresse source", null=True, blank=True)
    outcome = models.CharField("résultat", max_length=10, choices=Outcome.choices, default=Outcome.RECEIVED)
    detail = models.TextField("détail", blank=True)
    flags = models.JSONField("signalements", default=list, blank=True)
    transaction = models.ForeignKey(
        Transaction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
        verbose_name="transaction",
    )
    resultrans = models.CharField("RESULTRANS", max_length=1, blank=True)
    processed_at = models.DateTimeField("traité le", null=True, blank=True)
    mel_erased = models.BooleanField("adresse électronique effacée", default=False)
    # Set on the notices that waited in the local spool (payments/returns/spool.py) while the database
    # could not be written: the spool line's id, so that replaying a line twice stores it once.
    spool_id = models.UUIDField("identifiant dans le spool", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "retour TIPI"
        verbose_name_plural = "retours TIPI"
        ordering = ["-received_at"]
        constraints = [
            # Partial: the notices stored directly (spool_id NULL) add nothing to the index.
            models.UniqueConstraint(
                fields=["spool_id"], condition=models.Q(spool_id__isnull=False), name="returnnotice_spool_id_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Retour du {self.received_at:%d/%m/%Y %H:%M:%S} ({self.get_outcome_display()})"

    @property
    def body_text(self) -> str:
        return bytes(self.body).decode("utf-8", errors="replace")


class PayfipMessage(models.Model):
    """Every call to the web-service mode's urlnotif (PayFiP's notification) and urlredirect (the
    user back from PayFiP's ticket), stored raw before anything else. It only ever triggers a check:
    the result comes from PayFiP's own answer (PayfipCheck), never from this message."""

    class Kind(models.TextChoices):
        NOTIFICATION = "notification", "Notification PayFiP (urlnotif)"
        REDIRECT = "redirect", "Retour de l'usager (urlredirect)"

    class Outcome(models.TextChoices):
        CHECK = "check", "Vérification demandée"
        UNKNOWN = "unknown", "idOp inconnu du portail (ignoré)"
        NO_IDOP = "no_idop", "Sans idOp (ignoré)"

    received_at = models.DateTimeField("reçu le", auto_now_add=True, db_index=True)
    kind = models.CharField("type", max_length=12, choices=Kind.choices)
    method = models.CharField("méthode HTTP", max_length=8)
    body = models.BinaryField("corps brut")
    query_string = models.TextField("paramètres de l'adresse", blank=True)
    content_type = models.CharField("type de contenu", max_length=200, blank=True)
    headers = models.JSONField("en-têtes", default=dict, blank=True)
    remote_addr = models.GenericIPAddressField("adresse source", null=True, blank=True)
    idop = models.CharField("idOp reçu", max_length=64, blank=True)
    outcome = models.CharField("suite donnée", max_length=8, choices=Outcome.choices)
    transaction = models.ForeignKey(
        Transaction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payfip_messages",
        verbose_name="transaction",
    )

    class Meta:
        verbose_name = "message PayFiP"
        verbose_name_plural = "messages PayFiP"
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} du {self.received_at:%d/%m/%Y %H:%M:%S}"

    @property
    def body_text(self) -> str:
        return bytes(self.body).decode("utf-8", errors="replace")


class PayfipCheck(models.Model):
    """One question to PayFiP about a web-service transaction (recupererDetailPaiementSecurise),
    what it answered and what the portal did with it: the journal of the authenticated results."""

    class Trigger(models.TextChoices):
        NOTIFICATION = "notification", "Notification PayFiP"
        REDIRECT = "redirect", "Retour de l'usager"
        POLLER = "poller", "Vérification périodique"
        STAFF = "staff", "Demandée par un agent"

    class Outcome(models.TextChoices):
        APPLIED = "applied", "Résultat appliqué"
        DUPLICATE = "duplicate", "Résultat déjà appliqué"
        CONFLICT = "conflict", "Contradictoire (non appliqué)"
        REVIEW = "review", "Code inconnu, à examiner (non appliqué)"
        PENDING = "pending", "Résultat pas encore connu (P5)"
        EXPIRED = "expired", "Opération expirée sans paiement (P1)"
        MISMATCH = "mismatch", "Réponse différente de l'envoi (non appliquée)"
        FAULT = "fault", "Erreur renvoyée par PayFiP"
        UNAVAILABLE = "unavailable", "PayFiP indisponible (nouvel essai plus tard)"

    transaction = models.ForeignKey(
        Transaction, on_delete=models.PROTECT, related_name="payfip_checks", verbose_name="transaction"
    )
    at = models.DateTimeField("le", auto_now_add=True, db_index=True)
    trigger = models.CharField("déclencheur", max_length=12, choices=Trigger.choices)
    outcome = models.CharField("résultat", max_length=12, choices=Outcome.choices)
    resultrans = models.CharField("RESULTRANS", max_length=8, blank=True)
    fault_code = models.CharField("code d'erreur PayFiP", max_length=16, blank=True)
    detail = models.TextField("détail", blank=True)
    answer = models.JSONField("réponse de PayFiP", default=dict, blank=True)
    message = models.ForeignKey(
        PayfipMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="message"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="agent",
    )

    class Meta:
        verbose_name = "vérification PayFiP"
        verbose_name_plural = "vérifications PayFiP"
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"Vérification du {self.at:%d/%m/%Y %H:%M:%S} ({self.get_outcome_display()})"
