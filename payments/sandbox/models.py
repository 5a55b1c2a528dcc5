"""TIPI's side of the world, as the sandbox sees it: clients, contracts, payment operations."""

import uuid

from django.db import models

# The start of callback_status when the sandbox would not post to URLCL (not the portal's address).
CALLBACK_REFUSED = "refusé"


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
