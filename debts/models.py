"""Debts published for online payment, with their online period and state."""

import datetime

from django.db import models

from payments.tipi import Protocol

MIN_CARD_CENTS = 100  # M3: under 1 € TIPI refuses a card payment
MAX_CARD_CENTS = 150_000  # M2: from 1 500 € a card payment over the Internet is not allowed


class Debt(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "À payer"
        IN_PROGRESS = "in_progress", "Paiement CB par Internet en cours de validation"
        PAID = "paid", "Payée"
        CANCELLED = "cancelled", "Annulée"

    client = models.ForeignKey(
        "payments.TipiClient", on_delete=models.PROTECT, related_name="debts", verbose_name="client TIPI"
    )
    refdet = models.CharField("référence de la dette (REFDET)", max_length=30)
    ref_parts = models.JSONField("éléments de la référence", default=dict, blank=True)
    amount_cents = models.PositiveBigIntegerField("montant (centimes)")
    debtor_ref = models.CharField("référence du débiteur", max_length=30, blank=True, db_index=True)
    debtor_name = models.CharField("nom du débiteur", max_length=200, blank=True)
    debtor_address = models.TextField("adresse du débiteur", blank=True)
    label = models.CharField("objet", max_length=200, blank=True)
    issued_on = models.DateField("date d'émission", null=True, blank=True)
    online_from = models.DateField("payable en ligne à partir du")
    online_until = models.DateField("payable en ligne jusqu'au")
    state = models.CharField("état", max_length=12, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    class Meta:
        verbose_name = "dette"
        verbose_name_plural = "dettes"
        ordering = ["-online_from", "refdet"]
        constraints = [models.UniqueConstraint(fields=["client", "refdet"], name="debt_unique_refdet_per_client")]

    def __str__(self) -> str:
        return self.refdet

    def is_expired(self, today: datetime.date) -> bool:
        """R7: past the online delay, the debt is paid at the Trésorerie, not online."""
        return today > self.online_until

    def is_not_yet_online(self, today: datetime.date) -> bool:
        return today < self.online_from

    @property
    def card_block_code(self) -> str | None:
        """M3/M2 when the amount cannot be paid by card at all, else None."""
        if self.amount_cents < MIN_CARD_CENTS:
            return "M3"
        if self.amount_cents >= MAX_CARD_CENTS:
            return "M2"
        return None

    @property
    def tipi_protocol(self) -> Protocol:
        return self.client.tipi_protocol
