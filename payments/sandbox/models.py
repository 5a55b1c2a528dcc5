"""TIPI's and PayFiP's side of the world, as the sandbox sees it: clients, contracts, operations."""

import uuid

from django.db import models
from django.utils import timezone

# The start of callback_status when the sandbox would not post to URLCL (not the portal's address).
CALLBACK_REFUSED = "refusé"


def new_idop() -> str:
    """A fresh idOp: 36 characters like PayFiP's (random, so that nobody guesses another's)."""
    return str(uuid.uuid4())


class SandboxClient(models.Model):
    class State(models.TextChoices):
        NEW = "N", "Nouveau"
        ACTIVE = "A", "Actif"
        INACTIVE = "I", "Inactif"

    class Contract(models.TextChoices):
        NONE = "", "Aucun contrat"
        OPEN = "O", "Ouvert"
        SUSPENDED = "S", "Suspendu"

    numcli = models.CharField("numéro client", max_length=6, unique=True)
    protocol = models.PositiveSmallIntegerField("code protocole (annexe 10)", default=1)
    state = models.CharField("statut", max_length=1, choices=State.choices, default=State.NEW)
    contract = models.CharField("contrat", max_length=1, choices=Contract.choices, default=Contract.OPEN, blank=True)

    class Meta:
        verbose_name = "client (bac à sable TIPI)"
        verbose_name_plural = "clients (bac à sable TIPI)"

    def __str__(self) -> str:
        return self.numcli


class SandboxOperation(models.Model):
    """One URL aller accepted by the sandbox, then its card result and POST back."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    params = models.JSONField("paramètres reçus")
    created_at = models.DateTimeField("reçue le", auto_now_add=True)
    resultrans = models.CharField("RESULTRANS", max_length=1, blank=True)
    numauto = models.CharField("NUMAUTO", max_length=16, blank=True)
    dattrans = models.CharField("DATTRANS", max_length=8, blank=True)
    callback_status = models.CharField("retour au portail", max_length=200, blank=True)

    class Meta:
        verbose_name = "opération (bac à sable TIPI)"
        verbose_name_plural = "opérations (bac à sable TIPI)"

    def __str__(self) -> str:
        return f"{self.params.get('refdet')} {self.resultrans}"

    @property
    def callback_refused(self) -> bool:
        return self.callback_status.startswith(CALLBACK_REFUSED)


class PayfipOperation(models.Model):
    """One ``creerPaiementSecurise`` accepted by the sandbox: its idOp, what was sent, its result."""

    idop = models.CharField("idOp", max_length=36, unique=True, default=new_idop, editable=False)
    params = models.JSONField("paramètres reçus (arg0)")
    created_at = models.DateTimeField("créée le", default=timezone.now)
    opened_at = models.DateTimeField("page de paiement ouverte le", null=True, blank=True)
    purged_at = models.DateTimeField("purgée (nuit simulée) le", null=True, blank=True)
    resultrans = models.CharField("resultrans", max_length=4, blank=True)
    numauto = models.CharField("numauto", max_length=16, blank=True)
    dattrans = models.CharField("dattrans", max_length=8, blank=True)
    heurtrans = models.CharField("heurtrans", max_length=4, blank=True)

    class Meta:
        verbose_name = "opération PayFiP (bac à sable)"
        verbose_name_plural = "opérations PayFiP (bac à sable)"

    def __str__(self) -> str:
        return f"{self.idop} {self.resultrans}"


class PayfipNotification(models.Model):
    """One POST of the idOp to urlnotif, planned by the sandbox's schedule or asked by a test."""

    operation = models.ForeignKey(
        PayfipOperation, on_delete=models.CASCADE, related_name="notifications", verbose_name="opération"
    )
    due_at = models.DateTimeField("prévue le")
    sent_at = models.DateTimeField("envoyée le", null=True, blank=True)
    outcome = models.CharField("résultat", max_length=200, blank=True)

    class Meta:
        verbose_name = "notification PayFiP (bac à sable)"
        verbose_name_plural = "notifications PayFiP (bac à sable)"
        ordering = ["due_at", "pk"]

    def __str__(self) -> str:
        return f"{self.operation.idop} {self.due_at:%H:%M:%S} {self.outcome}"
